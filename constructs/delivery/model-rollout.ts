import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { INFERENCE_LOG_PREFIX } from "../data/ml-data-stores";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { inferencePlacement } from "../ml/gpu-scheduling";
import { TRITON_PORTS, tritonContainer, tritonQueueTimeQuery } from "../ml/triton";
import { analysisTemplate, HASH_ARG, type AnalysisThresholds } from "./analysis";
import { canarySteps, EXPERIMENT_ARM_REPLICAS, type CanaryStep, type ExperimentSettings } from "./canary";
import { CAPTURE_SCRIPT } from "./capture-script";

/** Pod-template annotation naming the served version; the containers read it through the downward API. */
export const MODEL_VERSION_ANNOTATION = "ml-platform.io/model-version";

/**
 * The version a Rollout of automatic promotion starts from, before its alias names one: never staged, never served.
 * Its Rollout has no pods until the promotion job's first promotion (no GPU node for a version that cannot load).
 */
export const SEED_VERSION = "0";

/** KEDA's annotation that holds a ScaledObject's target at a replica count until it is removed. */
export const KEDA_PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas";

/** Pod labels Argo Rollouts sets on canary and stable pods (ephemeral metadata) and experiment arms carry. */
export const TRACK_LABEL = "track";
export const ARM_LABEL = "arm";

/** Pod labels copied onto every scraped series, so canary, stable and experiment series are told apart. */
export const POD_TARGET_LABELS = ["rollouts-pod-template-hash", TRACK_LABEL, ARM_LABEL] as const;

/** Labels of a model's root Service (the one the ServiceMonitor scrapes; stable and canary Services lack it). */
const ROOT_SERVICE_LABEL = { "ml-platform.io/service-role": "root" };

const TRACE_DIR = "/traces";
const CAPTURE_DIR = "/opt/capture";

/** A model version's immutable repository prefix under the model repository (`<repo>/<model>/v<version>`). */
export function versionRepository(modelRepositoryUri: string, model: string, version: string): string {
  return `${modelRepositoryUri}/${model}/v${version}`;
}

export interface ModelRolloutProps {
  /** Triton's model name; objects are `triton-<model>`. */
  readonly model: string;
  /** The served version: a number in the file (reviewed), or SEED_VERSION (automatic promotion: its job moves it). */
  readonly version: string;
  readonly triton: { readonly namespace: string; readonly serviceAccount: string; readonly modelRepositoryUri: string };
  /** Bucket of the model repository, where the capture sidecar writes `inference_log/`. */
  readonly captureBucket: string;
  readonly region: string;
  readonly sizing: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetQueueMicroseconds: number; readonly gpusPerReplica: number; readonly cpu: string; readonly memoryGiB: number };
  readonly steps: readonly CanaryStep[];
  readonly analysis: AnalysisThresholds;
  readonly sampleEvery: number;
  readonly experiment?: ExperimentSettings;
  /** Split through the load balancer's weighted target groups: the Ingress the Rollout writes weights into. @default - replica ratio */
  readonly albIngress?: string;
  readonly prometheusUrl: string;
  /** Image with Python and boto3 for the capture sidecar (MLflow's, pinned by the platform). */
  readonly captureImage: string;
  readonly dependsOn: ITerraformDependable[];
}

/**
 * One served model as an Argo Rollout of Triton pods, each pinned to one version's immutable prefix: root, stable and
 * canary Services, a ServiceMonitor that copies the pod-template hash and track labels onto the series, a KEDA
 * ScaledObject targeting the Rollout, a PodDisruptionBudget and the canary AnalysisTemplate. A new version goes through
 * the environment's canary steps with a background analysis from the first weight on; a failed analysis aborts and
 * returns all traffic to the stable pods. With the load balancer the split is the ALB's weighted target groups and the
 * stable pods scale down as the canary grows (dynamicStableScale), so a canary never needs twice the GPUs; without
 * one, the split is the ratio of canary to stable pods behind the root Service.
 */
export class ModelRollout extends Construct {
  readonly release: ManifestsRelease;
  readonly name: string;
  readonly rootService: string;
  readonly httpUrl: string;
  readonly grpcAddress: string;

  constructor(scope: Construct, id: string, props: ModelRolloutProps) {
    super(scope, id);
    const { minReplicas, maxReplicas } = props.sizing;
    if (minReplicas < 1) throw new Error(`triton-${props.model}: minReplicas must be at least 1 (queue time cannot wake a scaled-to-zero server), got ${minReplicas}`);
    if (maxReplicas < minReplicas) throw new Error(`triton-${props.model}: maxReplicas (${maxReplicas}) must be at least minReplicas (${minReplicas})`);
    const ns = props.triton.namespace;
    const name = `triton-${props.model}`;
    this.name = name;
    this.rootService = name;
    this.httpUrl = `http://${name}.${ns}.svc.cluster.local:${TRITON_PORTS.http}`;
    this.grpcAddress = `${name}.${ns}.svc.cluster.local:${TRITON_PORTS.grpc}`;
    const { sizing } = props;
    const seeded = props.version === SEED_VERSION;
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "inference-server", "app.kubernetes.io/part-of": "ml-platform", "ml-platform.io/model": props.model };
    const selector = { "app.kubernetes.io/name": name };
    const versionEnv = { name: "MODEL_VERSION", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${MODEL_VERSION_ANNOTATION}']` } } };

    this.release = new ManifestsRelease(this, "release", {
      releaseName: name,
      namespace: ns,
      // Readiness needs GPU nodes, a multi-GB image and the model: Argo Rollouts, not Helm, waits for it.
      wait: false,
      dependsOn: props.dependsOn,
    });
    const add = (o: KubernetesObject) => this.release.add(o);

    add({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-capture`, namespace: ns, labels: { ...labels } }, data: { "capture.py": CAPTURE_SCRIPT } });
    const template = {
      metadata: { labels: { ...labels }, annotations: { [MODEL_VERSION_ANNOTATION]: props.version } },
      spec: {
        serviceAccountName: props.triton.serviceAccount,
        ...inferencePlacement(),
        terminationGracePeriodSeconds: 60,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          tritonContainer({
            repository: versionRepository(props.triton.modelRepositoryUri, props.model, "$(MODEL_VERSION)"),
            region: props.region,
            gpus: sizing.gpusPerReplica,
            cpu: sizing.cpu,
            memoryGiB: sizing.memoryGiB,
            env: [versionEnv],
            trace: { dir: TRACE_DIR, sampleEvery: props.sampleEvery },
          }),
          {
            name: "capture",
            image: props.captureImage,
            imagePullPolicy: "IfNotPresent",
            command: ["python", `${CAPTURE_DIR}/capture.py`],
            env: [
              { name: "TRACE_FILE", value: `${TRACE_DIR}/trace.json` },
              { name: "BUCKET", value: props.captureBucket },
              { name: "PREFIX", value: INFERENCE_LOG_PREFIX },
              { name: "MODEL", value: props.model },
              { ...versionEnv },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "AWS_REGION", value: props.region },
              { name: "AWS_DEFAULT_REGION", value: props.region },
              { name: "HOME", value: "/tmp" },
              { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
            ],
            resources: { requests: { cpu: "50m", memory: "192Mi" }, limits: { memory: "384Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [
              { name: "traces", mountPath: TRACE_DIR },
              { name: "capture", mountPath: CAPTURE_DIR, readOnly: true },
              { name: "capture-tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "tmp", emptyDir: {} },
          { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } },
          { name: "traces", emptyDir: { sizeLimit: "1Gi" } },
          { name: "capture", configMap: { name: `${name}-capture` } },
          { name: "capture-tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
      },
    };

    const analysisName = `${name}-canary`;
    const experimentSteps = props.experiment ? [experimentStep(props.experiment, analysisName, props.albIngress !== undefined)] : [];
    const steps = [...experimentSteps, ...canarySteps(props.steps)];
    add({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      metadata: { name, namespace: ns, labels: { ...labels } },
      // No `replicas`: the HPA that KEDA creates owns the count, and Helm upgrades must not reset it. The seed version has
      // none: 0 until the first promotion, which KEDA then scales (Helm's merge patch of a custom resource carries only
      // fields the chart changed, so a later upgrade leaves the live count alone; docs/delivery.md).
      spec: {
        ...(seeded ? { replicas: 0 } : {}),
        selector: { matchLabels: { ...selector } },
        revisionHistoryLimit: 3,
        // A GPU node and the image can take many minutes; a canary that never becomes ready is aborted, not left half-way.
        progressDeadlineSeconds: 1800,
        progressDeadlineAbort: true,
        template,
        strategy: {
          canary: {
            stableService: `${name}-stable`,
            canaryService: `${name}-canary`,
            canaryMetadata: { labels: { [TRACK_LABEL]: "canary" } },
            stableMetadata: { labels: { [TRACK_LABEL]: "stable" } },
            maxSurge: 1,
            maxUnavailable: 0,
            ...(props.albIngress
              ? { dynamicStableScale: true, trafficRouting: { alb: { ingress: props.albIngress, rootService: name, servicePort: TRITON_PORTS.http } } }
              : {}),
            analysis: { templates: [{ templateName: analysisName }], startingStep: experimentSteps.length, args: [{ name: HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }] },
            steps,
          },
        },
      },
    });
    const ports = [
      { name: "http", port: TRITON_PORTS.http, targetPort: "http", protocol: "TCP" },
      { name: "grpc", port: TRITON_PORTS.grpc, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
    ];
    const service = (svcName: string, extraLabels: Record<string, string>, withMetrics: boolean): KubernetesObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: svcName, namespace: ns, labels: { ...labels, ...extraLabels } },
      spec: { type: "ClusterIP", selector: { ...selector }, ports: [...ports.map((p) => ({ ...p })), ...(withMetrics ? [{ name: "metrics", port: TRITON_PORTS.metrics, targetPort: "metrics", protocol: "TCP" }] : [])] },
    });
    // Root: every pod of the model (in-cluster callers, replica-ratio split). Stable and canary: Argo adds the hash.
    add(service(name, ROOT_SERVICE_LABEL, true));
    add(service(`${name}-stable`, {}, false));
    add(service(`${name}-canary`, {}, false));
    const monitor = serviceMonitor({ name, namespace: ns, matchLabels: { ...selector, ...ROOT_SERVICE_LABEL }, endpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }] });
    add({ ...monitor, spec: { ...(monitor.spec as Record<string, unknown>), podTargetLabels: [...POD_TARGET_LABELS] } });
    add({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name, namespace: ns, labels: { ...labels } },
      // maxUnavailable rather than minAvailable, so a single-replica environment can still be drained by Karpenter.
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
    });
    add({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      // The seed version is held at 0 pods; the first promotion removes the annotation (KEDA then autoscales).
      metadata: { name, namespace: ns, labels: { ...labels }, ...(seeded ? { annotations: { [KEDA_PAUSED_REPLICAS]: "0" } } : {}) },
      spec: {
        scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name },
        minReplicaCount: sizing.minReplicas,
        maxReplicaCount: sizing.maxReplicas,
        pollingInterval: 15,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: {
              // GPU nodes take minutes to appear: scale out promptly, scale in slowly and one pod at a time.
              scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
              scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] },
            },
          },
        },
        // Value, not AverageValue: the query is already a per-request average across the model's pods.
        triggers: [{ type: "prometheus", metricType: "Value", metadata: { serverAddress: props.prometheusUrl, query: tritonQueueTimeQuery(ns, name), threshold: String(sizing.targetQueueMicroseconds) } }],
      },
    });
    add(analysisTemplate(analysisName, { namespace: ns, service: name, model: props.model }, props.analysis, props.prometheusUrl, labels));
  }
}

/**
 * The A/B step: the current version (baseline, the stable template) and the new one (candidate) side by side for a
 * fixed time, each arm labelled so its series stay apart, with the candidate held to the canary's thresholds. Through
 * the load balancer each arm gets `weight` percent; without one, the root Service spreads requests over all pods.
 */
function experimentStep(e: ExperimentSettings, analysisName: string, weighted: boolean): Record<string, unknown> {
  const arm = (armName: string, specRef: string) => ({
    name: armName,
    specRef,
    replicas: EXPERIMENT_ARM_REPLICAS,
    metadata: { labels: { [ARM_LABEL]: armName } },
    ...(weighted ? { weight: e.weight } : {}),
  });
  return {
    experiment: {
      duration: `${e.durationMinutes}m`,
      templates: [arm("baseline", "stable"), arm("candidate", "canary")],
      analyses: [{ name: "candidate", templateName: analysisName, args: [{ name: HASH_ARG, value: "{{templates.candidate.podTemplateHash}}" }] }],
    },
  };
}
