import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * The canary analysis of one model: Argo Rollouts AnalysisTemplates with the Prometheus provider that measure the
 * canary's own Triton pods (their `rollouts-pod-template-hash`, copied onto every scraped series as
 * `rollouts_pod_template_hash`), and what counts as passing.
 *
 * A quiet canary is not judged: `request-count` is the requests the canary served in the rate window, and every
 * other Triton measurement only returns a value while that count is at least `minRequests` (`and on() (count >= N)`).
 * Below it, and for any empty or NaN result, neither the success nor the failure condition holds, which Argo Rollouts
 * v1.9.0 (utils/evaluate/evaluate.go EvaluateResult) records as Inconclusive; past `inconclusiveLimit` the run is
 * Inconclusive and the rollout pauses for a human instead of aborting a version nobody measured. A measured value that
 * misses its threshold fails (`failureLimit`, then abort), and an unreachable Prometheus errors
 * (`consecutiveErrorLimit`, then abort). No data is never a pass.
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
  /** Requests the canary must serve in the rate window before its measurements count. */
  readonly minRequests: number;
  /** Inconclusive (quiet) measurements a metric may have before the run is Inconclusive and the rollout pauses. */
  readonly inconclusiveLimit: number;
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
  /**
   * `measured`: fails only on a value that misses the threshold (Inconclusive without one). `gate`: the request count,
   * never a failure (Inconclusive below it). `blocking`: fails unless it passes (the drift alert).
   */
  readonly kind: "measured" | "gate" | "blocking";
}

/** Name of the request-count gate. */
export const REQUEST_GATE = "request-count";

/** The alert whose firing blocks promotion (delivery rules, `ModelInputDrift`). */
export const DRIFT_ALERT = "ModelInputDrift";

/** The checks of a model's canary, with `hash` in the label matcher (Argo's placeholder, or a literal in tests). */
export function analysisChecks(t: AnalysisTarget, th: AnalysisThresholds, hash = HASH_PLACEHOLDER): AnalysisCheck[] {
  const sel = `{namespace="${t.namespace}",service="${t.service}",model="${t.model}",${HASH_LABEL}="${hash}"}`;
  const rate = (metric: string) => `sum(rate(${metric}${sel}[${WINDOW}]))`;
  // Requests in the window, success and failure; 0 (one sample) when the canary has no series at all.
  const requests = `(sum(increase(nv_inference_request_success${sel}[${WINDOW}])) or vector(0)) + (sum(increase(nv_inference_request_failure${sel}[${WINDOW}])) or vector(0))`;
  const gated = (q: string) => `(${q}) and on () (${requests} >= ${th.minRequests})`;
  const checks: AnalysisCheck[] = [
    { name: REQUEST_GATE, query: requests, op: ">=", threshold: th.minRequests, kind: "gate" },
    {
      name: "success-rate",
      query: gated(`${rate("nv_inference_request_success")} / (${rate("nv_inference_request_success")} + ${rate("nv_inference_request_failure")})`),
      op: ">=",
      threshold: th.minSuccessRate,
      kind: "measured",
    },
    {
      // Triton's p99 summary per pod (µs); the worst canary pod is the canary's bound.
      name: "p99-latency-us",
      query: gated(`max(nv_inference_request_summary_us{namespace="${t.namespace}",service="${t.service}",model="${t.model}",${HASH_LABEL}="${hash}",quantile="0.99"})`),
      op: "<=",
      threshold: th.maxP99LatencyMs * 1000,
      kind: "measured",
    },
    {
      name: "queue-time-us",
      query: gated(`${rate("nv_inference_queue_duration_us")} / ${rate("nv_inference_request_success")}`),
      op: "<=",
      threshold: th.maxQueueMs * 1000,
      kind: "measured",
    },
  ];
  // No firing alert is the one case where an empty result means "fine": `or vector(0)` makes it a zero sample.
  if (th.blockOnDrift) {
    checks.push({ name: "input-drift", query: `sum(ALERTS{alertname="${DRIFT_ALERT}",alertstate="firing",model="${t.model}"}) or vector(0)`, op: "==", threshold: 0, kind: "blocking" });
  }
  return checks;
}

const num = (v: number) => Number(v.toPrecision(12));
const NEGATION = { ">=": "<", "<=": ">", "==": "!=" } as const;

/** The expr condition Argo evaluates on a check's result (a list of floats). */
export function successCondition(c: Pick<AnalysisCheck, "op" | "threshold">): string {
  return `len(result) == 1 && result[0] ${c.op} ${num(c.threshold)}`;
}

/**
 * The failure condition: a measured value that misses the threshold (NaN compares false both ways: Inconclusive);
 * `false` for the gate, which is never a failure. None for a blocking check: not passing is failing.
 */
export function failureCondition(c: Pick<AnalysisCheck, "op" | "threshold" | "kind">): string | undefined {
  if (c.kind === "gate") return "false";
  if (c.kind === "blocking") return undefined;
  return `len(result) == 1 && result[0] ${NEGATION[c.op]} ${num(c.threshold)}`;
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
        inconclusiveLimit: th.inconclusiveLimit,
        consecutiveErrorLimit: 2,
        successCondition: successCondition(c),
        ...(failureCondition(c) ? { failureCondition: failureCondition(c) } : {}),
        provider: { prometheus: { address: prometheusUrl, query: c.query } },
      })),
    },
  };
}
