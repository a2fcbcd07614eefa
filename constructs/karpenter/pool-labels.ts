/**
 * The scheduling contract of the platform's node pools: the labels every pool puts on its nodes and the
 * taints that keep general workloads off GPUs. Workloads (Triton, training jobs, device plugins) import
 * these instead of spelling label keys, so a rename here is a compile error there.
 *
 * The same labels and taints are used whether the EFA training capacity comes from a Karpenter NodePool or
 * from an EKS managed node group, so a training job's pod spec does not change with the EFA mode.
 */

/** Label on every node naming its pool (the system managed node group uses `system`). */
export const POOL_LABEL = "node.ml-platform.io/pool";

/** Label set to `"true"` on nodes that have EFA interfaces attached (selects the EFA device plugin). */
export const EFA_LABEL = "node.ml-platform.io/efa";

/**
 * Label the NVIDIA device plugin's default affinity requires (AL2023 NVIDIA AMIs set it too; the pools set
 * it explicitly so the plugin schedules without Node Feature Discovery).
 */
export const GPU_PRESENT_LABEL = "nvidia.com/gpu.present";

/** A node taint as Karpenter and Kubernetes spell it. */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** A pod toleration as Kubernetes spells it. */
export interface PodToleration {
  readonly key: string;
  readonly operator: "Exists" | "Equal";
  readonly value?: string;
  readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Every GPU node carries it, so only pods that ask for GPUs (and tolerate it) land there. */
export const GPU_TAINT: NodeTaint = { key: "nvidia.com/gpu", effect: "NoSchedule" };

/** Training nodes (p4d/p5, EFA) carry it as well, so inference pods that tolerate GPUs stay off them. */
export const TRAINING_TAINT: NodeTaint = { key: "node.ml-platform.io/workload", value: "training", effect: "NoSchedule" };

/** The toleration matching a taint (operator Exists, so the taint value may change without breaking pods). */
export function tolerationFor(taint: NodeTaint): PodToleration {
  return { key: taint.key, operator: "Exists", effect: taint.effect };
}

/** Where a workload goes: the nodeSelector and tolerations for one pool, in pod-spec form. */
export interface PoolPlacement {
  /** Pool name (also the NodePool name for Karpenter pools). */
  readonly name: string;
  /** Labels every node of the pool carries; use as the pod's `nodeSelector`. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Taints every node of the pool carries. */
  readonly taints: readonly NodeTaint[];
  /** Tolerations a pod needs for this pool's taints. */
  readonly tolerations: readonly PodToleration[];
}

function pool(name: string, taints: readonly NodeTaint[], extraLabels: Record<string, string> = {}): PoolPlacement {
  return { name, nodeSelector: { [POOL_LABEL]: name, ...extraLabels }, taints, tolerations: taints.map(tolerationFor) };
}

/** General-purpose CPU pool (Karpenter): controllers and services that are not cluster-critical. */
export const GENERAL_POOL = pool("general", []);

/** GPU inference pool (Karpenter, g5/g6/g6e): Triton and other online inference. */
export const GPU_INFERENCE_POOL = pool("gpu-inference", [GPU_TAINT], { [GPU_PRESENT_LABEL]: "true" });

/** GPU training pool without EFA (Karpenter, p4d/p5/g6e.48xlarge as configured): single-node training jobs. */
export const GPU_TRAINING_POOL = pool("gpu-training", [GPU_TAINT, TRAINING_TAINT], { [GPU_PRESENT_LABEL]: "true" });

/**
 * EFA training capacity (Karpenter NodePool or EKS managed node group, one AZ, cluster placement group):
 * multi-node training jobs that request `vpc.amazonaws.com/efa`.
 */
export const EFA_TRAINING_POOL = pool("efa-training", [GPU_TAINT, TRAINING_TAINT], { [GPU_PRESENT_LABEL]: "true", [EFA_LABEL]: "true" });

/**
 * Optional shared-GPU pool (Karpenter, MIG-capable p4d/p5 class or time-sliced types): inference replicas that need a
 * MIG slice or a time-slice of a GPU (constructs/serving/gpu-sharing.ts, docs/serving.md).
 */
export const SHARED_GPU_POOL = pool("shared-gpu", [GPU_TAINT], { [GPU_PRESENT_LABEL]: "true" });

/**
 * Key of the taint (value: the team) and node label of a team-dedicated GPU pool. Outside the `kubernetes.io`,
 * `k8s.io`, `karpenter.sh` and `karpenter.k8s.aws` domains, which Karpenter reserves for labels it sets itself.
 */
export const TEAM_KEY = "ml-platform.io/team";

/** The taint keeping every pod but the owning team's (and the GPU DaemonSets) off a team-dedicated pool's nodes. */
export function teamTaint(team: string): NodeTaint {
  return { key: TEAM_KEY, value: team, effect: "NoSchedule" };
}

/** Name of a team's dedicated pool (NodePool, EC2NodeClass, pool label): `team-<team>`. */
export function dedicatedPoolName(team: string): string {
  return `team-${team}`;
}

/** Whether a pool name is a team-dedicated pool's. */
export function isDedicatedPool(name: string): boolean {
  return name.startsWith("team-");
}

/**
 * A team's dedicated GPU pool (Karpenter, `teams.tenants[].dedicatedPool`): the GPU taint as on the shared GPU pools plus
 * the team's taint. Its workloads tolerate the team taint by value (Equal), so a toleration of another team's pool
 * never matches; only the GPU DaemonSets tolerate every team (below).
 */
export function teamPool(team: string): PoolPlacement {
  const name = dedicatedPoolName(team);
  const taint = teamTaint(team);
  return {
    name,
    nodeSelector: { [POOL_LABEL]: name, [GPU_PRESENT_LABEL]: "true", [TEAM_KEY]: team },
    taints: [GPU_TAINT, taint],
    tolerations: [tolerationFor(GPU_TAINT), { key: taint.key, operator: "Equal", value: team, effect: taint.effect }],
  };
}

/**
 * Tolerations DaemonSets for GPU nodes need (device plugins, DCGM exporter, the node monitoring agent's DCGM): every GPU
 * pool's taints, team-dedicated pools' included (any team: a DaemonSet must reach every team's GPUs).
 */
export const GPU_DAEMONSET_TOLERATIONS: readonly PodToleration[] = [GPU_TAINT, TRAINING_TAINT, teamTaint("any")].map(tolerationFor);
