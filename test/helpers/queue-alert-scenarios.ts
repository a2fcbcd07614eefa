/**
 * Cases for the queue alerts (constructs/tenancy/queue-rules.ts), in the shape of alert-scenarios.ts: Kueue's series
 * as its ServiceMonitor scrapes them (one replica, `instance` and `job` from the target), the DCGM exporter's as the
 * platform's ServiceMonitor labels them. Durations come from the rendered rules (`teams.alerts`), the idle threshold
 * from `observability.alerts.gpuIdle`.
 */
import type { AlertCase, InputSeries, ScenarioSettings } from "./alert-scenarios";

const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({ metric, labels, values });
const flat = (v: number, n: number) => `${v}+0x${n}`;

const KUEUE = { job: "kueue-controller-manager-metrics-service", namespace: "kueue-system", instance: "10.0.4.12:8443", replica_role: "leader" };
const L40S = { cohort: "ml-platform", flavor: "gpu-training-l40s", resource: "nvidia.com/gpu" };

function forOf(s: ScenarioSettings, alert: string): number {
  const m = s.fixedForMinutes[alert];
  if (!m) throw new Error(`${alert}: no rendered duration`);
  return m;
}

function pendingCases(s: ScenarioSettings): AlertCase[] {
  const alert = "QueueWorkloadsPendingWhileQuotaUnused";
  const waitFor = forOf(s, alert);
  const n = waitFor + 10;
  const queue = (used: number) => [
    series("kueue_pending_workloads", { ...KUEUE, cluster_queue: "vision", status: "inadmissible" }, flat(3, n)),
    series("kueue_pending_workloads", { ...KUEUE, cluster_queue: "vision", status: "active" }, flat(0, n)),
    series("kueue_cluster_queue_nominal_quota", { ...KUEUE, ...L40S, cluster_queue: "nlp" }, flat(8, n)),
    series("kueue_cluster_queue_resource_usage", { ...KUEUE, ...L40S, cluster_queue: "nlp" }, flat(used, n)),
  ];
  return [
    { alert, title: `fires after ${waitFor} min pending while 4 GPUs of quota are free`, series: queue(4), atMinutes: waitFor + 2, fires: [{ labels: { cluster_queue: "vision" }, value: 3 }] },
    { alert, title: "quiet while the cohort's quota is fully used", series: queue(8), atMinutes: waitFor + 2, fires: [] },
    { alert, title: `quiet before ${waitFor} min`, series: queue(4), atMinutes: waitFor - 1, fires: [] },
  ];
}

function borrowingCases(s: ScenarioSettings): AlertCase[] {
  const alert = "ClusterQueueAtBorrowingLimit";
  const atFor = forOf(s, alert);
  const n = atFor + 10;
  const queue = (used: number, borrowing: number) =>
    [
      ["kueue_cluster_queue_nominal_quota", 8],
      ["kueue_cluster_queue_borrowing_limit", borrowing],
      ["kueue_cluster_queue_resource_usage", used],
    ].map(([metric, v]) => series(String(metric), { ...KUEUE, ...L40S, cluster_queue: "vision" }, flat(Number(v), n)));
  const labels = { cluster_queue: "vision", flavor: L40S.flavor };
  return [
    { alert, title: `fires after ${atFor} min at nominal plus borrowing limit`, series: queue(12, 4), atMinutes: atFor + 2, fires: [{ labels, value: 12 }] },
    { alert, title: "quiet one GPU under the limit", series: queue(11, 4), atMinutes: atFor + 2, fires: [] },
    { alert, title: "quiet for a queue that may not borrow, at its nominal quota", series: queue(8, 0), atMinutes: atFor + 2, fires: [] },
    { alert, title: `quiet before ${atFor} min`, series: queue(12, 4), atMinutes: atFor - 1, fires: [] },
  ];
}

function idleCases(s: ScenarioSettings): AlertCase[] {
  const alert = "QueueReservedGpusIdle";
  const idleFor = forOf(s, alert);
  const threshold = s.alerts.gpuIdle.utilizationPercent;
  if (threshold <= 0) throw new Error("gpuIdle.utilizationPercent 0 can never fire: no firing case exists");
  const n = idleFor + 10;
  const gpu = (namespace: string, id: string, util: number) =>
    series("DCGM_FI_DEV_GPU_UTIL", { gpu: id, UUID: `GPU-5f3e1a2${id}`, node: "ip-10-0-1-23.ec2.internal", exported_namespace: namespace, exported_pod: "trainer-0" }, flat(util, n));
  const kueue = (queue: string) => [
    ...["active", "pending", "terminated"].map((st) => series("kueue_cluster_queue_status", { ...KUEUE, cluster_queue: queue, status: st }, flat(st === "active" ? 1 : 0, n))),
    series("kueue_cluster_queue_resource_reservation", { ...KUEUE, ...L40S, cluster_queue: queue }, flat(2, n)),
  ];
  return [
    { alert, title: `fires after ${idleFor} min with one of two reserved GPUs idle`, series: [gpu("vision", "0", 0), gpu("vision", "1", 100), ...kueue("vision")], atMinutes: idleFor + 2, fires: [{ labels: { cluster_queue: "vision" }, value: 1 }] },
    { alert, title: "fires for the pipelines queue on an idle GPU in kubeflow", series: [gpu("kubeflow", "0", 0), ...kueue("pipelines")], atMinutes: idleFor + 2, fires: [{ labels: { cluster_queue: "pipelines" }, value: 1 }] },
    { alert, title: "quiet while the GPUs work", series: [gpu("vision", "0", 100), gpu("vision", "1", 100), ...kueue("vision")], atMinutes: idleFor + 2, fires: [] },
    { alert, title: "quiet for an idle GPU in a namespace without a queue", series: [gpu("research", "0", 0), ...kueue("vision")], atMinutes: idleFor + 2, fires: [] },
    { alert, title: `quiet before ${idleFor} min`, series: [gpu("vision", "0", 0), ...kueue("vision")], atMinutes: idleFor - 1, fires: [] },
  ];
}

/** Every case of the queue alerts. */
export function queueAlertCases(s: ScenarioSettings): AlertCase[] {
  return [...pendingCases(s), ...borrowingCases(s), ...idleCases(s)];
}
