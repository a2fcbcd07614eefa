import { GPU_PRESENT_LABEL } from "../karpenter/pool-labels";
import { GPU_POOLS, POOL_LABEL } from "./targets";

/** The system managed node group's pool name (constructs/eks/system-node-group.ts). */
export const SYSTEM_POOL = "system";

/** Scheduling of one monitoring workload: never on GPU nodes, preferably on the system node group. */
export interface Placement {
  readonly tolerations: Array<Record<string, string>>;
  readonly affinity: Record<string, unknown>;
}

/**
 * Keeps a workload off GPU nodes and lets it run on the system node group (tainted `CriticalAddonsOnly`), preferring
 * it over the general CPU pool. Two required conditions: no `nvidia.com/gpu.present` label, and not a node of a GPU
 * pool (`node.ml-platform.io/pool` NotIn the GPU pools, which also matches nodes without the label). GPU nodes are also
 * tainted `nvidia.com/gpu`, which nothing here tolerates. Fresh objects on every call, so YAML never gets anchors.
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
                { key: POOL_LABEL, operator: "NotIn", values: [...GPU_POOLS] },
              ],
            },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, preference: { matchExpressions: [{ key: POOL_LABEL, operator: "In", values: [SYSTEM_POOL] }] } },
        ],
      },
    },
  };
}
