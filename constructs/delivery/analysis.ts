import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * The canary analysis of one model: Argo Rollouts AnalysisTemplates with the Prometheus provider that measure the
 * canary's own Triton pods (their `rollouts-pod-template-hash`, copied onto every scraped series as
 * `rollouts_pod_template_hash`), and what counts as passing.
 *
 * No data is a failure, never a success: each condition needs exactly one sample (`len(result) == 1`), so an empty
 * result (no series: the pods are not scraped, the label is wrong) fails the measurement, and a ratio of no requests
 * (0/0 = NaN) fails every comparison. Argo Rollouts v1.9.0 evaluates conditions with expr (utils/evaluate), where
 * `NaN >= x` and `NaN <= x` are false; an unreachable Prometheus is an Error, and `consecutiveErrorLimit` errors in a
 * row end the run as Error, which aborts the rollout like a failure.
 */

/** Argo's argument carrying the pod-template hash of the pods to measure. */
export const HASH_ARG = "canary-hash";

/** The hash placeholder as Argo substitutes it into queries. */
export const HASH_PLACEHOLDER = `{{args.${HASH_ARG}}}`;

/** Label the ServiceMonitor copies from the pods (`podTargetLabels`), as Prometheus sanitizes it. */
export const HASH_LABEL = "rollouts_pod_template_hash";

/** Rate window of the analysis queries (two scrapes at 15 s fit many times). */
const WINDOW = "2m";

/** Where a model's series are and which pods to measure. */
export interface AnalysisTarget {
  readonly namespace: string;
  /** The root Service the ServiceMonitor scrapes (the `service` target label). */
  readonly service: string;
  /** Triton's model name (the `model` label). */
  readonly model: string;
}

/** Thresholds from the environment's `delivery.analysis`. */
export interface AnalysisThresholds {
  readonly intervalMinutes: number;
  readonly failureLimit: number;
  readonly minSuccessRate: number;
  readonly maxP99LatencyMs: number;
  readonly maxQueueMs: number;
  readonly blockOnDrift: boolean;
}

/** One metric of the analysis: its query, the comparison that passes, and the threshold. */
export interface AnalysisCheck {
  readonly name: string;
  readonly query: string;
  readonly op: ">=" | "<=" | "==";
  readonly threshold: number;
}

/** The alert whose firing blocks promotion (delivery rules, `ModelInputDrift`). */
export const DRIFT_ALERT = "ModelInputDrift";

/** The checks of a model's canary, with `hash` in the label matcher (Argo's placeholder, or a literal in tests). */
export function analysisChecks(t: AnalysisTarget, th: AnalysisThresholds, hash = HASH_PLACEHOLDER): AnalysisCheck[] {
  const sel = `{namespace="${t.namespace}",service="${t.service}",model="${t.model}",${HASH_LABEL}="${hash}"}`;
  const rate = (metric: string) => `sum(rate(${metric}${sel}[${WINDOW}]))`;
  const checks: AnalysisCheck[] = [
    {
      name: "success-rate",
      query: `${rate("nv_inference_request_success")} / (${rate("nv_inference_request_success")} + ${rate("nv_inference_request_failure")})`,
      op: ">=",
      threshold: th.minSuccessRate,
    },
    {
      // Triton's p99 summary per pod (µs); the worst canary pod is the canary's bound.
      name: "p99-latency-us",
      query: `max(nv_inference_request_summary_us{namespace="${t.namespace}",service="${t.service}",model="${t.model}",${HASH_LABEL}="${hash}",quantile="0.99"})`,
      op: "<=",
      threshold: th.maxP99LatencyMs * 1000,
    },
    {
      name: "queue-time-us",
      query: `${rate("nv_inference_queue_duration_us")} / ${rate("nv_inference_request_success")}`,
      op: "<=",
      threshold: th.maxQueueMs * 1000,
    },
  ];
  // No firing alert is the one case where an empty result means "fine": `or vector(0)` makes it a zero sample.
  if (th.blockOnDrift) {
    checks.push({ name: "input-drift", query: `sum(ALERTS{alertname="${DRIFT_ALERT}",alertstate="firing",model="${t.model}"}) or vector(0)`, op: "==", threshold: 0 });
  }
  return checks;
}

/** The expr condition Argo evaluates on a check's result (a list of floats). */
export function successCondition(c: Pick<AnalysisCheck, "op" | "threshold">): string {
  return `len(result) == 1 && result[0] ${c.op} ${Number(c.threshold.toPrecision(12))}`;
}

/** A model's AnalysisTemplate; `prometheusUrl` is the in-cluster Prometheus. */
export function analysisTemplate(name: string, t: AnalysisTarget, th: AnalysisThresholds, prometheusUrl: string, labels: Record<string, string>): KubernetesObject {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisTemplate",
    metadata: { name, namespace: t.namespace, labels: { ...labels } },
    spec: {
      args: [{ name: HASH_ARG }],
      metrics: analysisChecks(t, th).map((c) => ({
        name: c.name,
        interval: `${th.intervalMinutes}m`,
        // The rate window needs scrapes of the new pods before the first measurement.
        initialDelay: WINDOW,
        failureLimit: th.failureLimit,
        consecutiveErrorLimit: 2,
        successCondition: successCondition(c),
        provider: { prometheus: { address: prometheusUrl, query: c.query } },
      })),
    },
  };
}
