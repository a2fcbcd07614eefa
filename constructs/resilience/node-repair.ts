/**
 * Automatic node repair, the same policy for both kinds of capacity (docs/resilience.md "Node repair"):
 *
 * - Karpenter NodePools: the `nodeRepair` feature gate (alpha in 1.14). Karpenter deletes the NodeClaim of a node whose
 *   condition stays bad past its toleration (AcceleratedHardwareReady=False 10 minutes; Ready False/Unknown,
 *   StorageReady, NetworkingReady, KernelReady, ContainerRuntimeReady=False 30 minutes), forcefully: it ignores
 *   PodDisruptionBudgets and `karpenter.sh/do-not-disrupt` and does not wait for terminationGracePeriod. It stops
 *   while more than 20% of a NodePool's nodes (rounded up) are unhealthy (kubernetes-sigs/karpenter v1.14.1
 *   pkg/controllers/node/health/controller.go; karpenter-provider-aws v1.14.1 RepairPolicies).
 * - Managed node groups (system, EFA): EKS node auto repair (`node_repair_config`), which acts on the same agent
 *   conditions, limited like Karpenter: stop above 20% unhealthy, one node at a time.
 */

/** Karpenter's share of a NodePool that may be unhealthy before it stops repairing (allowedUnhealthyPercent). */
export const UNHEALTHY_THRESHOLD_PERCENT = 20;

/** How long Karpenter tolerates each unhealthy condition before repairing (AWS provider's RepairPolicies, v1.14.1). */
export const KARPENTER_REPAIR_TOLERATION_MINUTES: Readonly<Record<string, number>> = {
  Ready: 30,
  AcceleratedHardwareReady: 10,
  StorageReady: 30,
  NetworkingReady: 30,
  KernelReady: 30,
  ContainerRuntimeReady: 30,
};

/** `node_repair_config` of a managed node group: on, at most 20% unhealthy, one repair at a time. */
export function managedNodeGroupRepairConfig(): { enabled: boolean; maxUnhealthyNodeThresholdPercentage: number; maxParallelNodesRepairedCount: number } {
  return { enabled: true, maxUnhealthyNodeThresholdPercentage: UNHEALTHY_THRESHOLD_PERCENT, maxParallelNodesRepairedCount: 1 };
}
