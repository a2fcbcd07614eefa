import { dashboard, type DashboardSpec } from "../observability/grafana";
import { DRIFT_METRICS } from "./drift-monitor";
import { ARM_LABEL, TRACK_LABEL } from "./model-rollout";
import { PROMOTION_JOB_PREFIX } from "./promotion";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * "ML platform / Model rollouts": per model, the stable and canary tracks side by side (request rate, error ratio,
 * p99, queue time) and the share of requests the canary actually receives (the weight as users see it, whatever the
 * split mechanism: Argo Rollouts exports no metric of the weight it set, so the dashboard's "weight" is observed); the A/B experiment's arms and versions compared; and the rollout, analysis, promotion and drift
 * state. Series carry `track` (Argo's ephemeral pod labels), `arm` (experiment pods) and Triton's `version`.
 */
export function rolloutsDashboard(tritonNamespace: string, deliveryNamespace: string, p99ObjectiveMs: number): Json {
  const sel = `namespace="${tritonNamespace}", model=~"$model"`;
  const rate = (metric: string, by: string, extra = "") => `sum by (${by}) (rate(${metric}{${sel}${extra}}[$__rate_interval]))`;
  const errorRatio = (by: string, extra = "") => `${rate("nv_inference_request_failure", by, extra)} / (${rate("nv_inference_request_success", by, extra)} + ${rate("nv_inference_request_failure", by, extra)})`;
  const tracks = `, ${TRACK_LABEL}=~"stable|canary"`;
  const arms = `, ${ARM_LABEL}=~"baseline|candidate"`;
  const rollouts = 'name=~"triton-($model)"';
  const spec: DashboardSpec = {
    uid: "ml-platform-rollouts",
    title: "ML platform / Model rollouts",
    description: "Canary against stable per model: traffic, errors, latency and the canary's observed share; A/B experiment arms by version; rollout, analysis, promotion and drift state.",
    tags: ["ml-platform", "inference", "delivery"],
    variables: [{ name: "model", label: "Model", metric: "nv_inference_request_success", labelName: "model" }],
    rows: [
      {
        title: "Canary against stable",
        panels: [
          { title: "Requests per second by track", type: "timeseries", unit: "reqps", queries: [{ expr: rate("nv_inference_request_success", `model, ${TRACK_LABEL}`, tracks), legend: `{{model}} {{${TRACK_LABEL}}}` }] },
          { title: "Error ratio by track", type: "timeseries", unit: "percentunit", queries: [{ expr: errorRatio(`model, ${TRACK_LABEL}`, tracks), legend: `{{model}} {{${TRACK_LABEL}}}` }] },
          {
            title: "p99 latency by track",
            type: "timeseries",
            unit: "µs",
            queries: [
              { expr: `max by (model, ${TRACK_LABEL}) (nv_inference_request_summary_us{${sel}, quantile="0.99"${tracks}})`, legend: `{{model}} {{${TRACK_LABEL}}}` },
              { expr: `vector(${p99ObjectiveMs * 1000})`, legend: "SLO" },
            ],
          },
          {
            title: "Canary's share of requests (observed weight)",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            // Argo Rollouts v1.9.0 exports no metric of the weight it set (controller/metrics/prommetrics.go).
            description: "The observed share, not the configured weight: requests served by canary pods over all requests, as callers see it (through the load balancer or by replica ratio). Argo Rollouts exports no weight metric; `kubectl argo rollouts get rollout` shows the step's set weight.",
            queries: [{ expr: `${rate("nv_inference_request_success", "model", `, ${TRACK_LABEL}="canary"`)} / ${rate("nv_inference_request_success", "model", tracks)}`, legend: "{{model}}" }],
          },
        ],
      },
      {
        title: "A/B experiment (per version)",
        panels: [
          { title: "Requests per second by version and arm", type: "timeseries", unit: "reqps", queries: [{ expr: rate("nv_inference_request_success", `model, version, ${ARM_LABEL}`, arms), legend: `{{model}} v{{version}} {{${ARM_LABEL}}}` }] },
          { title: "Error ratio by version", type: "timeseries", unit: "percentunit", queries: [{ expr: errorRatio("model, version"), legend: "{{model}} v{{version}}" }] },
          { title: "p99 latency by version", type: "timeseries", unit: "µs", queries: [{ expr: `max by (model, version) (nv_inference_request_summary_us{${sel}, quantile="0.99"})`, legend: "{{model}} v{{version}}" }] },
          {
            title: "Queue time per request by version",
            type: "timeseries",
            unit: "µs",
            queries: [{ expr: `${rate("nv_inference_queue_duration_us", "model, version")} / ${rate("nv_inference_request_success", "model, version")}`, legend: "{{model}} v{{version}}" }],
          },
        ],
      },
      {
        title: "Rollout, analysis, promotion and drift",
        panels: [
          { title: "Rollout phase", type: "table", queries: [{ expr: `max by (exported_namespace, name, phase) (rollout_info{${rollouts}})`, instant: true }] },
          {
            title: "Replicas: desired, updated, available",
            type: "timeseries",
            queries: [
              { expr: `max by (name) (rollout_info_replicas_desired{${rollouts}})`, legend: "{{name}} desired" },
              { expr: `max by (name) (rollout_info_replicas_updated{${rollouts}})`, legend: "{{name}} updated (new version)" },
              { expr: `max by (name) (rollout_info_replicas_available{${rollouts}})`, legend: "{{name}} available" },
            ],
          },
          // AnalysisRuns are named after the Rollout, the pod-template hash and the revision.
          { title: "Analysis runs by phase", type: "table", queries: [{ expr: 'max by (exported_namespace, name, phase) (analysis_run_info{name=~"triton-($model)-.+"})', instant: true }] },
          { title: "Failed promotion jobs", type: "table", queries: [{ expr: `max by (job_name) (kube_job_status_failed{namespace="${deliveryNamespace}", job_name=~"${PROMOTION_JOB_PREFIX}.+"}) > 0`, instant: true }] },
          { title: "Input drift (share of columns)", type: "timeseries", unit: "percentunit", min: 0, max: 1, queries: [{ expr: `max by (model) (${DRIFT_METRICS.share}{model=~"$model"})`, legend: "{{model}}" }] },
        ],
      },
    ],
  };
  return dashboard(spec);
}
