import type { KubernetesObject } from "../kubernetes/manifests-release";
import { GPU_RESOURCE } from "../ml/gpu-scheduling";
import type { GpuFlavor } from "./flavors";
import { COHORT_NAME } from "./names";

/**
 * Kueue's custom resources (`kueue.x-k8s.io/v1beta2`, Kueue 0.19.2) for the platform's queues. Only `nvidia.com/gpu`
 * is a covered resource: the manager runs with `quotaCheckStrategy: IgnoreUndeclared`, so CPU and memory are left to
 * each namespace's ResourceQuota and a CPU-only job is admitted without touching any GPU quota.
 */

const API = "kueue.x-k8s.io/v1beta2";

/** One flavor's quota of a ClusterQueue, in GPUs. */
export interface GpuQuota {
  readonly nominal: number;
  /** @default - unlimited: as much as the cohort lends */
  readonly borrowingLimit?: number;
  /** @default - unlimited: all unused nominal quota */
  readonly lendingLimit?: number;
}

/** A ResourceFlavor per GPU type and pool: admitted pods get the pool's node labels and tolerations. */
export function resourceFlavor(flavor: GpuFlavor): KubernetesObject {
  return {
    apiVersion: API,
    kind: "ResourceFlavor",
    metadata: { name: flavor.name },
    spec: {
      nodeLabels: { ...flavor.nodeLabels },
      tolerations: flavor.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined))),
    },
  };
}

/**
 * The flavors and quotas a ClusterQueue lists, in the cohort's flavor order: its own, or, for a queue without any GPU
 * quota, every shared flavor at zero with no borrowing. The manager runs with IgnoreUndeclared, so a queue that did not
 * cover `nvidia.com/gpu` at all would admit GPU workloads without counting them against anything. A team's dedicated
 * flavors are listed by their owner only.
 */
export function listedQuotas(gpus: Readonly<Record<string, GpuQuota>>, flavors: readonly GpuFlavor[]): Array<readonly [string, GpuQuota]> {
  const own = flavors.flatMap((f) => (gpus[f.name] ? [[f.name, gpus[f.name]] as const] : []));
  return own.length ? own : flavors.filter((f) => f.owner === undefined).map((f) => [f.name, { nominal: 0, borrowingLimit: 0 }] as const);
}

/** The cohort every ClusterQueue belongs to (no quota of its own: the queues lend to each other). */
export function cohort(): KubernetesObject {
  return { apiVersion: API, kind: "Cohort", metadata: { name: COHORT_NAME }, spec: {} };
}

/** A fair-sharing weight as a Kubernetes quantity (`1`, `0.5`). */
function quantity(x: number): string {
  return String(Number(x.toPrecision(6)));
}

export interface ClusterQueueProps {
  readonly name: string;
  /** The only namespace whose LocalQueues may submit to it (its `kubernetes.io/metadata.name`). */
  readonly namespace: string;
  /** Quotas by flavor name; flavors in the order the cohort lists them (Kueue tries them in this order). */
  readonly gpus: ReadonlyArray<readonly [flavor: string, quota: GpuQuota]>;
  /** Fair-sharing weight in the cohort. */
  readonly weight: number;
  readonly labels?: Record<string, string>;
}

/**
 * A team's (or the pipelines') ClusterQueue in the platform's cohort: its GPU quota per flavor with borrowing and
 * lending limits; preemption by priority inside the queue, reclaim of lent quota from any queue of the cohort (fair
 * sharing decides between borrowing queues), never preemption to borrow; only its own namespace may use it.
 */
export function clusterQueue(p: ClusterQueueProps): KubernetesObject {
  const flavors = p.gpus.map(([name, q]) => ({
    name,
    resources: [
      {
        name: GPU_RESOURCE,
        nominalQuota: q.nominal,
        ...(q.borrowingLimit !== undefined ? { borrowingLimit: q.borrowingLimit } : {}),
        ...(q.lendingLimit !== undefined ? { lendingLimit: q.lendingLimit } : {}),
      },
    ],
  }));
  return {
    apiVersion: API,
    kind: "ClusterQueue",
    metadata: { name: p.name, ...(p.labels ? { labels: { ...p.labels } } : {}) },
    spec: {
      cohortName: COHORT_NAME,
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": p.namespace } },
      queueingStrategy: "BestEffortFIFO",
      fairSharing: { weight: quantity(p.weight) },
      preemption: { withinClusterQueue: "LowerPriority", reclaimWithinCohort: "Any", borrowWithinCohort: { policy: "Never" } },
      resourceGroups: flavors.length ? [{ coveredResources: [GPU_RESOURCE], flavors }] : [],
    },
  };
}

/** A LocalQueue: how a namespace submits to a ClusterQueue. */
export function localQueue(name: string, namespace: string, clusterQueueName: string, labels?: Record<string, string>): KubernetesObject {
  return { apiVersion: API, kind: "LocalQueue", metadata: { name, namespace, ...(labels ? { labels: { ...labels } } : {}) }, spec: { clusterQueue: clusterQueueName } };
}

/**
 * Workload priorities a job picks with the label `kueue.x-k8s.io/priority-class`: within one team's ClusterQueue a
 * pending workload of higher priority preempts admitted ones of lower priority (a deadline run over a sweep). A job
 * without the label has priority 0, the same as `normal`.
 */
export const WORKLOAD_PRIORITIES = [
  { name: "low", value: -100, description: "Preemptible work (sweeps, exploration): first to be preempted inside its team's queue." },
  { name: "normal", value: 0, description: "The default: the priority of a workload without a priority-class label." },
  { name: "high", value: 100, description: "Deadline work: preempts low and normal workloads of its own team's queue when the quota is full." },
] as const;

/** The WorkloadPriorityClasses of WORKLOAD_PRIORITIES. */
export function workloadPriorityClasses(): KubernetesObject[] {
  return WORKLOAD_PRIORITIES.map((p) => ({ apiVersion: API, kind: "WorkloadPriorityClass", metadata: { name: p.name }, value: p.value, description: p.description }));
}
