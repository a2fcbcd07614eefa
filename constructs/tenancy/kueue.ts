import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import { systemTolerations } from "../ml/gpu-scheduling";
import { KUEUE_NAMESPACE, MANAGED_NAMESPACE_LABEL } from "./names";

/**
 * Kueue 0.19.2 from the official OCI chart; the image is pinned to the release (the chart in git carries a staging
 * image with pullPolicy Always, which the release packaging rewrites; values set it explicitly so either works).
 * @see https://github.com/kubernetes-sigs/kueue/tree/v0.19.2/charts/kueue
 */
export const KUEUE_CHART: ChartRef = { repository: "oci://registry.k8s.io/kueue/charts", chart: "kueue", version: "0.19.2" };
export const KUEUE_IMAGE = { repository: "registry.k8s.io/kueue/kueue", tag: "v0.19.2", pullPolicy: "IfNotPresent" } as const;

/**
 * Jobs Kueue queues: Kubeflow Trainer's TrainJob (its JobSet is owned by the TrainJob, so it is not queued twice),
 * KubeRay's RayJob and RayCluster, plain Jobs and JobSets (one workload per job, not per pod), and plain pods, which
 * covers Kubeflow Pipelines (no native integration) and anything else a team starts in its namespace. Kueue registers
 * the webhook of an integration whose CRD is missing and starts its controller once the CRD appears
 * (pkg/controller/jobframework/setup.go at v0.19.2: WaitForAPI, exponential backoff up to 2 minutes), so the Ray
 * integrations are on before KubeRay is installed.
 */
export const KUEUE_FRAMEWORKS = ["batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob", "ray.io/rayjob", "ray.io/raycluster", "pod"] as const;

/**
 * How long an admitted workload may take until all its pods are ready before Kueue evicts it and requeues it (and
 * after a pod fails, how long its replacement may take). A gang job that waits for its last node would otherwise hold
 * every GPU it already got. The figure covers a cold start: Karpenter launching a GPU instance to a Ready node with
 * its device plugins (about 5-8 minutes for p4d/p5: EC2 launch, nodeadm join, driver, fabric manager, EFA and NVIDIA
 * plugin registration) plus pulling a 10-20 GB training image onto an empty node (ECR/Docker Hub download and
 * single-threaded layer unpack at an effective 50-100 MB/s: about 3-7 minutes), about 15 minutes at worst, with a
 * third more as margin. Upstream's default is 30 minutes (apis/config/v1beta2/defaults.go).
 */
export const WAIT_FOR_PODS_READY_TIMEOUT = "20m";

/** Evictions for pods not ready before a workload is deactivated (a bad image must not cycle GPUs forever). */
export const REQUEUE_BACKOFF_LIMIT = 5;

/** The manager's requests and limits: the chart's defaults (values.yaml `controllerManager.manager.resources`). */
const MANAGER_RESOURCES = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "512Mi" } } as const;

/**
 * The Kueue manager's Configuration (`config.kueue.x-k8s.io/v1beta2`): the chart's defaults (ports, leader election,
 * concurrency, client limits), then the platform's queueing: GPU quotas only (IgnoreUndeclared), the integrations,
 * team namespaces and Kubeflow Pipelines' namespace managed (label MANAGED_NAMESPACE_LABEL; the chart also scopes
 * every job webhook to this selector, so a Kueue outage cannot block pods elsewhere), jobs without a queue label left
 * alone outside them (team namespaces default them to their LocalQueue `default`), fair sharing between the cohort's
 * queues, waitForPodsReady, and the ClusterQueue resource metrics.
 */
export function kueueManagerConfig(): Record<string, unknown> {
  return {
    apiVersion: "config.kueue.x-k8s.io/v1beta2",
    kind: "Configuration",
    health: { healthProbeBindAddress: ":8081" },
    metrics: { bindAddress: ":8443", enableClusterQueueResources: true },
    webhook: { port: 9443 },
    leaderElection: { leaderElect: true, resourceName: "c1f6bfd2.kueue.x-k8s.io" },
    controller: {
      groupKindConcurrency: {
        "Job.batch": 5,
        Pod: 5,
        "Workload.kueue.x-k8s.io": 10,
        "LocalQueue.kueue.x-k8s.io": 5,
        "Cohort.kueue.x-k8s.io": 1,
        "ClusterQueue.kueue.x-k8s.io": 5,
        "ResourceFlavor.kueue.x-k8s.io": 1,
      },
    },
    clientConnection: { qps: 300, burst: 500 },
    // Jobs without a queue label stay unmanaged: KFP's own pods in `kubeflow` must start without Kueue. Team
    // namespaces still queue everything, through their LocalQueue named `default`.
    manageJobsWithoutQueueName: false,
    managedJobsNamespaceSelector: { matchLabels: { [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value } },
    waitForPodsReady: {
      timeout: WAIT_FOR_PODS_READY_TIMEOUT,
      recoveryTimeout: WAIT_FOR_PODS_READY_TIMEOUT,
      blockAdmission: false,
      requeuingStrategy: { timestamp: "Eviction", backoffLimitCount: REQUEUE_BACKOFF_LIMIT, backoffBaseSeconds: 60, backoffMaxSeconds: 3600 },
    },
    integrations: { frameworks: [...KUEUE_FRAMEWORKS] },
    fairSharing: { preemptionStrategies: ["LessThanOrEqualToFinalShare", "LessThanInitialShare"] },
    resources: { quotaCheckStrategy: "IgnoreUndeclared" },
  };
}

export interface KueueProps {
  /** Manager replicas: the webhooks sit on every pod creation in managed namespaces. @default 1 */
  readonly replicas?: number;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The Kueue controller (chart, CRDs and manager configuration) in `kueue-system`, on the system nodes: its webhooks
 * gate pod creation in team namespaces, so it must run before any Karpenter capacity exists. With two replicas a
 * PodDisruptionBudget keeps one serving. KueueViz and the chart's own ServiceMonitor are off (the platform's
 * ServiceMonitor scrapes it with Prometheus's token, stacks/platform/tenancy.ts).
 */
export class Kueue extends Construct {
  readonly chart: HelmChart;
  readonly namespace = KUEUE_NAMESPACE;
  /** The manager's Configuration as rendered into the chart values. */
  readonly managerConfig: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: KueueProps = {}) {
    super(scope, id);
    const replicas = props.replicas ?? 1;
    this.managerConfig = kueueManagerConfig();
    this.chart = new HelmChart(this, "chart", {
      chart: KUEUE_CHART,
      releaseName: "kueue",
      namespace: this.namespace,
      values: {
        controllerManager: {
          replicas,
          manager: { image: { ...KUEUE_IMAGE }, resources: structuredClone(MANAGER_RESOURCES) },
          tolerations: systemTolerations(),
          podDisruptionBudget: { enabled: replicas > 1, minAvailable: 1 },
        },
        enablePrometheus: false,
        enableKueueViz: false,
        managerConfig: { controllerManagerConfigYaml: stringify(this.managerConfig, { lineWidth: 0 }) },
      },
      footprint: {
        crds: [
          "ClusterQueue",
          "LocalQueue",
          "ResourceFlavor",
          "Cohort",
          "WorkloadPriorityClass",
          "Workload",
          "AdmissionCheck",
          "Topology",
          "MultiKueueCluster",
          "MultiKueueConfig",
          "ProvisioningRequestConfig",
        ].map((k) => `kueue.x-k8s.io/${k}`),
        pods: [{ name: "kueue-controller-manager", kind: "Deployment", replicas, requests: { ...MANAGER_RESOURCES.requests }, tolerations: systemTolerations() }],
        source: "kueue chart 0.19.2: templates/crd (eleven CRDs), templates/manager/manager.yaml",
      },
      dependsOn: props.dependsOn,
    });
  }
}
