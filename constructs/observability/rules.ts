import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * The platform's PrometheusRule: alerts for GPUs, Triton, Karpenter and nodes with thresholds from the environment,
 * Triton's SLO burn-rate alerts, and the recording rules the alerts and dashboards read. Metric names come only from
 * exporters this platform deploys: DCGM exporter 4.8.2 (the chart's default counters), Triton 2.72 (r26.08),
 * Karpenter 1.14, kube-state-metrics 2.20. The tests parse every expression with Prometheus's grammar and
 * `npm run verify` checks and unit-tests the rendered rules with promtool; nothing parses PromQL at synth time.
 */

/** Thresholds of the alerts (the environment's `observability.alerts`). */
export interface AlertThresholds {
  readonly gpuIdle: { readonly utilizationPercent: number; readonly forMinutes: number };
  readonly gpuMemoryNearFull: { readonly usedPercent: number; readonly forMinutes: number };
  readonly tritonLatency: { readonly forMinutes: number };
  readonly tritonQueue: { readonly queueMilliseconds: number; readonly forMinutes: number };
  readonly karpenterLaunchFailure: { readonly forMinutes: number };
  readonly nodePoolNearLimit: { readonly usedPercent: number; readonly forMinutes: number };
  readonly gpuPodPending: { readonly forMinutes: number };
  readonly nodeNotReady: { readonly forMinutes: number };
}

/** Service level objectives of inference (the environment's `observability.slo`). */
export interface SloTargets {
  readonly tritonAvailabilityPercent: number;
  readonly tritonP99LatencyMs: number;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: "critical" | "warning" | "info"; readonly component: string };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval; recording rules summed over time (GPU-hours) need a fixed one. */
  readonly interval?: string;
  readonly rules: ReadonlyArray<AlertingRule | RecordingRule>;
}

/**
 * XIDs that mean the GPU needs draining or replacement: 48 double-bit ECC, 63/64 row-remapping event/failure,
 * 74 NVLink error, 79 fallen off the bus, 92 high single-bit ECC rate, 94/95 contained/uncontained ECC error,
 * 119 GSP RPC timeout (GPU reset required), 154 GPU recovery action changed (the driver asks for a reset, a reboot or a
 * drain). The node monitoring agent reports the same faults as AcceleratedHardwareReady=False, which node repair acts on.
 * @see https://docs.nvidia.com/deploy/xid-errors/
 */
export const CRITICAL_XIDS = [48, 63, 64, 74, 79, 92, 94, 95, 119, 154] as const;

/**
 * Multi-window, multi-burn-rate alerting for a 30-day error budget: page when 2% of the budget burns in 1 hour or 5%
 * in 6 hours, ticket when 10% burns in 3 days (Google SRE Workbook, "Alerting on SLOs", table 5-8).
 */
export const BURN_RATE_WINDOWS = [
  { severity: "critical", long: "1h", short: "5m", factor: 14.4 },
  { severity: "critical", long: "6h", short: "30m", factor: 6 },
  { severity: "warning", long: "1d", short: "2h", factor: 3 },
  { severity: "warning", long: "3d", short: "6h", factor: 1 },
] as const;

/** Evaluation interval of the capacity recording rules; GPU-hours are `sum_over_time(<rule>[range]) / 60`. */
export const CAPACITY_RULES_INTERVAL = "1m";

/** Recording rules other code (dashboards) reads. */
export const RECORDED = {
  nodeInfo: "node:pool_labels:info",
  namespaceGpus: "namespace:gpu_allocated:sum",
  teamGpus: "team:gpu_allocated:sum",
  nodepoolGpuCapacity: "nodepool_capacity_type:gpu_capacity:sum",
  nodepoolPrice: "nodepool_capacity_type:node_price_usd_per_hour:sum",
  tritonErrorRatio: (window: string) => `triton:request_error_ratio:rate${window}`,
  tritonP99: "triton:request_latency_p99_us:max",
  tritonQueuePerRequest: "triton:queue_duration_us_per_request:rate5m",
} as const;

/** Rounds away float noise (14.4 * 0.001 = 0.014400000000000001) so rules read as written. */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`rule thresholds must be finite numbers, got ${x}`);
  return String(Number(x.toPrecision(6)));
}

function alert(
  name: string,
  severity: AlertingRule["labels"]["severity"],
  component: string,
  expr: string,
  forMinutes: number | undefined,
  summary: string,
  description: string,
): AlertingRule {
  return { alert: name, expr, ...(forMinutes ? { for: `${forMinutes}m` } : {}), labels: { severity, component }, annotations: { summary, description } };
}

/**
 * One series per node naming its pool and how it was bought, from kube-state-metrics' node labels (`label_<key>`):
 * `nodepool` from `node.ml-platform.io/pool` (every pool, Karpenter or managed node group, sets it; Karpenter
 * NodePools are named alike), `capacity_type` from Karpenter's `karpenter.sh/capacity-type` or, on managed node
 * groups, `eks.amazonaws.com/capacityType` translated to Karpenter's values, plus `instance_type` and `zone`.
 */
function nodeLabelInfo(): string {
  const copies: Array<[dst: string, replacement: string, src: string, regex: string]> = [
    ["nodepool", "$1", "label_node_ml_platform_io_pool", "(.+)"],
    ["capacity_type", "on-demand", "label_eks_amazonaws_com_capacity_type", "ON_DEMAND"],
    ["capacity_type", "spot", "label_eks_amazonaws_com_capacity_type", "SPOT"],
    ["capacity_type", "reserved", "label_eks_amazonaws_com_capacity_type", "CAPACITY_BLOCK"],
    ["capacity_type", "$1", "label_karpenter_sh_capacity_type", "(.+)"],
    ["instance_type", "$1", "label_node_kubernetes_io_instance_type", "(.+)"],
    ["zone", "$1", "label_topology_kubernetes_io_zone", "(.+)"],
  ];
  const replaced = copies.reduce((inner, [dst, rep, src, re]) => `label_replace(${inner}, "${dst}", "${rep}", "${src}", "${re}")`, "kube_node_labels");
  return `max by (node, nodepool, capacity_type, instance_type, zone) (${replaced})`;
}

function gpuRules(t: AlertThresholds): RuleGroup {
  const idle = t.gpuIdle;
  const mem = t.gpuMemoryNearFull;
  return {
    name: "ml-platform.gpu",
    rules: [
      alert(
        "GpuAllocatedButIdle",
        "warning",
        "gpu",
        `DCGM_FI_DEV_GPU_UTIL{exported_pod!=""} < ${num(idle.utilizationPercent)}`,
        idle.forMinutes,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} is allocated to {{ $labels.exported_namespace }}/{{ $labels.exported_pod }} but idle",
        `Utilization has stayed under ${num(idle.utilizationPercent)}% for ${idle.forMinutes} minutes (now {{ $value }}%). Scale the workload down or release the GPU.`,
      ),
      alert(
        "GpuXidError",
        "warning",
        "gpu",
        "DCGM_FI_DEV_XID_ERRORS > 0",
        undefined,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} reported XID {{ $value }}",
        "The driver reported an XID error. Application XIDs (13, 31, 43) point at the workload; see NVIDIA's XID catalog before draining the node.",
      ),
      alert(
        "GpuCriticalXidError",
        "critical",
        "gpu",
        CRITICAL_XIDS.map((x) => `DCGM_FI_DEV_XID_ERRORS == ${x}`).join(" or "),
        undefined,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} reported hardware XID {{ $value }}",
        "XID {{ $value }} indicates a memory, NVLink, bus or GSP fault. With node repair on, the node monitoring agent marks the node AcceleratedHardwareReady=False and it is replaced after 10 minutes (KarpenterNodeRepaired follows); otherwise cordon and drain it so Karpenter replaces it.",
      ),
      alert(
        "GpuUncorrectableEccErrors",
        "critical",
        "gpu",
        "increase(DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS[1h]) > 0",
        undefined,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} remapped rows after uncorrectable ECC errors",
        "Uncorrectable ECC errors forced row remapping; the GPU needs a reset. Drain the node.",
      ),
      alert(
        "GpuRowRemapFailure",
        "critical",
        "gpu",
        "DCGM_FI_DEV_ROW_REMAP_FAILURE > 0",
        undefined,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} failed to remap rows after ECC errors",
        "Row remapping failed: the GPU's memory is unreliable. Drain the node and have the instance replaced.",
      ),
      alert(
        "GpuMemoryNearFull",
        "warning",
        "gpu",
        `100 * DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > ${num(mem.usedPercent)}`,
        mem.forMinutes,
        "GPU {{ $labels.gpu }} on {{ $labels.node }} memory is {{ $value | humanize }}% used",
        `Framebuffer use has stayed over ${num(mem.usedPercent)}% for ${mem.forMinutes} minutes; the next allocation may fail with out-of-memory.`,
      ),
    ],
  };
}

function tritonRecordingRules(): RuleGroup {
  const by = "sum by (namespace, model)";
  const windows = [...new Set(BURN_RATE_WINDOWS.flatMap((w) => [w.short, w.long]))];
  return {
    name: "ml-platform.triton.recording",
    rules: [
      ...windows.map((w) => ({
        record: RECORDED.tritonErrorRatio(w),
        expr: `${by} (rate(nv_inference_request_failure[${w}])) / (${by} (rate(nv_inference_request_success[${w}])) + ${by} (rate(nv_inference_request_failure[${w}])))`,
      })),
      // Summary quantiles cannot be aggregated; the worst replica is an upper bound of the model's p99.
      { record: RECORDED.tritonP99, expr: 'max by (namespace, model) (nv_inference_request_summary_us{quantile="0.99"})' },
      { record: RECORDED.tritonQueuePerRequest, expr: `${by} (rate(nv_inference_queue_duration_us[5m])) / ${by} (rate(nv_inference_request_success[5m]))` },
    ],
  };
}

function tritonRules(t: AlertThresholds, slo: SloTargets): RuleGroup {
  const budget = 1 - slo.tritonAvailabilityPercent / 100;
  const burn = (severity: string) =>
    BURN_RATE_WINDOWS.filter((w) => w.severity === severity)
      .map((w) => `(${RECORDED.tritonErrorRatio(w.long)} > ${num(w.factor * budget)} and ${RECORDED.tritonErrorRatio(w.short)} > ${num(w.factor * budget)})`)
      .join(" or ");
  const queueUs = t.tritonQueue.queueMilliseconds * 1000;
  return {
    name: "ml-platform.triton",
    rules: [
      alert(
        "TritonErrorBudgetBurnFast",
        "critical",
        "inference",
        burn("critical"),
        2,
        "Triton model {{ $labels.namespace }}/{{ $labels.model }} is burning its error budget fast",
        `The error ratio ({{ $value | humanizePercentage }}) would exhaust the ${num(100 - slo.tritonAvailabilityPercent)}% monthly error budget within days (burn rate 14.4 over 1h or 6 over 6h).`,
      ),
      alert(
        "TritonErrorBudgetBurnSlow",
        "warning",
        "inference",
        burn("warning"),
        15,
        "Triton model {{ $labels.namespace }}/{{ $labels.model }} is steadily burning its error budget",
        `The error ratio ({{ $value | humanizePercentage }}) burns the ${num(100 - slo.tritonAvailabilityPercent)}% monthly error budget faster than it accrues (burn rate 3 over 1d or 1 over 3d).`,
      ),
      alert(
        "TritonP99LatencyOverSlo",
        "critical",
        "inference",
        `${RECORDED.tritonP99} > ${slo.tritonP99LatencyMs * 1000}`,
        t.tritonLatency.forMinutes,
        "Triton model {{ $labels.namespace }}/{{ $labels.model }} p99 latency is over its SLO",
        `p99 request latency is {{ $value | humanize }}µs, over the ${slo.tritonP99LatencyMs} ms objective for ${t.tritonLatency.forMinutes} minutes.`,
      ),
      alert(
        "TritonQueueTimeGrowing",
        "warning",
        "inference",
        `${RECORDED.tritonQueuePerRequest} > ${queueUs} and deriv(${RECORDED.tritonQueuePerRequest}[15m]) > 0`,
        t.tritonQueue.forMinutes,
        "Triton model {{ $labels.namespace }}/{{ $labels.model }} requests queue longer and longer",
        `Average queue time per request is {{ $value | humanize }}µs (over ${t.tritonQueue.queueMilliseconds} ms) and still rising after ${t.tritonQueue.forMinutes} minutes: replicas or GPU capacity are not keeping up.`,
      ),
    ],
  };
}

function karpenterRules(t: AlertThresholds): RuleGroup {
  const f = t.karpenterLaunchFailure.forMinutes;
  const lim = t.nodePoolNearLimit;
  return {
    name: "ml-platform.karpenter",
    rules: [
      alert(
        "KarpenterNodeClaimLaunchFailing",
        "warning",
        "capacity",
        'sum by (controller, error) (rate(karpenter_cloudprovider_errors_total{method="Create", error!="InsufficientCapacityError"}[5m])) > 0',
        f,
        "Karpenter fails to launch node claims ({{ $labels.error }})",
        `Create calls to EC2 have failed for ${f} minutes. Check the NodeClaim events and the EC2NodeClass status (subnets, security groups, AMI, instance profile).`,
      ),
      alert(
        "KarpenterInsufficientCapacity",
        "warning",
        "capacity",
        'sum by (controller) (rate(karpenter_cloudprovider_errors_total{method="Create", error="InsufficientCapacityError"}[5m])) > 0',
        f,
        "Karpenter cannot get capacity for its node claims",
        `EC2 has reported insufficient capacity for every offering Karpenter tried for ${f} minutes. Widen the NodePool's instance types, zones or capacity types, or reserve capacity.`,
      ),
      alert(
        "KarpenterNodePoolNearLimit",
        "warning",
        "capacity",
        `100 * karpenter_nodepools_usage / on (nodepool, resource_type) (karpenter_nodepools_limit > 0) > ${num(lim.usedPercent)}`,
        lim.forMinutes,
        "NodePool {{ $labels.nodepool }} uses {{ $value | humanize }}% of its {{ $labels.resource_type }} limit",
        `Over ${num(lim.usedPercent)}% of the limit for ${lim.forMinutes} minutes: new pods will stay pending once it is reached. Raise the limit in the environment's compute settings if the demand is expected.`,
      ),
    ],
  };
}

function kubernetesRules(t: AlertThresholds): RuleGroup {
  return {
    name: "ml-platform.kubernetes",
    rules: [
      alert(
        "GpuPodPending",
        "warning",
        "capacity",
        'sum by (namespace, pod) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"}) > 0 and on (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1)',
        t.gpuPodPending.forMinutes,
        "GPU pod {{ $labels.namespace }}/{{ $labels.pod }} (requesting {{ $value }} GPUs) is still pending",
        `The pod has waited over ${t.gpuPodPending.forMinutes} minutes for GPUs. Check Karpenter's launch errors, the NodePool limits and the pod's node selector and tolerations.`,
      ),
      alert(
        "NodeNotReady",
        "warning",
        "kubernetes",
        'max by (node) (kube_node_status_condition{condition="Ready", status="true"}) == 0',
        t.nodeNotReady.forMinutes,
        "Node {{ $labels.node }} is not ready",
        `The node has not been Ready for ${t.nodeNotReady.forMinutes} minutes. Karpenter replaces unhealthy nodes it owns; system nodes need the managed node group checked.`,
      ),
    ],
  };
}

function capacityRecordingRules(): RuleGroup {
  return {
    name: "ml-platform.capacity.recording",
    interval: CAPACITY_RULES_INTERVAL,
    rules: [
      { record: RECORDED.nodeInfo, expr: nodeLabelInfo() },
      {
        record: RECORDED.namespaceGpus,
        expr: 'sum by (namespace) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"} * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{phase="Running"} == 1))',
      },
      {
        // Namespaces without a team label are reported as team "unlabelled" rather than dropped.
        record: RECORDED.teamGpus,
        expr: `label_replace(sum by (team) (${RECORDED.namespaceGpus} * on (namespace) group_left (team) max by (namespace, team) (label_replace(kube_namespace_labels, "team", "$1", "label_team", "(.*)"))), "team", "unlabelled", "team", "")`,
      },
      {
        record: RECORDED.nodepoolGpuCapacity,
        expr: `sum by (nodepool, capacity_type) (kube_node_status_capacity{resource="nvidia_com_gpu"} * on (node) group_left (nodepool, capacity_type) ${RECORDED.nodeInfo})`,
      },
      {
        // Karpenter's own price estimate per offering (not a billing source): USD per hour of the running nodes.
        record: RECORDED.nodepoolPrice,
        expr: `sum by (nodepool, capacity_type) (${RECORDED.nodeInfo} * on (instance_type, capacity_type, zone) group_left () max by (instance_type, capacity_type, zone) (karpenter_cloudprovider_instance_type_offering_price_estimate))`,
      },
    ],
  };
}

/** Every rule group of the platform, recording groups first (alerts read the series they record). */
export function platformRuleGroups(thresholds: AlertThresholds, slo: SloTargets): RuleGroup[] {
  return [capacityRecordingRules(), tritonRecordingRules(), gpuRules(thresholds), tritonRules(thresholds, slo), karpenterRules(thresholds), kubernetesRules(thresholds)];
}

/** The PrometheusRule object holding `groups` (Prometheus Operator picks it up: ruleSelectorNilUsesHelmValues=false). */
export function prometheusRule(name: string, namespace: string, groups: readonly RuleGroup[], labels: Record<string, string> = {}): KubernetesObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name, namespace, labels: { ...labels } },
    spec: { groups: groups.map((g) => ({ name: g.name, ...(g.interval ? { interval: g.interval } : {}), rules: g.rules.map((r) => ({ ...r })) })) },
  };
}
