import { GPU_NODEPOOLS, NODEPOOL_LABEL } from "./targets";

/** Label of the system managed node group's nodes (constructs/eks/system-node-group.ts). */
export const SYSTEM_POOL_LABEL = { key: "node.ml-platform.io/pool", value: "system" } as const;

/** Label the NVIDIA stack puts on GPU nodes (AL2023 NVIDIA AMIs via nodeadm, GPU feature discovery). */
export const GPU_PRESENT_LABEL = "nvidia.com/gpu.present";

/** Scheduling of one monitoring workload: never on GPU nodes, preferably on the system node group. */
export interface Placement {
  readonly tolerations: Array<Record<string, string>>;
  readonly affinity: Record<string, unknown>;
}

/**
 * Keeps a workload off GPU nodes and lets it run on the system node group (tainted `CriticalAddonsOnly`), preferring
 * it over the Karpenter CPU pool. Two required conditions: no `nvidia.com/gpu.present` label, and not a node of a GPU
 * NodePool (`NotIn` also matches nodes without the NodePool label, such as system nodes). GPU nodes are also tainted
 * `nvidia.com/gpu`, which nothing here tolerates. Fresh objects on every call, so YAML never gets anchors.
 */
export function nonGpuPlacement(): Placement {
  return {
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: GPU_PRESENT_LABEL, operator: "DoesNotExist" },
                { key: NODEPOOL_LABEL, operator: "NotIn", values: [...GPU_NODEPOOLS] },
              ],
            },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, preference: { matchExpressions: [{ key: SYSTEM_POOL_LABEL.key, operator: "In", values: [SYSTEM_POOL_LABEL.value] }] } },
        ],
      },
    },
  };
}
