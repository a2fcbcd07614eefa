import { dashboard, type DashboardSpec } from "../observability/grafana";
import { CAPACITY_RULES_INTERVAL, RECORDED } from "../observability/rules";
import { QUEUE_RECORDED } from "./queue-rules";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Samples per hour of the recording rules, so `sum_over_time(...) / n` is in hours (USD-hours for prices). */
const SAMPLES_PER_HOUR = 60 / Number(/^(\d+)m$/.exec(CAPACITY_RULES_INTERVAL)?.[1] ?? NaN);

const GPU = 'resource="nvidia.com/gpu"';
const QUEUE = 'cluster_queue=~"$cluster_queue"';
/** One value per ClusterQueue (and flavor) even with two Kueue replicas reporting. */
const perQueue = (metric: string, by = "cluster_queue, flavor") => `max by (${by}) (sum by (${by}, instance) (${metric}))`;

/**
 * Teams and queues: GPU-hours, GPU cost and idle GPU cost per team and per ClusterQueue over the selected range, each
 * ClusterQueue's GPU usage against its nominal quota and borrowing limit, pending workloads, admission wait time and
 * preemptions. Costs use Karpenter's price estimate of the nodes the pods run on (not a bill); OpenCost's allocation
 * view (`aggregate=label:team`) gives the full picture with CPU, memory and storage.
 */
export function teamsDashboard(): Json {
  const range = (rule: string, by: string) => `sum by (${by}) (sum_over_time(${rule}[$__range])) / ${SAMPLES_PER_HOUR}`;
  const spec: DashboardSpec = {
    uid: "ml-platform-teams",
    title: "ML platform / Teams and queues",
    description:
      "GPU-hours and GPU cost per team (namespace label `team`) and per Kueue ClusterQueue, idle GPUs they hold, quota against usage, pending workloads and wait time. Costs are Karpenter's price estimate of the nodes, not a bill.",
    tags: ["ml-platform", "teams", "queues", "cost"],
    from: "now-7d",
    variables: [{ name: "cluster_queue", label: "ClusterQueue", metric: "kueue_cluster_queue_status", labelName: "cluster_queue" }],
    rows: [
      {
        title: "Per team, in the selected range",
        height: 9,
        panels: [
          { title: "GPU-hours by team", type: "bargauge", unit: "h", queries: [{ expr: range(RECORDED.teamGpus, "team"), legend: "{{team}}", instant: true }] },
          { title: "GPU cost by team", type: "bargauge", unit: "currencyUSD", queries: [{ expr: range(QUEUE_RECORDED.teamGpuCost, "team"), legend: "{{team}}", instant: true }] },
          {
            title: "Idle GPU cost by team",
            type: "bargauge",
            unit: "currencyUSD",
            description: "GPUs held by the team's pods while under the environment's GPU idle threshold.",
            queries: [{ expr: range(QUEUE_RECORDED.teamIdleGpuCost, "team"), legend: "{{team}}", instant: true }],
          },
        ],
      },
      {
        title: "Per queue, in the selected range",
        height: 9,
        panels: [
          { title: "GPU-hours by queue (Kueue usage)", type: "bargauge", unit: "h", queries: [{ expr: range(`${QUEUE_RECORDED.queueGpuUsage}{${QUEUE}}`, "cluster_queue"), legend: "{{cluster_queue}}", instant: true }] },
          { title: "GPU cost by queue", type: "bargauge", unit: "currencyUSD", queries: [{ expr: range(`${QUEUE_RECORDED.queueGpuCost}{${QUEUE}}`, "cluster_queue"), legend: "{{cluster_queue}}", instant: true }] },
          { title: "Idle GPU cost by queue", type: "bargauge", unit: "currencyUSD", queries: [{ expr: range(`${QUEUE_RECORDED.queueIdleGpuCost}{${QUEUE}}`, "cluster_queue"), legend: "{{cluster_queue}}", instant: true }] },
        ],
      },
      {
        title: "Quota and usage",
        panels: [
          {
            title: "GPUs in use against nominal quota and borrowing limit",
            type: "timeseries",
            queries: [
              { expr: perQueue(`kueue_cluster_queue_resource_usage{${GPU}, ${QUEUE}}`), legend: "{{cluster_queue}} {{flavor}} used" },
              { expr: perQueue(`kueue_cluster_queue_nominal_quota{${GPU}, ${QUEUE}}`), legend: "{{cluster_queue}} {{flavor}} nominal" },
              { expr: `${perQueue(`kueue_cluster_queue_nominal_quota{${GPU}, ${QUEUE}}`)} + ${perQueue(`kueue_cluster_queue_borrowing_limit{${GPU}, ${QUEUE}}`)}`, legend: "{{cluster_queue}} {{flavor}} nominal + borrowing limit" },
            ],
          },
          {
            title: "Quota per queue and flavor",
            type: "table",
            queries: [
              { expr: perQueue(`kueue_cluster_queue_nominal_quota{${GPU}, ${QUEUE}}`), instant: true },
              { expr: perQueue(`kueue_cluster_queue_borrowing_limit{${GPU}, ${QUEUE}}`), instant: true },
              { expr: perQueue(`kueue_cluster_queue_lending_limit{${GPU}, ${QUEUE}}`), instant: true },
              { expr: perQueue(`kueue_cluster_queue_resource_usage{${GPU}, ${QUEUE}}`), instant: true },
            ],
          },
          {
            title: "Fair-sharing weighted share",
            type: "timeseries",
            description: "0 while a queue stays within its nominal quota; the higher, the more it borrows relative to its weight.",
            queries: [{ expr: perQueue(`kueue_cluster_queue_weighted_share{${QUEUE}}`, "cluster_queue"), legend: "{{cluster_queue}}" }],
          },
        ],
      },
      {
        title: "Waiting",
        panels: [
          { title: "Pending workloads", type: "timeseries", queries: [{ expr: perQueue(`kueue_pending_workloads{${QUEUE}}`, "cluster_queue, status"), legend: "{{cluster_queue}} {{status}}" }] },
          {
            title: "Admission wait time, p90",
            type: "timeseries",
            unit: "s",
            queries: [{ expr: `histogram_quantile(0.9, sum by (cluster_queue, le) (rate(kueue_admission_wait_time_seconds_bucket{${QUEUE}}[$__rate_interval])))`, legend: "{{cluster_queue}}" }],
          },
          {
            title: "Evictions by reason",
            type: "timeseries",
            description: "Preempted: reclaimed or outranked; PodsReadyTimeout: pods not ready in time (nodes or image pulls too slow).",
            queries: [{ expr: `sum by (cluster_queue, reason) (increase(kueue_evicted_workloads_total{${QUEUE}}[$__rate_interval]))`, legend: "{{cluster_queue}} {{reason}}" }],
          },
          { title: "GPUs held idle now", type: "bargauge", queries: [{ expr: `${QUEUE_RECORDED.queueIdleGpus}{${QUEUE}}`, legend: "{{cluster_queue}}", instant: true }] },
        ],
      },
    ],
  };
  return dashboard(spec);
}
