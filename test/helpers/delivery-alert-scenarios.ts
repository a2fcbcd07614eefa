/**
 * Firing and quiet cases of the delivery alerts (constructs/delivery/delivery-rules.ts) for `promtool test rules`,
 * from an environment's `delivery` settings. Series are labelled as the scrapes label them: Argo Rollouts' object
 * namespace as `exported_namespace` (its ServiceMonitor keeps the target's `namespace`), kube-state-metrics' as is.
 */
import type { DeliverySettings } from "../../environments/lib/delivery-schema";
import { PROMOTION_FAILING_FOR_MINUTES } from "../../constructs/delivery/delivery-rules";
import type { AlertCase, InputSeries } from "./alert-scenarios";

const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({ metric, labels, values });
const flat = (v: number, n: number) => `${v}+0x${n}`;

const CONTROLLER = { namespace: "argo-rollouts", pod: "argo-rollouts-7c9d-x2x" };

/** Every case of every delivery alert. */
export function deliveryCases(d: DeliverySettings): AlertCase[] {
  const rollout = { exported_namespace: "triton", name: "triton-churn" };
  const info = (phase: string) => [series("rollout_info", { ...CONTROLLER, ...rollout, strategy: "canary", traffic_router: "ALB", phase }, flat(1, 10))];
  const run = { exported_namespace: "triton", name: "triton-churn-6d4b8f7c9-3" };
  const analysis = (phase: string) => [series("analysis_run_info", { ...CONTROLLER, ...run, phase }, flat(1, 10))];
  const job = (jobName: string, failed: number) => [series("kube_job_status_failed", { namespace: "ml-delivery", job_name: jobName, reason: "BackoffLimitExceeded" }, flat(failed, 10))];
  // A run of the automatic promotion's CronJob: kube-state-metrics names its owner.
  const cronRun = (jobName: string) => [...job(jobName, 1), series("kube_job_owner", { namespace: "ml-delivery", job_name: jobName, owner_kind: "CronJob", owner_name: "promote-churn", owner_is_controller: "true" }, flat(1, 10))];
  const cron = { namespace: "ml-delivery", cronjob: "promote-churn" };
  const failingFor = PROMOTION_FAILING_FOR_MINUTES;
  const end = failingFor + 15;
  // Times in seconds, sampled every minute: the last schedule and the last success.
  const cronTimes = (schedule: string, success?: string) => [
    series("kube_cronjob_status_last_schedule_time", cron, schedule),
    ...(success ? [series("kube_cronjob_status_last_successful_time", cron, success)] : []),
  ];
  const { threshold, forMinutes, intervalMinutes } = d.drift;
  const share = (v: number) => [series("ml_model_input_drift_share", { namespace: "ml-delivery", pod: "drift-churn-5f6d-abcde", model: "churn" }, flat(v, forMinutes + 10))];
  const over = Math.min(1, (threshold + 1) / 2);
  if (over <= threshold) throw new Error(`drift threshold ${threshold} can never be exceeded: no firing case exists`);
  const stale = 3 * intervalMinutes;
  const lastRun = (values: string) => [series("ml_model_drift_last_run_timestamp_seconds", { namespace: "ml-delivery", pod: "drift-churn-5f6d-abcde", model: "churn" }, values)];
  const staleAt = stale + 20;
  const cases: AlertCase[] = [
    { alert: "ModelRolloutAborted", title: "fires once a rollout is aborted", series: info("Abort"), atMinutes: 3, fires: [{ labels: rollout, value: 1 }] },
    { alert: "ModelRolloutAborted", title: "quiet for a completed rollout", series: info("Completed"), atMinutes: 3, fires: [] },
    { alert: "ModelAnalysisErrored", title: "fires on an analysis that errored (no data is not a pass)", series: analysis("Error"), atMinutes: 1, fires: [{ labels: run, value: 1 }] },
    { alert: "ModelAnalysisErrored", title: "quiet for a successful analysis", series: analysis("Successful"), atMinutes: 1, fires: [] },
    { alert: "ModelAnalysisInconclusive", title: "fires on an analysis that could not judge a quiet canary", series: analysis("Inconclusive"), atMinutes: 1, fires: [{ labels: run, value: 1 }] },
    { alert: "ModelAnalysisInconclusive", title: "quiet for a running analysis", series: analysis("Running"), atMinutes: 1, fires: [] },
    { alert: "ModelPromotionJobFailed", title: "fires on a failed promotion job", series: job("promote-churn-v8-1a2b3c4d", 1), atMinutes: 1, fires: [{ labels: { namespace: "ml-delivery", job_name: "promote-churn-v8-1a2b3c4d" }, value: 1 }] },
    { alert: "ModelPromotionJobFailed", title: "quiet for another job of the namespace", series: job("cleanup-1", 1), atMinutes: 1, fires: [] },
    { alert: "ModelPromotionJobFailed", title: "quiet while no pod failed", series: job("promote-churn-v8-1a2b3c4d", 0), atMinutes: 1, fires: [] },
    { alert: "ModelPromotionJobFailed", title: "quiet for a failed run of the automatic promotion's CronJob (its own alert decides)", series: cronRun("promote-churn-29403360"), atMinutes: 1, fires: [] },
    // Scheduled at 600 s, last success at 0: every run since failed.
    { alert: "ModelPromotionFailing", title: `fires when no run succeeded for ${failingFor} min`, series: cronTimes(flat(600, end), flat(0, end)), atMinutes: failingFor + 5, fires: [{ labels: cron, value: 600 }] },
    { alert: "ModelPromotionFailing", title: "fires when no run ever succeeded", series: cronTimes(flat(600, end)), atMinutes: failingFor + 5, fires: [{ labels: cron, value: 600 }] },
    { alert: "ModelPromotionFailing", title: `quiet before ${failingFor} min`, series: cronTimes(flat(600, end), flat(0, end)), atMinutes: failingFor - 1, fires: [] },
    // One failed run (scheduled at 600 s), repaired by the next (success at 900 s, 10 minutes in): a failed Job stays
    // in the history, and neither alert fires.
    { alert: "ModelPromotionFailing", title: "quiet once the next run succeeded", series: [...cronTimes(flat(900, end), `0+0x9 900+0x${end - 9}`), ...cronRun("promote-churn-29403360")], atMinutes: end, fires: [] },
    { alert: "ModelInputDrift", title: `fires after ${forMinutes} min over ${threshold}`, series: share(over), atMinutes: forMinutes + 2, fires: [{ labels: { model: "churn" }, value: over }] },
    { alert: "ModelInputDrift", title: `quiet at exactly ${threshold}`, series: share(threshold), atMinutes: forMinutes + 2, fires: [] },
    { alert: "ModelInputDrift", title: `quiet before ${forMinutes} min`, series: share(over), atMinutes: forMinutes - 1, fires: [] },
  ];
  for (const m of d.models.filter((x) => x.name === "churn")) {
    const model = { model: m.name };
    cases.push(
      // Never scraped: absent() names the model from its matcher.
      { alert: "DriftMonitorStale", title: "fires for a monitor never scraped", series: [], atMinutes: 20, fires: [{ labels: model, value: 1 }] },
      // The last comparison finished at time 0 and none since: time() - 0 seconds.
      { alert: "DriftMonitorStale", title: `fires when no comparison finished for ${stale} min`, series: lastRun(flat(0, staleAt)), atMinutes: staleAt, fires: [{ labels: model, value: staleAt * 60 }] },
      // A comparison every minute: the timestamp follows the clock.
      { alert: "DriftMonitorStale", title: "quiet while comparisons keep finishing", series: lastRun(`0+60x${staleAt}`), atMinutes: staleAt, fires: [] },
    );
  }
  return cases;
}
