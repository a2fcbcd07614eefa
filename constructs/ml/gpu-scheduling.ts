/**
 * How ML workloads reach the GPU node pools. The pools (Karpenter NodePools) are defined by the GPU compute work in
 * the platform stack; these selectors must match their names and taints.
 * NOTE for merging: mirror of `constructs/karpenter/pool-labels.ts` on the GPU branch (not on this branch yet):
 * NodePool names `gpu-inference`, `gpu-training`, `gpu-efa` and the taint `nvidia.com/gpu=true:NoSchedule`.
 */

/** The taint every GPU pool carries; pods tolerate any value. */
export const GPU_TOLERATIONS: ReadonlyArray<Record<string, string>> = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }];

/** Karpenter labels every node with the name of the NodePool that launched it. */
export const NODEPOOL_LABEL = "karpenter.sh/nodepool";

export const GPU_INFERENCE_POOL = "gpu-inference";
export const GPU_TRAINING_POOL = "gpu-training";
export const GPU_EFA_POOL = "gpu-efa";

/** Extended resources advertised by the NVIDIA and EFA device plugins. */
export const GPU_RESOURCE = "nvidia.com/gpu";
export const EFA_RESOURCE = "vpc.amazonaws.com/efa";

/** Fresh copies, so the YAML renderer never emits anchors for shared objects. */
export function gpuTolerations(): Array<Record<string, string>> {
  return GPU_TOLERATIONS.map((t) => ({ ...t }));
}

/** Controllers tolerate the system node group's taint so they run before Karpenter capacity exists. */
export function systemTolerations(): Array<Record<string, string>> {
  return [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }];
}
