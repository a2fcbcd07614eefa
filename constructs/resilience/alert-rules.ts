import { RECORDED, type AlertingRule, type RecordingRule, type RuleGroup } from "../observability/rules";
import { KARPENTER_REPAIR_TOLERATION_MINUTES, UNHEALTHY_THRESHOLD_PERCENT } from "./node-repair";

/**
 * Alerts of issue 17: unhealthy nodes and node repair, EFA errors the node monitoring agent reports, and reserved
 * capacity Karpenter cannot launch. They read kube-state-metrics (node conditions, which include the agent's),
 * Karpenter 1.14 (`karpenter_nodeclaims_unhealthy_disrupted_total`, `karpenter_cloudprovider_instance_launch_failures_total`)
 * and the agent's own `problem_condition_count`, plus the platform's `node:pool_labels:info`. GPU XIDs stay in the
 * platform's GpuXidError/GpuCriticalXidError (constructs/observability/rules.ts), which these do not duplicate.
 */

/** Conditions the node monitoring agent sets; Karpenter's node repair acts on each when it is False. */
export const AGENT_CONDITIONS = ["AcceleratedHardwareReady", "ContainerRuntimeReady", "KernelReady", "NetworkingReady", "StorageReady"] as const;

/** Series these rules record. */
export const RESILIENCE_RECORDED = {
  unhealthyNodes: "nodepool:unhealthy_nodes:count",
  nodes: "nodepool:nodes:count",
} as const;

const agentConditions = `condition=~"${AGENT_CONDITIONS.join("|")}"`;

/** Nodes with a repairable condition: an agent condition False, or Ready not True (one series per node, value 1). */
export const UNHEALTHY_NODES = `max by (node) (kube_node_status_condition{${agentConditions}, status="false"} == 1 or kube_node_status_condition{condition="Ready", status!="true"} == 1)`;

function alert(name: string, severity: AlertingRule["labels"]["severity"], component: string, expr: string, forMinutes: number | undefined, summary: string, description: string): AlertingRule {
  return { alert: name, expr, ...(forMinutes ? { for: `${forMinutes}m` } : {}), labels: { severity, component }, annotations: { summary, description } };
}

const recording: RecordingRule[] = [
  { record: RESILIENCE_RECORDED.unhealthyNodes, expr: `count by (nodepool) (${UNHEALTHY_NODES} * on (node) group_left (nodepool) ${RECORDED.nodeInfo})` },
  { record: RESILIENCE_RECORDED.nodes, expr: `count by (nodepool) (${RECORDED.nodeInfo})` },
];

/** The resilience rule groups (recording first). */
export function resilienceRuleGroups(): RuleGroup[] {
  const gpuMinutes = KARPENTER_REPAIR_TOLERATION_MINUTES.AcceleratedHardwareReady;
  const share = UNHEALTHY_THRESHOLD_PERCENT / 100;
  return [
    { name: "ml-platform.resilience.recording", interval: "1m", rules: recording },
    {
      name: "ml-platform.resilience",
      rules: [
        alert(
          "NodeConditionUnhealthy",
          "warning",
          "node-health",
          `max by (node, condition) (kube_node_status_condition{${agentConditions}, status="false"}) == 1`,
          2,
          "Node {{ $labels.node }} reports {{ $labels.condition }}=False",
          `The node monitoring agent found a fault. With node repair on, Karpenter replaces the node after ${gpuMinutes} minutes (AcceleratedHardwareReady) or 30 minutes (the others), and EKS repairs managed node groups; jobs on it restart from their last checkpoint.`,
        ),
        alert(
          "NodePoolUnhealthyNodes",
          "warning",
          "node-health",
          `${RESILIENCE_RECORDED.unhealthyNodes} > 1`,
          5,
          "NodePool {{ $labels.nodepool }} has {{ $value }} unhealthy nodes",
          "More than one node of the pool is unhealthy at once: look for a shared cause (a bad AMI, a zone, an EFA or NVLink fault) before repairs replace them one by one.",
        ),
        alert(
          "NodeRepairBlocked",
          "critical",
          "node-health",
          `${RESILIENCE_RECORDED.unhealthyNodes} > on (nodepool) ceil(${share} * ${RESILIENCE_RECORDED.nodes})`,
          10,
          "Node repair stopped in NodePool {{ $labels.nodepool }}: {{ $value }} nodes unhealthy",
          `More than ${UNHEALTHY_THRESHOLD_PERCENT}% of the pool's nodes (rounded up) are unhealthy, so Karpenter and EKS node auto repair stop replacing them. Find the common cause, then delete the bad NodeClaims (or nodes) by hand.`,
        ),
        alert(
          "KarpenterNodeRepaired",
          "warning",
          "node-health",
          "sum by (nodepool, condition) (increase(karpenter_nodeclaims_unhealthy_disrupted_total[10m])) > 0",
          undefined,
          "Karpenter replaced an unhealthy node of {{ $labels.nodepool }} ({{ $labels.condition }})",
          "Node repair deleted a NodeClaim whose condition stayed bad past its toleration: forcefully, ignoring PodDisruptionBudgets and do-not-disrupt. Training jobs on it restart from their last checkpoint.",
        ),
        alert(
          "EfaErrorsReported",
          "warning",
          "network",
          'sum by (node) (increase(problem_condition_count{reason="EFAErrorMetric"}[15m])) > 0',
          undefined,
          "EFA driver counters on {{ $labels.node }} show errors",
          "The node monitoring agent saw EFA error counters rise (rx drops, RDMA read/write work request errors, unresponsive or impaired remote connections, retransmits). Collective bandwidth drops for every job on the node: run the NCCL fabric check (docs/resilience.md).",
        ),
        alert(
          "ReservedCapacityLaunchFailing",
          "warning",
          "capacity",
          'sum by (zone) (increase(karpenter_cloudprovider_instance_launch_failures_total{capacity_type="reserved"}[15m])) > 0',
          5,
          "Karpenter cannot launch into capacity reservations in {{ $labels.zone }}",
          "Launches into Capacity Blocks or ODCRs fail (the reservation is used up, not yet active or expiring): pending training pods fall through to the next tier (ODCR, then on-demand with the placement group). Check the EC2NodeClass status and the reservations' end dates.",
        ),
      ],
    },
  ];
}
