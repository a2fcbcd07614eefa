import { CAPACITY_RULES_INTERVAL, RECORDED, type AlertingRule, type RuleGroup } from "../observability/rules";
import { PIPELINES_NAMESPACE, PIPELINES_QUEUE } from "./names";

/**
 * Recording rules and alerts of the teams' queues: GPU cost per namespace, team and ClusterQueue from the running pods'
 * GPU requests and Karpenter's price estimate of their nodes (the same source as the capacity dashboard; OpenCost's
 * allocation view groups by the same `team` label), idle GPUs held by a queue's workloads, and three alerts. Kueue's
 * metrics come from Kueue 0.19.2 (site/content/en/docs/reference/metrics.md; the ClusterQueue quota series need
 * `metrics.enableClusterQueueResources`, which the manager configuration sets).
 */

/** Thresholds of the queue alerts (`teams.alerts`, and the GPU idle threshold of `observability.alerts.gpuIdle`). */
export interface QueueAlertThresholds {
  readonly pendingMinutes: number;
  readonly borrowingLimitHours: number;
  readonly gpuIdle: { readonly utilizationPercent: number; readonly forMinutes: number };
}

/** Series the queue rules record, read by the teams dashboard. */
export const QUEUE_RECORDED = {
  gpuPrice: "node:gpu_price_usd_per_hour:max",
  namespaceGpuCost: "namespace:gpu_cost_usd_per_hour:sum",
  teamGpuCost: "team:gpu_cost_usd_per_hour:sum",
  namespaceIdleGpus: "namespace:gpus_idle:sum",
  namespaceIdleGpuCost: "namespace:gpu_idle_cost_usd_per_hour:sum",
  teamIdleGpuCost: "team:gpu_idle_cost_usd_per_hour:sum",
  queueGpuUsage: "cluster_queue:gpu_usage:max",
  queueGpuCost: "cluster_queue:gpu_cost_usd_per_hour:sum",
  queueIdleGpus: "cluster_queue:gpus_idle:sum",
  queueIdleGpuCost: "cluster_queue:gpu_idle_cost_usd_per_hour:sum",
} as const;

const GPU = 'resource="nvidia.com/gpu"';

/** A namespace series as its ClusterQueue's: team namespaces are named like their queue; `kubeflow` feeds `pipelines`. */
function byQueue(expr: string): string {
  const queue = `label_replace(label_replace(${expr}, "cluster_queue", "$1", "namespace", "(.+)"), "cluster_queue", "${PIPELINES_QUEUE}", "namespace", "${PIPELINES_NAMESPACE}")`;
  // Only namespaces that have a queue: Kueue reports a status series for every ClusterQueue.
  return `sum by (cluster_queue) (${queue} * on (cluster_queue) group_left () max by (cluster_queue) (kueue_cluster_queue_status > bool -1))`;
}

/** A namespace series summed by the namespace's `team` label (namespaces without one are "unlabelled"). */
function byTeam(expr: string): string {
  return `label_replace(sum by (team) (${expr} * on (namespace) group_left (team) max by (namespace, team) (label_replace(kube_namespace_labels, "team", "$1", "label_team", "(.*)"))), "team", "unlabelled", "team", "")`;
}

function queueRecordingRules(idlePercent: number): RuleGroup {
  const runningGpus = `sum by (namespace, pod, node) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"}) * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{phase="Running"} == 1)`;
  const idleGpus = `label_replace(DCGM_FI_DEV_GPU_UTIL{exported_namespace!=""} < bool ${idlePercent}, "namespace", "$1", "exported_namespace", "(.+)")`;
  return {
    name: "ml-platform.queues.recording",
    interval: CAPACITY_RULES_INTERVAL,
    rules: [
      {
        // One GPU's share of its node's hourly price (Karpenter's estimate per offering; not a billing source).
        record: QUEUE_RECORDED.gpuPrice,
        expr: `max by (node) (${RECORDED.nodeInfo} * on (instance_type, capacity_type, zone) group_left () max by (instance_type, capacity_type, zone) (karpenter_cloudprovider_instance_type_offering_price_estimate)) / on (node) max by (node) (kube_node_status_capacity{resource="nvidia_com_gpu"} > 0)`,
      },
      { record: QUEUE_RECORDED.namespaceGpuCost, expr: `sum by (namespace) (${runningGpus} * on (node) group_left () ${QUEUE_RECORDED.gpuPrice})` },
      { record: QUEUE_RECORDED.teamGpuCost, expr: byTeam(QUEUE_RECORDED.namespaceGpuCost) },
      { record: QUEUE_RECORDED.namespaceIdleGpus, expr: `sum by (namespace) (${idleGpus})` },
      { record: QUEUE_RECORDED.namespaceIdleGpuCost, expr: `sum by (namespace) (${idleGpus} * on (node) group_left () ${QUEUE_RECORDED.gpuPrice})` },
      { record: QUEUE_RECORDED.teamIdleGpuCost, expr: byTeam(QUEUE_RECORDED.namespaceIdleGpuCost) },
      // Kueue's view: GPUs its admitted workloads use, per ClusterQueue (the leader replica reports; max drops duplicates).
      { record: QUEUE_RECORDED.queueGpuUsage, expr: `max by (cluster_queue) (sum by (cluster_queue, instance) (kueue_cluster_queue_resource_usage{${GPU}}))` },
      { record: QUEUE_RECORDED.queueGpuCost, expr: byQueue(QUEUE_RECORDED.namespaceGpuCost) },
      { record: QUEUE_RECORDED.queueIdleGpus, expr: byQueue(QUEUE_RECORDED.namespaceIdleGpus) },
      { record: QUEUE_RECORDED.queueIdleGpuCost, expr: byQueue(QUEUE_RECORDED.namespaceIdleGpuCost) },
    ],
  };
}

function alert(name: string, expr: string, forMinutes: number, summary: string, description: string): AlertingRule {
  return { alert: name, expr, for: `${forMinutes}m`, labels: { severity: "warning", component: "queues" }, annotations: { summary, description } };
}

function queueAlerts(t: QueueAlertThresholds): RuleGroup {
  const max = (metric: string, by: string) => `max by (${by}) (sum by (${by}, instance) (${metric}))`;
  const idle = t.gpuIdle;
  return {
    name: "ml-platform.queues",
    rules: [
      alert(
        "QueueWorkloadsPendingWhileQuotaUnused",
        `${max("kueue_pending_workloads", "cluster_queue")} > 0 and on () (sum(${max(`kueue_cluster_queue_nominal_quota{${GPU}}`, "cluster_queue, flavor")}) - sum(${max(`kueue_cluster_queue_resource_usage{${GPU}}`, "cluster_queue, flavor")}) > 0)`,
        t.pendingMinutes,
        "{{ $value }} workloads of queue {{ $labels.cluster_queue }} are pending while GPU quota in the cohort is unused",
        `They have waited over ${t.pendingMinutes} minutes although some queue's nominal GPU quota is free. Check the GPU type and pool the jobs ask for (a flavor the queue has no quota for), the queue's borrowing limits, and evictions for pods not ready in time (Karpenter could not launch the nodes).`,
      ),
      alert(
        "ClusterQueueAtBorrowingLimit",
        `${max(`kueue_cluster_queue_resource_usage{${GPU}}`, "cluster_queue, flavor")} >= ${max(`kueue_cluster_queue_nominal_quota{${GPU}}`, "cluster_queue, flavor")} + ${max(`kueue_cluster_queue_borrowing_limit{${GPU}}`, "cluster_queue, flavor")} and ${max(`kueue_cluster_queue_borrowing_limit{${GPU}}`, "cluster_queue, flavor")} > 0`,
        t.borrowingLimitHours * 60,
        "Queue {{ $labels.cluster_queue }} uses all it may borrow of {{ $labels.flavor }} ({{ $value }} GPUs)",
        `Its usage has stayed at its nominal quota plus its borrowing limit for ${t.borrowingLimitHours} hours: its demand is structural. Raise its quota (teams in the environment file) rather than rely on borrowing, which other teams reclaim.`,
      ),
      alert(
        "QueueReservedGpusIdle",
        `${QUEUE_RECORDED.queueIdleGpus} > 0 and on (cluster_queue) ${max(`kueue_cluster_queue_resource_reservation{${GPU}}`, "cluster_queue")} > 0`,
        idle.forMinutes,
        "{{ $value }} GPUs reserved by queue {{ $labels.cluster_queue }} are idle",
        `GPUs its admitted workloads hold have stayed under ${Number(idle.utilizationPercent.toPrecision(6))}% utilization for ${idle.forMinutes} minutes; they count against the cohort while other teams' workloads may wait. Find the pods on the teams dashboard and stop or scale them down.`,
      ),
    ],
  };
}

/** The queue rule groups, recording first. */
export function queueRuleGroups(t: QueueAlertThresholds): RuleGroup[] {
  return [queueRecordingRules(t.gpuIdle.utilizationPercent), queueAlerts(t)];
}
