/**
 * The cost-allocation label convention: namespaces (and, where a namespace is shared, workloads) carry the same
 * team and cost center as the AWS cost tags `Team` and `CostCenter`, so in-cluster GPU-hours and AWS bills group the
 * same way. kube-state-metrics exports the namespace labels (`kube_namespace_labels{label_team=...}`); the capacity
 * recording rules attribute GPUs by the namespace's `team`.
 */
export const TEAM_LABEL = "team";
export const COST_CENTER_LABEL = "cost-center";

/** The owners of a namespace, as the AWS cost tags name them. */
export interface CostOwner {
  readonly team: string;
  readonly costCenter: string;
}

/** Labels for a namespace (or workload) owned by `owner`; values must be valid label values (checked by the schema). */
export function costAllocationLabels(owner: CostOwner): Record<string, string> {
  return { [TEAM_LABEL]: owner.team, [COST_CENTER_LABEL]: owner.costCenter };
}
