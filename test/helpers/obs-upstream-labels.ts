/**
 * The labels of the upstream metrics the platform's rules, dashboards and autoscaler read, from the exporters' code
 * and documentation at the pinned versions (the metric names and their sources: obs-upstream-metrics.ts), plus the
 * labels scraping adds. A label a query groups, matches or filters by must be here (or come from an earlier
 * recording rule or a label_replace); promql-labels.ts checks that.
 */
import { ARGO_ROLLOUTS_LABELS, DRIFT_MONITOR_LABELS, KUBE_STATE_METRICS_JOB_LABELS, POD_MONITOR_TARGET_LABELS, TRITON_POD_TARGET_LABELS } from "./delivery-metrics";
import type { LabelCatalog } from "./promql-labels";
import { DCGM_EXPORTER_METRICS, KUEUE_METRICS, TRITON_METRICS, VLLM_METRICS, VLLM_ROUTER_METRICS } from "./obs-upstream-metrics";

/**
 * Target labels of a ServiceMonitor scrape: `namespace`, `service`, `pod`, `container` from the endpoint's
 * Kubernetes metadata, `job` and `endpoint` (the port name), and Prometheus's `instance`
 * (prometheus-operator pkg/prometheus/promcfg.go generateServiceMonitorConfig, commit 6adcebc5, v0.93 line).
 */
export const SERVICE_MONITOR_TARGET_LABELS = ["job", "instance", "namespace", "service", "pod", "container", "endpoint"] as const;

/**
 * DCGM exporter 4.5.3-4.8.2 (commit 691c9276): every GPU series carries `gpu`, `UUID`, `pci_bus_id`, `device`,
 * `modelName`, `Hostname` and, on MIG slices, `GPU_I_PROFILE`/`GPU_I_ID` (internal/pkg/rendermetrics/render_metrics.go);
 * the Kubernetes mapping adds the GPU's `pod`, `namespace`, `container` (internal/pkg/transformation/kubernetes.go);
 * XID series add `err_code` and `err_msg` (internal/pkg/collector/gpu_collector.go).
 */
const DCGM_GPU_LABELS = ["gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "GPU_I_PROFILE", "GPU_I_ID", "pod", "namespace", "container"];
const DCGM_XID_LABELS = ["err_code", "err_msg"];

/**
 * Triton 2.72.0 (r26.08, docs/user_guide/metrics.md at commit 6fa22ae0): inference metrics carry `model` and
 * `version`; failures add `reason`, summaries `quantile`, histogram buckets `le`; GPU metrics carry `gpu_uuid`; CPU
 * metrics carry none.
 */
function tritonLabels(metric: string): string[] {
  if (metric.startsWith("nv_gpu_") || metric === "nv_energy_consumption") return ["gpu_uuid"];
  if (metric.startsWith("nv_cpu_")) return [];
  const own = ["model", "version"];
  if (metric === "nv_inference_request_failure") own.push("reason");
  if (/_summary_us$/.test(metric)) own.push("quantile");
  if (metric.endsWith("_bucket")) own.push("le");
  return own;
}

/**
 * Karpenter 1.14.1 (kubernetes-sigs/karpenter 6e7eab7a: pkg/controllers/metrics/nodepool/controller.go,
 * pkg/cloudprovider/metrics/cloudprovider.go; aws/karpenter-provider-aws v1.14.1: pkg/controllers/metrics/metrics.go,
 * pkg/providers/instance/metrics.go). Only the metrics whose labels were read are listed.
 */
const KARPENTER_LABELS: Readonly<Record<string, readonly string[]>> = {
  karpenter_nodepools_usage: ["nodepool", "resource_type"],
  karpenter_nodepools_limit: ["nodepool", "resource_type"],
  karpenter_nodepools_cost_total: ["nodepool"],
  karpenter_cloudprovider_errors_total: ["controller", "method", "provider", "error"],
  karpenter_cloudprovider_instance_type_offering_price_estimate: ["instance_type", "capacity_type", "zone"],
  karpenter_cloudprovider_instance_type_offering_available: ["instance_type", "capacity_type", "zone"],
  karpenter_cloudprovider_instance_launch_failures_total: ["zone", "zone_id", "capacity_type", "reason"],
  karpenter_cloudprovider_instance_termination_failures_total: ["zone", "zone_id"],
  // pkg/controllers/node/health/metrics.go (kubernetes-sigs/karpenter v1.14.1): the condition in snake case.
  karpenter_nodeclaims_unhealthy_disrupted_total: ["condition", "nodepool", "capacity_type", "image_id"],
};

/**
 * EKS node monitoring agent 1.7.0 (pkg/manager/manager.go): labels of its two metrics. It is scraped by a PodMonitor
 * (constructs/resilience/node-monitoring-agent.ts), whose targets carry `job`, `instance`, `namespace`, `pod`,
 * `container` and `endpoint`, plus `node` that the PodMonitor copies from the pod's node.
 */
const NODE_MONITORING_AGENT_LABELS: Readonly<Record<string, readonly string[]>> = {
  problem_condition_count: ["severity", "reason"],
  fatal_condition_gauge: ["type"],
};
const AGENT_POD_MONITOR_TARGET_LABELS = ["job", "instance", "namespace", "pod", "container", "endpoint", "node"];

/**
 * kube-state-metrics 2.20.0 (docs/metrics at tag v2.20.0, 4ffeda2e). `label_<key>` labels of the `*_labels` metrics
 * exist only for keys in --metric-labels-allowlist and are added by upstreamLabelCatalog.
 */
const KUBE_STATE_METRICS_LABELS: Readonly<Record<string, readonly string[]>> = {
  kube_pod_info: ["pod", "namespace", "host_ip", "pod_ip", "node", "created_by_kind", "created_by_name", "uid", "priority_class", "host_network"],
  kube_pod_labels: ["pod", "namespace", "uid"],
  kube_pod_status_phase: ["pod", "namespace", "phase", "uid"],
  kube_pod_status_scheduled: ["pod", "namespace", "condition", "uid"],
  kube_pod_container_resource_requests: ["resource", "unit", "container", "pod", "namespace", "node", "uid"],
  kube_node_labels: ["node"],
  kube_node_status_capacity: ["node", "resource", "unit"],
  kube_node_status_allocatable: ["node", "resource", "unit"],
  kube_node_status_condition: ["node", "condition", "status"],
  kube_namespace_labels: ["namespace"],
};

/**
 * Kueue 0.19.2 (site/content/en/docs/reference/metrics.md at v0.19.2, the "Labels" column): every series carries
 * `replica_role`; histograms add `le` on their buckets.
 */
function kueueLabels(metric: string): string[] {
  const own: Record<string, string[]> = {
    kueue_pending_workloads: ["cluster_queue", "status"],
    kueue_admitted_active_workloads: ["cluster_queue"],
    kueue_evicted_workloads_total: ["cluster_queue", "reason", "underlying_cause", "priority_class"],
    kueue_cluster_queue_status: ["cluster_queue", "status"],
    kueue_cluster_queue_weighted_share: ["cluster_queue", "cohort"],
    kueue_admission_wait_time_seconds: ["cluster_queue", "priority_class"],
  };
  const quota = ["cohort", "cluster_queue", "flavor", "resource"];
  const base = metric.replace(/_(bucket|count|sum)$/, "");
  const labels = own[metric] ?? own[base] ?? (/^kueue_cluster_queue_(resource_usage|resource_reservation|nominal_quota|borrowing_limit|lending_limit)$/.test(metric) ? quota : undefined);
  if (!labels) throw new Error(`no labels transcribed for ${metric}`);
  return [...labels, "replica_role", ...(metric.endsWith("_bucket") ? ["le"] : [])];
}

/** Which `*_labels` metric a --metric-labels-allowlist resource feeds. */
const ALLOWLIST_METRIC: Readonly<Record<string, string>> = { namespaces: "kube_namespace_labels", nodes: "kube_node_labels", pods: "kube_pod_labels" };

/** How the scrape settles a clash between an exporter's label and a target label (Prometheus `honor_labels`). */
function scraped(own: readonly string[], honorLabels: boolean, extraTargetLabels: readonly string[] = []): Set<string> {
  const target = [...SERVICE_MONITOR_TARGET_LABELS, ...extraTargetLabels];
  // honor_labels false (the default): the target's label wins and the exporter's is kept as exported_<name>.
  const renamed = honorLabels ? own : own.map((l) => (target.includes(l) ? `exported_${l}` : l));
  return new Set([...renamed, ...target]);
}

/** What the rendered stacks configure about scraping. */
export interface ScrapeSettings {
  /** Labels the DCGM exporter's ServiceMonitor sets by relabeling (the rendered `relabelings[].targetLabel`). */
  readonly dcgmRelabeledLabels: readonly string[];
  /** kube-state-metrics' rendered `metricLabelsAllowlist` entries, such as `nodes=[karpenter.sh/nodepool]`. */
  readonly kubeStateMetricsLabelsAllowlist: readonly string[];
}

/**
 * kube-state-metrics' name for a Kubernetes label key: `label_`, then the key with every character outside
 * [a-zA-Z0-9_] as `_`, in snake case (`eks.amazonaws.com/capacityType` is `label_eks_amazonaws_com_capacity_type`;
 * internal/store/utils.go labelName at v2.20.0).
 */
export const kubeStateMetricsLabel = (key: string) => `label_${key.replace(/[^a-zA-Z0-9_]/g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()}`;

/**
 * The labels of every upstream metric whose labels are documented here, as the clusters scrape them: DCGM, Triton and
 * Karpenter through the platform's ServiceMonitors (honor_labels false), kube-state-metrics through the chart's
 * ServiceMonitor with honorLabels true (kube-prometheus-stack 88.5.3 values.yaml `kube-state-metrics.prometheus.monitor`).
 */
export function upstreamLabelCatalog(settings: ScrapeSettings): LabelCatalog {
  const allowlisted = new Map<string, string[]>();
  for (const entry of settings.kubeStateMetricsLabelsAllowlist) {
    const m = /^([a-z]+)=\[(.*)\]$/.exec(entry);
    if (!m || !ALLOWLIST_METRIC[m[1]]) throw new Error(`unexpected kube-state-metrics allowlist entry: ${entry}`);
    allowlisted.set(ALLOWLIST_METRIC[m[1]], m[2].split(",").filter(Boolean).map(kubeStateMetricsLabel));
  }
  const catalog = new Map<string, Set<string>>();
  for (const m of DCGM_EXPORTER_METRICS) {
    catalog.set(m, scraped([...DCGM_GPU_LABELS, ...(m === "DCGM_FI_DEV_XID_ERRORS" ? DCGM_XID_LABELS : [])], false, settings.dcgmRelabeledLabels));
  }
  for (const m of TRITON_METRICS) catalog.set(m, scraped(tritonLabels(m), false, TRITON_POD_TARGET_LABELS));
  for (const [m, own] of Object.entries(KARPENTER_LABELS)) catalog.set(m, scraped(own, false));
  for (const [m, own] of Object.entries(NODE_MONITORING_AGENT_LABELS)) catalog.set(m, new Set([...own, ...AGENT_POD_MONITOR_TARGET_LABELS]));
  // Scraped by the platform's ServiceMonitor `kueue` (stacks/platform/tenancy.ts), honor_labels false.
  for (const m of KUEUE_METRICS) catalog.set(m, scraped(kueueLabels(m), false));
  for (const m of VLLM_METRICS) catalog.set(m, scraped(["model_name", "engine", ...(m.endsWith("_bucket") ? ["le"] : [])], false));
  for (const m of VLLM_ROUTER_METRICS) catalog.set(m, scraped(["model"], false));
  for (const [m, own] of Object.entries(KUBE_STATE_METRICS_LABELS)) catalog.set(m, scraped([...own, ...(allowlisted.get(m) ?? [])], true));
  for (const [m, own] of Object.entries(KUBE_STATE_METRICS_JOB_LABELS)) catalog.set(m, scraped(own, true));
  for (const [m, own] of Object.entries(ARGO_ROLLOUTS_LABELS)) catalog.set(m, scraped(own, false));
  // The drift monitor is scraped through a PodMonitor: no `service` target label.
  for (const [m, own] of Object.entries(DRIFT_MONITOR_LABELS)) catalog.set(m, new Set([...own, ...POD_MONITOR_TARGET_LABELS]));
  return (metric) => catalog.get(metric);
}
