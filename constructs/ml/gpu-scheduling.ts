import { EFA_TRAINING_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, type PoolPlacement } from "../karpenter/pool-labels";

/**
 * How ML workloads reach the GPU node pools: the nodeSelector and tolerations come from the pools' scheduling
 * contract (`constructs/karpenter/pool-labels.ts`), so a workload can never drift from the labels and taints the
 * NodePools (or the EFA managed node group) put on their nodes.
 */

/** Extended resources advertised by the NVIDIA and EFA device plugins. */
export const GPU_RESOURCE = "nvidia.com/gpu";
export const EFA_RESOURCE = "vpc.amazonaws.com/efa";

/** Pod placement (fresh copies, so the YAML renderer never emits anchors for shared objects). */
export interface Placement {
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: Array<Record<string, string>>;
}

function placement(pool: PoolPlacement): Placement {
  return {
    nodeSelector: { ...pool.nodeSelector },
    tolerations: pool.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, string>),
  };
}

/** Online inference (Triton): the GPU inference pool. */
export function inferencePlacement(): Placement {
  return placement(GPU_INFERENCE_POOL);
}

/** Single-node GPU training: the GPU training pool. */
export function trainingPlacement(): Placement {
  return placement(GPU_TRAINING_POOL);
}

/** Multi-node EFA training: the EFA pool (Karpenter NodePool or managed node group, same labels either way). */
export function efaTrainingPlacement(): Placement {
  return placement(EFA_TRAINING_POOL);
}

/** Controllers tolerate the system node group's taint so they run before Karpenter capacity exists. */
export function systemTolerations(): Array<Record<string, string>> {
  return [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }];
}
