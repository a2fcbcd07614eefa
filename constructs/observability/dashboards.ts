import { dashboard, type DashboardSpec } from "./grafana";
import { CAPACITY_RULES_INTERVAL, RECORDED, type SloTargets } from "./rules";

/**
 * The platform's Grafana dashboards: GPU fleet, inference (Triton) and capacity and cost. They read DCGM exporter,
 * Triton, Karpenter and kube-state-metrics series and the platform's recording rules (rules.ts), nothing else.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** DCGM series carry the scraping pod's node as `node` (ServiceMonitor relabeling), joined to the node's NodePool. */
const withNodePool = (metric: string) => `${metric} * on (node) group_left (nodepool) ${RECORDED.nodeInfo}{nodepool=~"$nodepool"}`;

/** Minutes per sample of the capacity recording rules, so `sum_over_time(...) / n` is in hours. */
const SAMPLES_PER_HOUR = 60 / Number(/^(\d+)m$/.exec(CAPACITY_RULES_INTERVAL)?.[1] ?? NaN);

/** GPU fleet: utilization, memory and power per node, pool and namespace; XIDs; allocated-but-idle GPUs. */
export function gpuFleetDashboard(): Json {
  const spec: DashboardSpec = {
    uid: "ml-platform-gpu-fleet",
    title: "ML platform / GPU fleet",
    description: "GPU utilization, memory and power from the DCGM exporter, per node, NodePool and namespace.",
    tags: ["ml-platform", "gpu"],
    variables: [{ name: "nodepool", label: "NodePool", metric: RECORDED.nodeInfo, labelName: "nodepool" }],
    rows: [
      {
        title: "Fleet",
        height: 5,
        panels: [
          { title: "GPUs in the cluster", type: "stat", queries: [{ expr: 'sum(kube_node_status_capacity{resource="nvidia_com_gpu"})', instant: true }] },
          { title: "GPUs allocated to running pods", type: "stat", queries: [{ expr: `sum(${RECORDED.namespaceGpus})`, instant: true }] },
          { title: "Average GPU utilization", type: "stat", unit: "percent", queries: [{ expr: `avg(${withNodePool("DCGM_FI_DEV_GPU_UTIL")})`, instant: true }] },
          {
            title: "GPUs with XID errors",
            type: "stat",
            queries: [{ expr: "count(DCGM_FI_DEV_XID_ERRORS > 0) or vector(0)", instant: true }],
          },
        ],
      },
      {
        title: "Utilization",
        panels: [
          { title: "GPU utilization per node", type: "timeseries", unit: "percent", min: 0, max: 100, queries: [{ expr: `avg by (node) (${withNodePool("DCGM_FI_DEV_GPU_UTIL")})`, legend: "{{node}}" }] },
          { title: "GPU utilization per NodePool", type: "timeseries", unit: "percent", min: 0, max: 100, queries: [{ expr: `avg by (nodepool) (${withNodePool("DCGM_FI_DEV_GPU_UTIL")})`, legend: "{{nodepool}}" }] },
          {
            title: "GPU utilization per namespace",
            type: "timeseries",
            unit: "percent",
            min: 0,
            max: 100,
            description: "GPUs allocated to pods, by the pod's namespace (DCGM's pod mapping).",
            queries: [{ expr: 'avg by (exported_namespace) (DCGM_FI_DEV_GPU_UTIL{exported_namespace!=""})', legend: "{{exported_namespace}}" }],
          },
        ],
      },
      {
        title: "Memory",
        panels: [
          {
            title: "GPU memory used per node",
            type: "timeseries",
            unit: "percent",
            min: 0,
            max: 100,
            queries: [{ expr: `100 * sum by (node) (${withNodePool("DCGM_FI_DEV_FB_USED")}) / sum by (node) (${withNodePool("(DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)")})`, legend: "{{node}}" }],
          },
          {
            title: "GPU memory used per NodePool",
            type: "timeseries",
            unit: "mbytes",
            queries: [{ expr: `sum by (nodepool) (${withNodePool("DCGM_FI_DEV_FB_USED")})`, legend: "{{nodepool}}" }],
          },
          {
            title: "GPU memory used per namespace",
            type: "timeseries",
            unit: "mbytes",
            queries: [{ expr: 'sum by (exported_namespace) (DCGM_FI_DEV_FB_USED{exported_namespace!=""})', legend: "{{exported_namespace}}" }],
          },
        ],
      },
      {
        title: "Power and health",
        panels: [
          { title: "Power draw per node", type: "timeseries", unit: "watt", queries: [{ expr: `sum by (node) (${withNodePool("DCGM_FI_DEV_POWER_USAGE")})`, legend: "{{node}}" }] },
          { title: "Power draw per NodePool", type: "timeseries", unit: "watt", queries: [{ expr: `sum by (nodepool) (${withNodePool("DCGM_FI_DEV_POWER_USAGE")})`, legend: "{{nodepool}}" }] },
          { title: "Power draw per namespace", type: "timeseries", unit: "watt", queries: [{ expr: 'sum by (exported_namespace) (DCGM_FI_DEV_POWER_USAGE{exported_namespace!=""})', legend: "{{exported_namespace}}" }] },
          { title: "Hottest GPU per node", type: "timeseries", unit: "celsius", queries: [{ expr: `max by (node) (${withNodePool("DCGM_FI_DEV_GPU_TEMP")})`, legend: "{{node}}" }] },
        ],
      },
      {
        title: "Allocated but idle",
        panels: [
          {
            title: "Allocated GPUs and their utilization",
            type: "table",
            description: "Every GPU held by a pod, with its current utilization; idle ones are candidates for release.",
            queries: [{ expr: 'sort(DCGM_FI_DEV_GPU_UTIL{exported_pod!=""})', instant: true }],
            unit: "percent",
          },
        ],
      },
    ],
  };
  return dashboard(spec);
}

/** Inference: Triton throughput, latency against the SLO, queue and compute time, batch size and errors per model. */
export function inferenceDashboard(slo: SloTargets): Json {
  const sel = 'namespace=~"$namespace", model=~"$model"';
  const rate = (metric: string) => `sum by (model) (rate(${metric}{${sel}}[$__rate_interval]))`;
  const spec: DashboardSpec = {
    uid: "ml-platform-inference",
    title: "ML platform / Inference",
    description: `Triton per model: throughput, latency against the ${slo.tritonP99LatencyMs} ms p99 objective, queue time, batch size and errors.`,
    tags: ["ml-platform", "inference", "triton"],
    variables: [
      { name: "namespace", label: "Namespace", metric: "nv_inference_request_success", labelName: "namespace" },
      { name: "model", label: "Model", metric: "nv_inference_request_success", labelName: "model" },
    ],
    rows: [
      {
        title: "Traffic",
        panels: [
          { title: "Requests per second", type: "timeseries", unit: "reqps", queries: [{ expr: rate("nv_inference_request_success"), legend: "{{model}}" }] },
          { title: "Inferences per second", type: "timeseries", unit: "short", queries: [{ expr: rate("nv_inference_count"), legend: "{{model}}" }] },
          {
            title: "Average batch size",
            type: "timeseries",
            unit: "short",
            description: "Inferences per execution: how well the dynamic batcher fills batches.",
            queries: [{ expr: `${rate("nv_inference_count")} / ${rate("nv_inference_exec_count")}`, legend: "{{model}}" }],
          },
        ],
      },
      {
        title: "Latency",
        panels: [
          {
            title: "p50 request latency",
            type: "timeseries",
            unit: "µs",
            queries: [{ expr: `max by (model) (nv_inference_request_summary_us{quantile="0.5", ${sel}})`, legend: "{{model}}" }],
          },
          {
            title: "p99 request latency",
            type: "timeseries",
            unit: "µs",
            description: "Worst replica's p99 (Triton summaries), against the SLO.",
            queries: [
              { expr: `max by (model) (${RECORDED.tritonP99}{${sel}})`, legend: "{{model}}" },
              { expr: `vector(${slo.tritonP99LatencyMs * 1000})`, legend: "SLO" },
            ],
          },
          {
            title: "Average request latency",
            type: "timeseries",
            unit: "µs",
            description: "From Triton's cumulative counters; available even without summaries.",
            queries: [{ expr: `${rate("nv_inference_request_duration_us")} / ${rate("nv_inference_request_success")}`, legend: "{{model}}" }],
          },
        ],
      },
      {
        title: "Queue and compute",
        panels: [
          {
            title: "Queue time per request",
            type: "timeseries",
            unit: "µs",
            queries: [{ expr: `${rate("nv_inference_queue_duration_us")} / ${rate("nv_inference_request_success")}`, legend: "{{model}}" }],
          },
          {
            title: "Compute time per execution",
            type: "timeseries",
            unit: "µs",
            queries: [{ expr: `${rate("nv_inference_compute_infer_duration_us")} / ${rate("nv_inference_exec_count")}`, legend: "{{model}}" }],
          },
          { title: "Pending requests", type: "timeseries", unit: "short", queries: [{ expr: `sum by (model) (nv_inference_pending_request_count{${sel}})`, legend: "{{model}}" }] },
        ],
      },
      {
        title: "Errors",
        panels: [
          {
            title: "Failed requests per second",
            type: "timeseries",
            unit: "reqps",
            queries: [{ expr: `sum by (model, reason) (rate(nv_inference_request_failure{${sel}}[$__rate_interval]))`, legend: "{{model}} {{reason}}" }],
          },
          {
            title: "Error ratio",
            type: "timeseries",
            unit: "percentunit",
            queries: [{ expr: `${rate("nv_inference_request_failure")} / (${rate("nv_inference_request_success")} + ${rate("nv_inference_request_failure")})`, legend: "{{model}}" }],
          },
          {
            title: "Error budget burn rate (1h)",
            type: "timeseries",
            unit: "short",
            description: `1 burns the ${100 - slo.tritonAvailabilityPercent}% monthly budget exactly in 30 days; 14.4 pages.`,
            queries: [{ expr: `max by (model) (${RECORDED.tritonErrorRatio("1h")}{${sel}}) / ${Number((1 - slo.tritonAvailabilityPercent / 100).toPrecision(6))}`, legend: "{{model}}" }],
          },
        ],
      },
    ],
  };
  return dashboard(spec);
}

/** Capacity and cost: GPU-hours by team, pool and capacity type; NodePool usage against limits; spend estimate. */
export function capacityCostDashboard(): Json {
  const hours = (rule: string, by: string) => `sum by (${by}) (sum_over_time(${rule}[$__range])) / ${SAMPLES_PER_HOUR}`;
  const spec: DashboardSpec = {
    uid: "ml-platform-capacity-cost",
    title: "ML platform / Capacity and cost",
    description:
      "GPU-hours by team (namespace label `team`), by NodePool and by capacity type over the selected range, NodePool usage against limits, and Karpenter's hourly price estimate of running nodes (not a billing source).",
    tags: ["ml-platform", "cost", "capacity"],
    from: "now-7d",
    rows: [
      {
        title: "GPU-hours in the selected range",
        height: 9,
        panels: [
          { title: "Allocated GPU-hours by team", type: "bargauge", unit: "h", queries: [{ expr: hours(RECORDED.teamGpus, "team"), legend: "{{team}}", instant: true }] },
          { title: "Provisioned GPU-hours by NodePool", type: "bargauge", unit: "h", queries: [{ expr: hours(RECORDED.nodepoolGpuCapacity, "nodepool"), legend: "{{nodepool}}", instant: true }] },
          { title: "Provisioned GPU-hours by capacity type", type: "bargauge", unit: "h", queries: [{ expr: hours(RECORDED.nodepoolGpuCapacity, "capacity_type"), legend: "{{capacity_type}}", instant: true }] },
        ],
      },
      {
        title: "GPUs over time",
        panels: [
          { title: "GPUs allocated by team", type: "timeseries", queries: [{ expr: `sum by (team) (${RECORDED.teamGpus})`, legend: "{{team}}" }] },
          { title: "GPUs provisioned by NodePool and capacity type", type: "timeseries", queries: [{ expr: `sum by (nodepool, capacity_type) (${RECORDED.nodepoolGpuCapacity})`, legend: "{{nodepool}} {{capacity_type}}" }] },
        ],
      },
      {
        title: "NodePool limits",
        panels: [
          {
            title: "NodePool usage against limits",
            type: "bargauge",
            unit: "percent",
            min: 0,
            max: 100,
            queries: [{ expr: "100 * karpenter_nodepools_usage / on (nodepool, resource_type) (karpenter_nodepools_limit > 0)", legend: "{{nodepool}} {{resource_type}}", instant: true }],
          },
          {
            title: "NodePool usage and limits",
            type: "table",
            queries: [
              { expr: "sum by (nodepool, resource_type) (karpenter_nodepools_usage)", instant: true },
              { expr: "sum by (nodepool, resource_type) (karpenter_nodepools_limit)", instant: true },
            ],
          },
        ],
      },
      {
        title: "Spend estimate (Karpenter prices)",
        panels: [
          { title: "Running nodes, USD per hour, by NodePool", type: "timeseries", unit: "currencyUSD", queries: [{ expr: `sum by (nodepool) (${RECORDED.nodepoolPrice})`, legend: "{{nodepool}}" }] },
          { title: "Estimated spend in the range by NodePool", type: "bargauge", unit: "currencyUSD", queries: [{ expr: hours(RECORDED.nodepoolPrice, "nodepool"), legend: "{{nodepool}}", instant: true }] },
          {
            title: "Insufficient-capacity launch failures (per offering)",
            type: "timeseries",
            unit: "short",
            queries: [{ expr: "sum by (capacity_type, zone, reason) (increase(karpenter_cloudprovider_instance_launch_failures_total[$__rate_interval]))", legend: "{{capacity_type}} {{zone}} {{reason}}" }],
          },
        ],
      },
    ],
  };
  return dashboard(spec);
}

/** Every dashboard, keyed by a short name used in its ConfigMap's name. */
export function platformDashboards(slo: SloTargets): Record<string, Json> {
  return { "gpu-fleet": gpuFleetDashboard(), inference: inferenceDashboard(slo), "capacity-cost": capacityCostDashboard() };
}
