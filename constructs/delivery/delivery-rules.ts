import type { AlertingRule, RuleGroup } from "../observability/rules";
import { DRIFT_ALERT } from "./analysis";
import { DRIFT_METRICS } from "./drift-monitor";
import { PROMOTION_JOB_PREFIX } from "./promotion";

/**
 * How long an automatic promotion may go without a successful run after its last schedule before it alerts: three
 * runs of its five-minute schedule, so one failed run that the next one repairs never fires.
 */
export const PROMOTION_FAILING_FOR_MINUTES = 15;

/**
 * Alerts of model delivery. Metric names come from Argo Rollouts v1.9.0 (controller/metrics/prommetrics.go: `rollout_info`
 * and `analysis_run_info` are 1 with the object's current `phase`; the object's namespace arrives as
 * `exported_namespace`, since the scrape's own `namespace` label wins), kube-state-metrics 2.20 (docs/metrics/workload
 * job-metrics.md and cronjob-metrics.md at v2.20.0: `kube_job_status_failed`, `kube_job_owner`,
 * `kube_cronjob_status_last_schedule_time`, `kube_cronjob_status_last_successful_time`) and the drift monitor (images/drift-monitor/drift_monitor.py). `npm run verify` unit-tests them with promtool.
 */

/** What the alerts need from the environment. */
export interface DeliveryAlertSettings {
  /** Namespace of the promotion Jobs and drift monitors. */
  readonly namespace: string;
  /** The served models (one staleness alert each). */
  readonly models: readonly string[];
  readonly drift: { readonly threshold: number; readonly forMinutes: number; readonly intervalMinutes: number };
}

const rule = (alert: string, severity: AlertingRule["labels"]["severity"], expr: string, forMinutes: number | undefined, summary: string, description: string): AlertingRule => ({
  alert,
  expr,
  ...(forMinutes ? { for: `${forMinutes}m` } : {}),
  labels: { severity, component: "delivery" },
  annotations: { summary, description },
});

/** The delivery rule group: aborted rollouts, errored analyses, failed promotion jobs, sustained drift, stale drift monitors. */
export function deliveryRuleGroups(s: DeliveryAlertSettings): RuleGroup[] {
  const stale = 3 * s.drift.intervalMinutes * 60;
  const cronSel = `{namespace="${s.namespace}",cronjob=~"${PROMOTION_JOB_PREFIX}.+"}`;
  return [
    {
      name: "ml-platform.delivery",
      rules: [
        rule(
          "ModelRolloutAborted",
          "warning",
          'max by (exported_namespace, name) (rollout_info{phase="Abort"}) > 0',
          1,
          "Rollout {{ $labels.exported_namespace }}/{{ $labels.name }} was aborted: all traffic is back on the stable version",
          "The canary analysis failed (or the canary never became ready before the progress deadline) and Argo Rollouts returned every request to the stable pods. `kubectl argo rollouts get rollout {{ $labels.name }} -n {{ $labels.exported_namespace }}` shows which measurement failed; a new version (or moving the alias again) starts a new canary.",
        ),
        rule(
          "ModelAnalysisErrored",
          "warning",
          'max by (exported_namespace, name) (analysis_run_info{phase="Error"}) > 0',
          undefined,
          "Analysis {{ $labels.exported_namespace }}/{{ $labels.name }} could not measure the canary",
          "A measurement errored repeatedly (Prometheus unreachable or the query invalid), which Argo Rollouts treats like a failure: the rollout was aborted. No data is never a pass.",
        ),
        // A reviewed promotion's Job: it stays failed until a change replaces it, and so does the alert. Jobs of an
        // automatic promotion's CronJob stay in its history after the next run repaired them: they alert below.
        rule(
          "ModelAnalysisInconclusive",
          "warning",
          'max by (exported_namespace, name) (analysis_run_info{phase="Inconclusive"}) > 0',
          undefined,
          "Analysis {{ $labels.exported_namespace }}/{{ $labels.name }} could not judge the canary: the rollout waits for a human",
          "The canary served fewer requests than delivery.analysis.minRequests in too many measurements (or its series were missing), so Argo Rollouts paused the rollout instead of promoting or aborting it. Send traffic and `kubectl argo rollouts promote`, or `kubectl argo rollouts abort`, the Rollout of this analysis.",
        ),
        rule(
          "ModelPromotionJobFailed",
          "warning",
          `max by (namespace, job_name) (kube_job_status_failed{namespace="${s.namespace}",job_name=~"${PROMOTION_JOB_PREFIX}.+"} > 0 unless on (namespace, job_name) kube_job_owner{owner_kind="CronJob"})`,
          undefined,
          "Promotion job {{ $labels.namespace }}/{{ $labels.job_name }} failed",
          "The job could not stage a registered model version into Triton's repository (the version is missing or not READY in MLflow, its artifacts have no config.pbtxt or model.onnx, or S3 refused). `kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }}` says which.",
        ),
        // An automatic promotion: scheduled since its last success (or never successful) for three runs in a row.
        rule(
          "ModelPromotionFailing",
          "warning",
          `max by (namespace, cronjob) (kube_cronjob_status_last_schedule_time${cronSel}) > max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${cronSel}) or max by (namespace, cronjob) (kube_cronjob_status_last_schedule_time${cronSel}) unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${cronSel}`,
          PROMOTION_FAILING_FOR_MINUTES,
          "Automatic promotion {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded for its last runs",
          `Every run for ${PROMOTION_FAILING_FOR_MINUTES} minutes failed (MLflow or S3 unreachable, a version that cannot be staged, the Rollout not patchable). A missing alias is no failure: the job says so and succeeds. \`kubectl -n {{ $labels.namespace }} get jobs\` lists the failed runs; their logs say why.`,
        ),
        rule(
          DRIFT_ALERT,
          "warning",
          `max by (model) (${DRIFT_METRICS.share}) > ${s.drift.threshold}`,
          s.drift.forMinutes,
          "Inputs of model {{ $labels.model }} drifted from the reference window",
          `A share of {{ $value | humanizePercentage }} of the model's input columns drifted (over ${s.drift.threshold}) for ${s.drift.forMinutes} minutes. While it fires, canaries of this model are aborted (analysis input-drift when blockOnDrift is on): check the features, retrain or move the reference.`,
        ),
        ...s.models.map((m) => {
          const sel = `${DRIFT_METRICS.lastRun}{model="${m}"}`;
          return rule(
            "DriftMonitorStale",
            "warning",
            `(time() - max by (model) (${sel}) > ${stale}) or absent(${sel})`,
            15,
            "The drift monitor of model {{ $labels.model }} has not compared inputs for a while",
            `No comparison has finished for ${stale / 60} minutes (three intervals), or the monitor was never scraped: its image may be missing from ECR (the deploy workflow pushes it), or S3 refused its reads. Drift of this model is not watched meanwhile.`,
          );
        }),
      ],
    },
  ];
}
