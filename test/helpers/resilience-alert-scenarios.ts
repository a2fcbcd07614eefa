/**
 * Firing and quiet cases of the resilience alerts (constructs/resilience/alert-rules.ts) for promtool, in the shape of
 * alert-scenarios.ts: node conditions from kube-state-metrics (the agent's conditions among them), unhealthy nodes per
 * pool against node repair's 20% limit, Karpenter's repairs, the agent's EFA reports and reserved-capacity launch
 * failures. Durations come from the rendered rules, so a rule that stops honouring its `for` fails here.
 */
import type { AlertCase, InputSeries } from "./alert-scenarios";

const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({ metric, labels, values });
const flat = (v: number, n: number) => `${v}+0x${n}`;
/** `before` samples of 0, then the counter at 1 for `after` samples (one event at minute `before`). */
const bump = (before: number, after: number) => `0+0x${before - 1} 1+0x${after}`;

const NODE = "ip-10-0-3-9.ec2.internal";
const KARPENTER = { job: "karpenter", namespace: "kube-system", instance: "10.0.3.7:8080" };
const AGENT = { job: "kube-system/eks-node-monitoring-agent", namespace: "kube-system", pod: "eks-node-monitoring-agent-x2k9p", container: "eks-node-monitoring-agent", instance: "10.0.3.9:8003", node: NODE };

/** One node's conditions: Ready true, and `condition` with status false set to `bad` (1 or 0). */
function conditions(node: string, condition: string, bad: number, minutes: number): InputSeries[] {
  return [
    series("kube_node_status_condition", { node, condition: "Ready", status: "true" }, flat(1, minutes)),
    series("kube_node_status_condition", { node, condition, status: "false" }, flat(bad, minutes)),
    series("kube_node_status_condition", { node, condition, status: "true" }, flat(1 - bad, minutes)),
  ];
}

/** A pool of `size` nodes as kube-state-metrics labels them, `unhealthy` of them with AcceleratedHardwareReady False. */
function pool(size: number, unhealthy: number, minutes: number): InputSeries[] {
  return Array.from({ length: size }, (_, i) => {
    const node = `ip-10-0-3-${10 + i}.ec2.internal`;
    const labels = {
      node,
      label_node_ml_platform_io_pool: "efa-training",
      label_karpenter_sh_capacity_type: "on-demand",
      label_node_kubernetes_io_instance_type: "p5.48xlarge",
      label_topology_kubernetes_io_zone: "us-east-1c",
    };
    return [series("kube_node_labels", labels, flat(1, minutes)), ...conditions(node, "AcceleratedHardwareReady", i < unhealthy ? 1 : 0, minutes)];
  }).flat();
}

/** Every case of the resilience alerts; `forMinutes` are the rendered rules' `for`. */
export function resilienceAlertCases(forMinutes: Readonly<Record<string, number>>): AlertCase[] {
  const cond = forMinutes.NodeConditionUnhealthy;
  const many = forMinutes.NodePoolUnhealthyNodes;
  const blocked = forMinutes.NodeRepairBlocked;
  const reserved = forMinutes.ReservedCapacityLaunchFailing;
  const efaPool = { nodepool: "efa-training" };
  const repaired = (values: string) => [series("karpenter_nodeclaims_unhealthy_disrupted_total", { condition: "accelerated_hardware_ready", nodepool: "efa-training", capacity_type: "on-demand", image_id: "ami-0a1b2c3d4e5f60718", ...KARPENTER }, values)];
  const efa = (reason: string, values: string) => [series("problem_condition_count", { severity: "Warning", reason, ...AGENT }, values)];
  const launches = (capacityType: string, step: number) => [
    series("karpenter_cloudprovider_instance_launch_failures_total", { zone: "us-east-1c", zone_id: "use1-az6", capacity_type: capacityType, reason: "LaunchFailed", ...KARPENTER }, `0+${step}x${reserved + 10}`),
  ];
  return [
    { alert: "NodeConditionUnhealthy", title: `fires after ${cond} min of AcceleratedHardwareReady=False`, series: conditions(NODE, "AcceleratedHardwareReady", 1, cond + 10), atMinutes: cond + 2, fires: [{ labels: { node: NODE, condition: "AcceleratedHardwareReady" }, value: 1 }] },
    { alert: "NodeConditionUnhealthy", title: "quiet while the condition is True", series: conditions(NODE, "AcceleratedHardwareReady", 0, cond + 10), atMinutes: cond + 2, fires: [] },
    { alert: "NodeConditionUnhealthy", title: "quiet on a condition the agent does not set (MemoryPressure)", series: conditions(NODE, "MemoryPressure", 1, cond + 10), atMinutes: cond + 2, fires: [] },
    { alert: "NodeConditionUnhealthy", title: `quiet before ${cond} min`, series: conditions(NODE, "AcceleratedHardwareReady", 1, cond + 10), atMinutes: cond - 1, fires: [] },
    { alert: "NodePoolUnhealthyNodes", title: `fires after ${many} min with 2 of 5 nodes unhealthy`, series: pool(5, 2, many + 10), atMinutes: many + 3, fires: [{ labels: efaPool, value: 2 }] },
    { alert: "NodePoolUnhealthyNodes", title: "quiet with one unhealthy node", series: pool(5, 1, many + 10), atMinutes: many + 3, fires: [] },
    { alert: "NodePoolUnhealthyNodes", title: `quiet before ${many} min`, series: pool(5, 2, many + 10), atMinutes: many - 1, fires: [] },
    { alert: "NodeRepairBlocked", title: `fires after ${blocked} min with 2 of 5 nodes unhealthy (over 20%, rounded up: 1)`, series: pool(5, 2, blocked + 10), atMinutes: blocked + 3, fires: [{ labels: efaPool, value: 2 }] },
    { alert: "NodeRepairBlocked", title: "quiet with 2 of 10 nodes unhealthy (20%: repairs go on)", series: pool(10, 2, blocked + 10), atMinutes: blocked + 3, fires: [] },
    { alert: "NodeRepairBlocked", title: `quiet before ${blocked} min`, series: pool(5, 2, blocked + 10), atMinutes: blocked - 1, fires: [] },
    { alert: "KarpenterNodeRepaired", title: "fires when Karpenter disrupts an unhealthy node claim", series: repaired(bump(4, 20)), atMinutes: 6, fires: [{ labels: { nodepool: "efa-training", condition: "accelerated_hardware_ready" } }] },
    { alert: "KarpenterNodeRepaired", title: "quiet without repairs", series: repaired(flat(0, 20)), atMinutes: 6, fires: [] },
    { alert: "KarpenterNodeRepaired", title: "quiet once the repair is older than 10 minutes", series: repaired(bump(4, 20)), atMinutes: 20, fires: [] },
    { alert: "EfaErrorsReported", title: "fires when the agent reports EFA error counters", series: efa("EFAErrorMetric", bump(4, 20)), atMinutes: 6, fires: [{ labels: { node: NODE } }] },
    { alert: "EfaErrorsReported", title: "quiet on other problems", series: efa("KernelBug", bump(4, 20)), atMinutes: 6, fires: [] },
    { alert: "ReservedCapacityLaunchFailing", title: `fires after ${reserved} min of failing reserved launches`, series: launches("reserved", 1), atMinutes: reserved + 3, fires: [{ labels: { zone: "us-east-1c" } }] },
    { alert: "ReservedCapacityLaunchFailing", title: "quiet on on-demand launch failures", series: launches("on-demand", 1), atMinutes: reserved + 3, fires: [] },
    { alert: "ReservedCapacityLaunchFailing", title: `quiet before ${reserved} min`, series: launches("reserved", 1), atMinutes: reserved - 1, fires: [] },
  ];
}
