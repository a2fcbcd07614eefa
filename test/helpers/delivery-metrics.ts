/**
 * Metric names and labels of model delivery's exporters, for the checks of every deployed query (obs-upstream-metrics.ts
 * and obs-upstream-labels.ts include them).
 */
import { DRIFT_METRICS } from "../../constructs/delivery/drift-monitor";
import { POD_TARGET_LABELS } from "../../constructs/delivery/model-rollout";

/**
 * Argo Rollouts v1.9.0 controller metrics (controller/metrics/prommetrics.go at tag v1.9.0, commit 838d4e79): the
 * object's `namespace` and `name` on every series, plus `strategy`, `traffic_router` and `phase` on rollout_info,
 * `phase` on analysis_run_info and experiment_info, `metric`, `type`, `dry_run`, `phase` on analysis_run_metric_phase.
 */
export const ARGO_ROLLOUTS_LABELS: Readonly<Record<string, readonly string[]>> = {
  rollout_info: ["namespace", "name", "strategy", "traffic_router", "phase"],
  rollout_info_replicas_available: ["namespace", "name"],
  rollout_info_replicas_unavailable: ["namespace", "name"],
  rollout_info_replicas_desired: ["namespace", "name"],
  rollout_info_replicas_updated: ["namespace", "name"],
  rollout_events_total: ["namespace", "name", "type", "reason"],
  analysis_run_info: ["namespace", "name", "phase"],
  analysis_run_metric_phase: ["namespace", "name", "metric", "type", "dry_run", "phase"],
  experiment_info: ["namespace", "name", "phase"],
};

/**
 * kube-state-metrics 2.20.0 job and CronJob metrics (docs/metrics/workload/job-metrics.md and cronjob-metrics.md at tag
 * v2.20.0, commit 4ffeda2e).
 */
export const KUBE_STATE_METRICS_JOB_LABELS: Readonly<Record<string, readonly string[]>> = {
  kube_job_status_failed: ["job_name", "namespace", "reason"],
  kube_job_failed: ["job_name", "namespace", "condition"],
  kube_job_owner: ["job_name", "namespace", "owner_kind", "owner_name", "owner_is_controller"],
  kube_cronjob_status_last_schedule_time: ["cronjob", "namespace"],
  kube_cronjob_status_last_successful_time: ["cronjob", "namespace"],
};

/** The platform's drift monitor (images/drift-monitor/drift_monitor.py), scraped through a PodMonitor. */
export const DRIFT_MONITOR_LABELS: Readonly<Record<string, readonly string[]>> = {
  [DRIFT_METRICS.share]: ["model"],
  [DRIFT_METRICS.columns]: ["model"],
  [DRIFT_METRICS.rows]: ["model", "window"],
  [DRIFT_METRICS.lastRun]: ["model"],
};

/** Pod labels the model ServiceMonitors copy onto Triton's series (`podTargetLabels`), as Prometheus names them. */
export const TRITON_POD_TARGET_LABELS: readonly string[] = POD_TARGET_LABELS.map((l) => l.replace(/[^a-zA-Z0-9_]/g, "_"));

/** Target labels of a PodMonitor scrape (no `service`). */
export const POD_MONITOR_TARGET_LABELS = ["job", "instance", "namespace", "pod", "container", "endpoint"] as const;
