/**
 * Synthetic input series for `promtool test rules`: for every platform alert, series under which it must fire and
 * series under which it must stay quiet, built from an environment's settings (thresholds, durations, SLO). The
 * rules under test are the ones the environment renders, so a threshold that the rules stop honouring fails here.
 * Each case names the alert's sample labels and value as Prometheus would produce them; promtool-tests.ts turns the
 * cases into a promtool test file with the expected labels and rendered annotations.
 */
import { BURN_RATE_WINDOWS, CRITICAL_XIDS, type AlertThresholds, type SloTargets } from "../../constructs/observability/rules";
import { queueAlertCases } from "./queue-alert-scenarios";
import type { DeliverySettings } from "../../environments/lib/delivery-schema";
import { deliveryCases } from "./delivery-alert-scenarios";
import { resilienceAlertCases } from "./resilience-alert-scenarios";

/** One input series: a metric, its labels and promtool's expanding notation (`a+bxn`) or explicit values. */
export interface InputSeries {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly values: string;
}

/** An alert instance the case expects: the sample's labels (before the rule's own) and its value. */
export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly value?: number;
}

/** One promtool test group: input series, one evaluation time, and the alerts expected then ([] for quiet). */
export interface AlertCase {
  readonly alert: string;
  readonly title: string;
  readonly series: readonly InputSeries[];
  readonly atMinutes: number;
  readonly fires: readonly ExpectedAlert[];
}

/** What the cases are built from: the environment's settings and the durations rules.ts fixes (burn-rate alerts). */
export interface ScenarioSettings {
  readonly alerts: AlertThresholds;
  readonly slo: SloTargets;
  /** `for` of the alerts without a setting, in minutes, from the rendered rules. */
  readonly fixedForMinutes: Readonly<Record<string, number>>;
  /** The delivery alerts' settings (delivery-alert-scenarios.ts). @default - no delivery cases */
  readonly delivery?: DeliverySettings;
}

const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({ metric, labels, values });
/** n+1 samples, one a minute, all `v`. */
const flat = (v: number, n: number) => `${v}+0x${n}`;
/** n+1 samples, one a minute, from `start` rising by `step`. */
const rising = (start: number, step: number, n: number) => `${start}+${step}x${n}`;

/** A GPU held by a pod, as the DCGM exporter and its ServiceMonitor label it (exported_* because the target's own win). */
const GPU = { gpu: "0", UUID: "GPU-5f3e1a2b", node: "ip-10-0-1-23.ec2.internal", exported_namespace: "team-a", exported_pod: "trainer-0" };
const MODEL = { namespace: "triton", model: "resnet50" };

function gpuCases(s: ScenarioSettings): AlertCase[] {
  const { utilizationPercent: idle, forMinutes: idleFor } = s.alerts.gpuIdle;
  const { usedPercent: full, forMinutes: fullFor } = s.alerts.gpuMemoryNearFull;
  if (idle <= 0) throw new Error("gpuIdle.utilizationPercent 0 can never fire: no firing case exists");
  if (full >= 100) throw new Error("gpuMemoryNearFull.usedPercent 100 can never fire: no firing case exists");
  const util = (labels: Record<string, string>, v: number) => series("DCGM_FI_DEV_GPU_UTIL", labels, flat(v, idleFor + 10));
  // Framebuffer in MiB; the rule computes 100 * used / (used + free), which JavaScript computes the same way.
  const memory = (percent: number) => {
    const used = Math.round(percent * 1000);
    return { value: (100 * used) / (used + (100_000 - used)), series: [series("DCGM_FI_DEV_FB_USED", GPU, flat(used, fullFor + 10)), series("DCGM_FI_DEV_FB_FREE", GPU, flat(100_000 - used, fullFor + 10))] };
  };
  const over = memory((full + 100) / 2);
  const at = memory(full);
  if (at.value > full) throw new Error(`cannot build a framebuffer use of exactly ${full}%`);
  const xid = (gpu: number, code: number) => series("DCGM_FI_DEV_XID_ERRORS", { ...GPU, gpu: String(gpu), err_code: String(code) }, flat(code, 5));
  const remapped = (values: string) => [series("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", GPU, values)];
  return [
    { alert: "GpuAllocatedButIdle", title: `fires after ${idleFor} min under ${idle}%`, series: [util(GPU, idle / 2)], atMinutes: idleFor + 2, fires: [{ labels: GPU, value: idle / 2 }] },
    { alert: "GpuAllocatedButIdle", title: `quiet at exactly ${idle}%`, series: [util(GPU, idle)], atMinutes: idleFor + 2, fires: [] },
    { alert: "GpuAllocatedButIdle", title: "quiet for a GPU no pod holds", series: [util({ gpu: "1", UUID: "GPU-0c9d", node: GPU.node }, 0)], atMinutes: idleFor + 2, fires: [] },
    { alert: "GpuAllocatedButIdle", title: `quiet before ${idleFor} min`, series: [util(GPU, idle / 2)], atMinutes: idleFor - 1, fires: [] },
    { alert: "GpuXidError", title: "fires on any XID", series: [xid(0, 13)], atMinutes: 1, fires: [{ labels: { ...GPU, err_code: "13" }, value: 13 }] },
    { alert: "GpuXidError", title: "quiet without XIDs", series: [xid(0, 0)], atMinutes: 1, fires: [] },
    {
      alert: "GpuCriticalXidError",
      title: `fires on XIDs ${CRITICAL_XIDS.join(", ")}`,
      series: CRITICAL_XIDS.map((code, i) => xid(i, code)),
      atMinutes: 1,
      fires: CRITICAL_XIDS.map((code, i) => ({ labels: { ...GPU, gpu: String(i), err_code: String(code) }, value: code })),
    },
    { alert: "GpuCriticalXidError", title: "quiet on application XIDs 13, 31, 43", series: [xid(0, 13), xid(1, 31), xid(2, 43)], atMinutes: 1, fires: [] },
    { alert: "GpuUncorrectableEccErrors", title: "fires when rows were remapped in the last hour", series: remapped(`${flat(0, 9)} ${flat(1, 20)}`), atMinutes: 15, fires: [{ labels: GPU }] },
    { alert: "GpuUncorrectableEccErrors", title: "quiet while the count stays put", series: remapped(flat(2, 30)), atMinutes: 15, fires: [] },
    { alert: "GpuRowRemapFailure", title: "fires on a failed remap", series: [series("DCGM_FI_DEV_ROW_REMAP_FAILURE", GPU, flat(1, 5))], atMinutes: 1, fires: [{ labels: GPU }] },
    { alert: "GpuRowRemapFailure", title: "quiet without failures", series: [series("DCGM_FI_DEV_ROW_REMAP_FAILURE", GPU, flat(0, 5))], atMinutes: 1, fires: [] },
    { alert: "GpuMemoryNearFull", title: `fires after ${fullFor} min over ${full}%`, series: over.series, atMinutes: fullFor + 2, fires: [{ labels: GPU, value: over.value }] },
    { alert: "GpuMemoryNearFull", title: `quiet at exactly ${full}%`, series: at.series, atMinutes: fullFor + 2, fires: [] },
    { alert: "GpuMemoryNearFull", title: `quiet before ${fullFor} min`, series: over.series, atMinutes: fullFor - 1, fires: [] },
  ];
}

/**
 * Triton request counters for a constant error ratio `ratio` (1000 requests a minute), errors stopping after
 * `errorMinutes`. Counters start high so rate()'s extrapolation treats both alike and the ratio stays exact.
 */
function requests(ratio: number, minutes: number, errorMinutes = minutes): InputSeries[] {
  const failed = 1000 * ratio;
  const failures = errorMinutes >= minutes ? rising(1e6, failed, minutes) : `${rising(1e6, failed, errorMinutes)} ${flat(1e6 + failed * errorMinutes, minutes - errorMinutes - 1)}`;
  return [
    series("nv_inference_request_success", { ...MODEL, version: "1", pod: "triton-0" }, rising(1e6, 1000 - failed, minutes)),
    series("nv_inference_request_failure", { ...MODEL, version: "1", pod: "triton-0", reason: "BACKEND" }, failures),
  ];
}

/**
 * Queue time per request rising by `growthUs` a minute from `baseUs` (60 requests a minute). With samples a minute
 * apart, the recorded 5-minute ratio at minute k >= 4 is base + growth * (k - 1.5).
 */
function queue(baseUs: number, growthUs: number, minutes: number): { series: InputSeries[]; at: (k: number) => number } {
  const queued: number[] = [1e9];
  for (let k = 1; k <= minutes; k++) queued.push(queued[k - 1] + 60 * (baseUs + growthUs * k));
  const labels = { ...MODEL, version: "1", pod: "triton-0" };
  return {
    series: [series("nv_inference_queue_duration_us", labels, queued.join(" ")), series("nv_inference_request_success", labels, rising(1e6, 60, minutes))],
    at: (k) => baseUs + growthUs * (k - 1.5),
  };
}

function tritonCases(s: ScenarioSettings): AlertCase[] {
  const budget = 1 - s.slo.tritonAvailabilityPercent / 100;
  const factors = (severity: string) => BURN_RATE_WINDOWS.filter((w) => w.severity === severity).map((w) => w.factor);
  // Errors for `errorMinutes`, then `cleanMinutes` without: the long windows still burn, the short ones are clean.
  const burn = (alert: string, severity: string, errorMinutes: number, cleanMinutes: number): AlertCase[] => {
    const f = s.fixedForMinutes[alert];
    const high = Math.min(1, 1.25 * Math.max(...factors(severity)) * budget);
    const low = 0.75 * Math.min(...factors(severity)) * budget;
    const n = f + 10;
    return [
      { alert, title: `fires at ${high.toPrecision(3)} errors per request`, series: requests(high, n), atMinutes: f + 3, fires: [{ labels: MODEL, value: high }] },
      { alert, title: `quiet at ${low.toPrecision(3)} errors per request`, series: requests(low, n), atMinutes: f + 3, fires: [] },
      {
        alert,
        title: `quiet ${cleanMinutes} min after ${errorMinutes} min of errors (long windows over, short windows clean)`,
        series: requests(high, errorMinutes + cleanMinutes, errorMinutes),
        atMinutes: errorMinutes + cleanMinutes,
        fires: [],
      },
    ];
  };
  const { forMinutes: latencyFor } = s.alerts.tritonLatency;
  const sloUs = s.slo.tritonP99LatencyMs * 1000;
  const p99 = (us: number) => [
    series("nv_inference_request_summary_us", { ...MODEL, version: "1", pod: "triton-0", quantile: "0.99" }, flat(us, latencyFor + 10)),
    series("nv_inference_request_summary_us", { ...MODEL, version: "1", pod: "triton-1", quantile: "0.99" }, flat(us / 2, latencyFor + 10)),
    series("nv_inference_request_summary_us", { ...MODEL, version: "1", pod: "triton-0", quantile: "0.5" }, flat(us * 10, latencyFor + 10)),
  ];
  const { queueMilliseconds, forMinutes: queueFor } = s.alerts.tritonQueue;
  const queueUs = queueMilliseconds * 1000;
  // deriv() looks back 15 min: evaluate once that window holds only full 5-minute ratios.
  const queueAt = Math.max(queueFor, 17) + 3;
  const growing = queue(2 * queueUs, Math.max(1, queueUs / 100), queueAt + 5);
  return [
    ...burn("TritonErrorBudgetBurnFast", "critical", 60, 35),
    ...burn("TritonErrorBudgetBurnSlow", "warning", 240, 6 * 60 + 5),
    { alert: "TritonP99LatencyOverSlo", title: `fires after ${latencyFor} min over ${sloUs} µs`, series: p99(2 * sloUs), atMinutes: latencyFor + 2, fires: [{ labels: MODEL, value: 2 * sloUs }] },
    { alert: "TritonP99LatencyOverSlo", title: `quiet at exactly ${sloUs} µs`, series: p99(sloUs), atMinutes: latencyFor + 2, fires: [] },
    { alert: "TritonP99LatencyOverSlo", title: `quiet before ${latencyFor} min`, series: p99(2 * sloUs), atMinutes: latencyFor - 1, fires: [] },
    { alert: "TritonQueueTimeGrowing", title: `fires over ${queueUs} µs and rising`, series: growing.series, atMinutes: queueAt, fires: [{ labels: MODEL, value: growing.at(queueAt) }] },
    { alert: "TritonQueueTimeGrowing", title: `quiet over ${queueUs} µs but flat`, series: queue(2 * queueUs, 0, queueAt + 5).series, atMinutes: queueAt, fires: [] },
    { alert: "TritonQueueTimeGrowing", title: `quiet rising under ${queueUs} µs`, series: queue(queueUs / 4, queueUs / (4 * queueAt), queueAt + 5).series, atMinutes: queueAt, fires: [] },
    { alert: "TritonQueueTimeGrowing", title: `quiet before ${queueFor} min`, series: growing.series, atMinutes: queueFor - 1, fires: [] },
  ];
}

function capacityCases(s: ScenarioSettings): AlertCase[] {
  const launchFor = s.alerts.karpenterLaunchFailure.forMinutes;
  const { usedPercent: near, forMinutes: nearFor } = s.alerts.nodePoolNearLimit;
  if (near >= 100) throw new Error("nodePoolNearLimit.usedPercent 100 can never fire: no firing case exists");
  const errors = (error: string, step: number) =>
    series("karpenter_cloudprovider_errors_total", { controller: "nodeclaim.lifecycle", method: "Create", provider: "aws", error, job: "karpenter", namespace: "kube-system" }, rising(5, step, launchFor + 10));
  const launch = (alert: string, error: string, other: string, labels: Record<string, string>): AlertCase[] => [
    { alert, title: `fires after ${launchFor} min of ${error}`, series: [errors(error, 1)], atMinutes: launchFor + 3, fires: [{ labels }] },
    { alert, title: `quiet on ${other}`, series: [errors(other, 1)], atMinutes: launchFor + 3, fires: [] },
    { alert, title: "quiet without new errors", series: [errors(error, 0)], atMinutes: launchFor + 3, fires: [] },
    { alert, title: `quiet before ${launchFor} min`, series: [errors(error, 1)], atMinutes: launchFor - 1, fires: [] },
  ];
  const pool = { nodepool: "gpu-inference", resource_type: "nvidia.com/gpu" };
  const target = { job: "karpenter", namespace: "kube-system", instance: "10.0.3.7:8080" };
  const limit = 1000;
  const usage = (used: number, lim = limit) => [series("karpenter_nodepools_usage", { ...pool, ...target }, flat(used, nearFor + 10)), series("karpenter_nodepools_limit", { ...pool, ...target }, flat(lim, nearFor + 10))];
  const overUsed = Math.ceil(((near + 100) / 2) * (limit / 100));
  const atUsed = Math.floor(near * (limit / 100));
  if ((100 * atUsed) / limit > near || (100 * overUsed) / limit <= near) throw new Error(`cannot build usages around ${near}%`);
  return [
    ...launch("KarpenterNodeClaimLaunchFailing", "NodeClassNotReadyError", "InsufficientCapacityError", { controller: "nodeclaim.lifecycle", error: "NodeClassNotReadyError" }),
    ...launch("KarpenterInsufficientCapacity", "InsufficientCapacityError", "NodeClassNotReadyError", { controller: "nodeclaim.lifecycle" }),
    // One-to-one matching on (nodepool, resource_type) keeps only those labels.
    { alert: "KarpenterNodePoolNearLimit", title: `fires after ${nearFor} min over ${near}%`, series: usage(overUsed), atMinutes: nearFor + 2, fires: [{ labels: pool, value: (100 * overUsed) / limit }] },
    { alert: "KarpenterNodePoolNearLimit", title: `quiet at ${(100 * atUsed) / limit}%`, series: usage(atUsed), atMinutes: nearFor + 2, fires: [] },
    { alert: "KarpenterNodePoolNearLimit", title: "quiet for a NodePool without a limit", series: usage(overUsed, 0), atMinutes: nearFor + 2, fires: [] },
    { alert: "KarpenterNodePoolNearLimit", title: `quiet before ${nearFor} min`, series: usage(overUsed), atMinutes: nearFor - 1, fires: [] },
  ];
}

function kubernetesCases(s: ScenarioSettings): AlertCase[] {
  const pendingFor = s.alerts.gpuPodPending.forMinutes;
  const notReadyFor = s.alerts.nodeNotReady.forMinutes;
  const pod = { namespace: "team-a", pod: "trainer-0" };
  const pendingPod = (resource: string, phase: string) => [
    series("kube_pod_container_resource_requests", { ...pod, container: "main", resource, unit: "integer" }, flat(2, pendingFor + 10)),
    ...["Pending", "Running"].map((p) => series("kube_pod_status_phase", { ...pod, uid: "7d1f", phase: p }, flat(p === phase ? 1 : 0, pendingFor + 10))),
  ];
  const node = { node: "ip-10-0-2-41.ec2.internal" };
  const ready = (status: string) => ["true", "false", "unknown"].map((st) => series("kube_node_status_condition", { ...node, condition: "Ready", status: st }, flat(st === status ? 1 : 0, notReadyFor + 10)));
  return [
    { alert: "GpuPodPending", title: `fires after ${pendingFor} min pending`, series: pendingPod("nvidia_com_gpu", "Pending"), atMinutes: pendingFor + 2, fires: [{ labels: pod, value: 2 }] },
    { alert: "GpuPodPending", title: "quiet once running", series: pendingPod("nvidia_com_gpu", "Running"), atMinutes: pendingFor + 2, fires: [] },
    { alert: "GpuPodPending", title: "quiet for a pending pod without GPUs", series: pendingPod("cpu", "Pending"), atMinutes: pendingFor + 2, fires: [] },
    { alert: "GpuPodPending", title: `quiet before ${pendingFor} min`, series: pendingPod("nvidia_com_gpu", "Pending"), atMinutes: pendingFor - 1, fires: [] },
    { alert: "NodeNotReady", title: `fires after ${notReadyFor} min not Ready`, series: ready("false"), atMinutes: notReadyFor + 2, fires: [{ labels: node }] },
    { alert: "NodeNotReady", title: "quiet while Ready", series: ready("true"), atMinutes: notReadyFor + 2, fires: [] },
    { alert: "NodeNotReady", title: `quiet before ${notReadyFor} min`, series: ready("unknown"), atMinutes: notReadyFor - 1, fires: [] },
  ];
}

/** Every case of every platform alert for an environment's settings. */
export function alertCases(s: ScenarioSettings): AlertCase[] {
  return [...gpuCases(s), ...tritonCases(s), ...capacityCases(s), ...kubernetesCases(s), ...resilienceAlertCases(s.fixedForMinutes), ...queueAlertCases(s), ...(s.delivery ? deliveryCases(s.delivery) : [])];
}
