import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { MODEL_REPOSITORY_PREFIX, type MlDataStores } from "../data/ml-data-stores";
import { IrsaRole, type IrsaCluster } from "../iam/irsa-role";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { TRITON as TRITON_OBSERVABILITY } from "../observability/targets";
import { GPU_RESOURCE, inferencePlacement } from "./gpu-scheduling";

/**
 * Triton Inference Server image, NGC release 26.08 (Triton 2.72.0), the release of NVIDIA's `r26.08` branch.
 * @see https://catalog.ngc.nvidia.com/orgs/nvidia/containers/tritonserver
 */
export const TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:26.08-py3";

/** Triton's fixed ports: KServe v2 HTTP/REST, gRPC, Prometheus metrics. */
export const TRITON_PORTS = { http: 8000, grpc: 8001, metrics: 8002 } as const;

/** Queue time per request in microseconds, averaged over all replicas (0 while idle). */
export function tritonQueueTimeQuery(namespace: string, service: string): string {
  const sel = `{namespace="${namespace}",service="${service}"}`;
  return `sum(rate(nv_inference_queue_duration_us${sel}[2m])) / (sum(rate(nv_inference_request_success${sel}[2m])) > 0) or vector(0)`;
}

export interface TritonAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Scale out above this average queue time per request (microseconds). */
  readonly targetQueueMicroseconds: number;
}

export interface TritonProps {
  /** The cluster's OIDC provider: Triton reads S3 through IRSA (its AWS SDK for C++ predates Pod Identity). */
  readonly cluster: IrsaCluster;
  readonly dataStores: MlDataStores;
  readonly region: string;
  readonly roleName: string;
  readonly autoscaling: TritonAutoscaling;
  /** Prometheus base URL KEDA queries (`http://<service>.<namespace>.svc:9090`). */
  readonly prometheusUrl: string;
  readonly gpusPerReplica: number;
  /** CPU request (Kubernetes quantity). */
  readonly cpu: string;
  readonly memoryGiB: number;
  /** @default "triton" */
  readonly namespace?: string;
  /** The KEDA release (ScaledObject CRD) and anything else that must exist first. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * NVIDIA Triton Inference Server authored as Kubernetes objects (NVIDIA publishes no chart, and its sample chart
 * passes static AWS keys): ServiceAccount, Deployment on the GPU inference pool, Service, PodDisruptionBudget,
 * ServiceMonitor on port 8002 and a KEDA ScaledObject that scales on queue time per request. The model repository
 * is read from S3 with a read-only IRSA role limited to the repository prefix (Triton 26.08's AWS SDK for C++ 1.11.60
 * predates EKS Pod Identity, which needs 1.11.263); Triton polls it, so a model
 * version copied there is loaded without a restart.
 */
export class Triton extends Construct {
  readonly role: IrsaRole;
  readonly release: ManifestsRelease;
  readonly namespace: string;
  readonly serviceName = "triton";
  /** In-cluster HTTP endpoint (KServe v2 protocol). */
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly modelRepositoryUri: string;

  constructor(scope: Construct, id: string, props: TritonProps) {
    super(scope, id);
    const { minReplicas, maxReplicas, targetQueueMicroseconds } = props.autoscaling;
    if (minReplicas < 1) throw new Error(`triton: minReplicas must be at least 1 (queue time cannot wake a scaled-to-zero server), got ${minReplicas}`);
    if (maxReplicas < minReplicas) throw new Error(`triton: maxReplicas (${maxReplicas}) must be at least minReplicas (${minReplicas})`);
    const ns = props.namespace ?? "triton";
    this.namespace = ns;
    const name = this.serviceName;
    const serviceAccount = "triton";
    this.modelRepositoryUri = props.dataStores.modelRepositoryUri;
    this.httpUrl = `http://${name}.${ns}.svc.cluster.local:${TRITON_PORTS.http}`;
    this.grpcAddress = `${name}.${ns}.svc.cluster.local:${TRITON_PORTS.grpc}`;

    this.role = new IrsaRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount,
      roleName: props.roleName,
      description: "Triton Inference Server: read-only access to the S3 model repository prefix",
    });
    props.dataStores.grantModelRepositoryRead(this.role);

    // Triton refuses to start on a repository path with no objects; a README keeps the prefix present (Triton loads
    // only subdirectories as models, so the file is ignored).
    const placeholder = new S3Object(this, "repository-readme", {
      bucket: props.dataStores.tritonModels.bucketName,
      key: `${MODEL_REPOSITORY_PREFIX}/README.md`,
      content: [
        "# Triton model repository",
        "",
        "One directory per model: `<model>/config.pbtxt` and `<model>/<version>/<files>` (for example `model.onnx`).",
        "Triton polls this prefix every 30 seconds and loads new versions without a restart.",
        "Publish versions with the promotion step described in docs/ml-services.md; do not edit loaded versions in place.",
        "",
      ].join("\n"),
      contentType: "text/markdown",
    });

    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "inference-server", "app.kubernetes.io/part-of": "ml-platform" };
    const selector = { "app.kubernetes.io/name": name };
    this.release = new ManifestsRelease(this, "release", {
      releaseName: "triton",
      namespace: ns,
      // Readiness needs a GPU node from Karpenter, an image of several GB and the models; that outlasts a Helm wait.
      wait: false,
      dependsOn: [...props.dependsOn, ...this.role.dependables(), placeholder],
    });
    const objects: KubernetesObject[] = [
      // EKS's pod identity webhook mounts a web-identity token for the annotated role (independent of automount).
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace: ns, labels: { ...labels }, annotations: this.role.annotation() }, automountServiceAccountToken: false },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, labels: { ...labels } },
        // No `replicas`: the HPA that KEDA creates owns the count, and Helm upgrades must not reset it.
        spec: {
          selector: { matchLabels: { ...selector } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels: { ...labels } },
            spec: {
              serviceAccountName: serviceAccount,
              ...inferencePlacement(),
              terminationGracePeriodSeconds: 60,
              securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "tritonserver",
                  image: TRITON_IMAGE,
                  imagePullPolicy: "IfNotPresent",
                  args: [
                    "tritonserver",
                    `--model-repository=${this.modelRepositoryUri}`,
                    "--model-control-mode=poll",
                    "--repository-poll-secs=30",
                    // One broken model version must not take the others down: the server keeps running and stays
                    // ready; per-model readiness is /v2/models/<name>/ready.
                    "--exit-on-error=false",
                    "--strict-readiness=false",
                    `--http-port=${TRITON_PORTS.http}`,
                    `--grpc-port=${TRITON_PORTS.grpc}`,
                    `--metrics-port=${TRITON_PORTS.metrics}`,
                    "--allow-metrics=true",
                    "--allow-gpu-metrics=true",
                    // Latency summaries (p50/p99 per model), read by the observability stack's SLO alert and dashboard.
                    ...TRITON_OBSERVABILITY.metricsArgs,
                  ],
                  env: [
                    // The AWS SDK's default chain picks up the Pod Identity credentials; the region of the bucket is explicit.
                    { name: "AWS_REGION", value: props.region },
                    { name: "AWS_DEFAULT_REGION", value: props.region },
                  ],
                  ports: [
                    { name: "http", containerPort: TRITON_PORTS.http, protocol: "TCP" },
                    { name: "grpc", containerPort: TRITON_PORTS.grpc, protocol: "TCP" },
                    { name: "metrics", containerPort: TRITON_PORTS.metrics, protocol: "TCP" },
                  ],
                  startupProbe: { httpGet: { path: "/v2/health/live", port: "http" }, periodSeconds: 10, failureThreshold: 60 },
                  livenessProbe: { httpGet: { path: "/v2/health/live", port: "http" }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
                  readinessProbe: { httpGet: { path: "/v2/health/ready", port: "http" }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  resources: {
                    requests: { cpu: props.cpu, memory: `${props.memoryGiB}Gi`, [GPU_RESOURCE]: String(props.gpusPerReplica) },
                    limits: { memory: `${props.memoryGiB}Gi`, [GPU_RESOURCE]: String(props.gpusPerReplica) },
                  },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  volumeMounts: [
                    // Triton downloads the S3 repository into a local temporary directory before loading.
                    { name: "tmp", mountPath: "/tmp" },
                    // Python backend stubs exchange tensors through shared memory.
                    { name: "dshm", mountPath: "/dev/shm" },
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: {} },
                { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } },
              ],
            },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: ns, labels: { ...labels } },
        spec: {
          type: "ClusterIP",
          selector: { ...selector },
          ports: [
            { name: "http", port: TRITON_PORTS.http, targetPort: "http", protocol: "TCP" },
            { name: "grpc", port: TRITON_PORTS.grpc, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
            { name: "metrics", port: TRITON_PORTS.metrics, targetPort: "metrics", protocol: "TCP" },
          ],
        },
      },
      {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name, namespace: ns, labels: { ...labels } },
        // maxUnavailable rather than minAvailable, so a single-replica environment can still be drained by Karpenter.
        spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
      },
      serviceMonitor({ name, namespace: ns, matchLabels: { ...selector }, endpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }] }),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name, namespace: ns, labels: { ...labels } },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicaCount: minReplicas,
          maxReplicaCount: maxReplicas,
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
          triggers: [
            {
              type: "prometheus",
              // Value, not AverageValue: the query is already a per-request average across all replicas.
              metricType: "Value",
              metadata: {
                serverAddress: props.prometheusUrl,
                query: tritonQueueTimeQuery(ns, name),
                threshold: String(targetQueueMicroseconds),
              },
            },
          ],
        },
      },
    ];
    for (const o of objects) this.release.add(o);
  }
}
