// The canary analysis proven on synthetic series with `promtool test rules` (promql_expr_test): each rendered
// AnalysisTemplate query, with Argo's hash argument substituted, returns what promtool computes for a good canary, a
// bad canary, a quiet canary (fewer requests than minRequests, with a bad ratio) and one with no data, beside stable pods
// whose series must not count; the template's conditions then decide as Argo Rollouts v1.9.0 would (EvaluateResult).
// A good canary passes, a bad one fails, a quiet one and one without data are Inconclusive (the rollout pauses).
import { stringify } from "yaml";
import { evaluateMetric, type AnalysisPhase } from "../helpers/analysis-condition";
import { renderedObject } from "../helpers/ml-helm";
import { promtool } from "../helpers/promtool-tests";
import { exampleEnvironment, exampleStack as stack } from "../helpers/delivery-examples";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const CANARY = "7c5b9d8f6";
const STABLE = "6d4b8f7c9";
const EVAL_MINUTES = 10;
const base = { namespace: "triton", service: "triton-churn", model: "churn" };

/** One pod's Triton series: requests and failures per minute, queue time per request (µs), p99 (µs). */
interface Pod {
  readonly hash: string;
  readonly track: string;
  readonly version: string;
  readonly okPerMinute: number;
  readonly failedPerMinute: number;
  readonly queueUsPerRequest: number;
  readonly p99Us: number;
}

const series = (metric: string, labels: Record<string, string>, values: string) => ({ series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`, values });

function podSeries(p: Pod, i: number): Array<{ series: string; values: string }> {
  const labels = { ...base, version: p.version, pod: `triton-churn-${p.hash}-${i}`, rollouts_pod_template_hash: p.hash, track: p.track };
  // Counters start high, so rate()'s zero-point extrapolation never applies.
  const counter = (perMinute: number) => `1000000+${perMinute}x${EVAL_MINUTES + 2}`;
  return [
    series("nv_inference_request_success", labels, counter(p.okPerMinute)),
    series("nv_inference_request_failure", { ...labels, reason: "BACKEND" }, counter(p.failedPerMinute)),
    series("nv_inference_queue_duration_us", labels, counter(p.okPerMinute * p.queueUsPerRequest)),
    series("nv_inference_request_summary_us", { ...labels, quantile: "0.99" }, `${p.p99Us}+0x${EVAL_MINUTES + 2}`),
  ];
}

/**
 * Prometheus 3.5's rate() over [2m] with a sample every minute (promql/functions.go extrapolatedRate): samples at
 * t-60s and t (the range is left-open), extrapolated to the window start: the delta times (120/60)/120.
 */
const rate = (perMinute: number) => perMinute * (120 / 60 / 120);

/** increase() over [2m] with a sample every minute: the delta extrapolated to the window, as rate() above. */
const increase = (perMinute: number) => perMinute * (120 / 60);

/** What each analysis metric returns for the canary pods, computed with Prometheus's own float operations. */
function expected(canary: readonly Pod[], driftFiring: boolean, minRequests: number): Record<string, number[]> {
  const drift = [driftFiring ? 1 : 0];
  const total = (f: (p: Pod) => number, g: (n: number) => number) => canary.map((p) => g(f(p))).reduce((a, b) => a + b, 0);
  // `(sum(...) or vector(0)) + (sum(...) or vector(0))`: the successes, then the failures.
  const requests = total((p) => p.okPerMinute, increase) + total((p) => p.failedPerMinute, increase);
  if (requests < minRequests) return { "request-count": [requests], "success-rate": [], "p99-latency-us": [], "queue-time-us": [], "input-drift": drift };
  const ok = total((p) => p.okPerMinute, rate);
  const failed = total((p) => p.failedPerMinute, rate);
  return {
    "request-count": [requests],
    "success-rate": [ok / (ok + failed)],
    "p99-latency-us": [Math.max(...canary.map((p) => p.p99Us))],
    "queue-time-us": [total((p) => p.okPerMinute * p.queueUsPerRequest, rate) / ok],
    "input-drift": drift,
  };
}

const good: Pod = { hash: CANARY, track: "canary", version: "8", okPerMinute: 998, failedPerMinute: 2, queueUsPerRequest: 4000, p99Us: 180_000 };
const bad: Pod = { hash: CANARY, track: "canary", version: "8", okPerMinute: 900, failedPerMinute: 100, queueUsPerRequest: 400_000, p99Us: 900_000 };
// 42 requests in the window, 1 in 5 failing: judged, it would fail; below minRequests it is not judged.
const quiet: Pod = { ...bad, okPerMinute: 16, failedPerMinute: 5 };
// The stable pods misbehave where the good canary does not (and the reverse): counting them would flip the verdicts.
const stableFor = (canary: Pod): Pod => ({ ...(canary === good ? bad : good), hash: STABLE, track: "stable", version: "7" });

interface Scenario {
  readonly name: string;
  readonly canary: readonly Pod[];
  readonly stable: Pod;
  readonly driftFiring: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: "a good canary", canary: [good, good], stable: stableFor(good), driftFiring: false },
  { name: "a bad canary", canary: [bad], stable: stableFor(bad), driftFiring: false },
  { name: "a quiet canary (fewer requests than minRequests)", canary: [quiet], stable: stableFor(bad), driftFiring: false },
  { name: "a canary without data (not scraped yet, or mislabelled)", canary: [], stable: stableFor(bad), driftFiring: false },
  { name: "a good canary while the model's inputs drift", canary: [good], stable: stableFor(good), driftFiring: true },
];

function testFile(metrics: Any[], s: Scenario, override: (name: string) => number[] | undefined = () => undefined): string {
  const input = [...s.canary.flatMap(podSeries), ...podSeries(s.stable, 0)];
  if (s.driftFiring) input.push(series("ALERTS", { alertname: "ModelInputDrift", alertstate: "firing", model: "churn", severity: "warning", component: "delivery" }, `1+0x${EVAL_MINUTES + 2}`));
  const want = expected(s.canary, s.driftFiring, minRequests);
  return stringify(
    {
      rule_files: [],
      evaluation_interval: "1m",
      tests: [
        {
          name: s.name,
          interval: "1m",
          input_series: input,
          promql_expr_test: metrics.map((m) => ({
            expr: String(m.provider.prometheus.query).split("{{args.canary-hash}}").join(CANARY),
            eval_time: `${EVAL_MINUTES}m`,
            exp_samples: (override(m.name) ?? want[m.name]).map((value) => ({ labels: "{}", value })),
          })),
        },
      ],
    },
    { lineWidth: 0 },
  );
}

const template = renderedObject(stack("staging-ml"), "AnalysisTemplate", "triton-churn-canary", "triton");
const metrics = template.spec.metrics as Any[];
const minRequests = exampleEnvironment("staging").delivery.analysis.minRequests;
const verdicts = (s: Scenario): Record<string, AnalysisPhase> => Object.fromEntries(metrics.map((m) => [m.name, evaluateMetric(m, expected(s.canary, s.driftFiring, minRequests)[m.name])]));

describe("staging's canary analysis on synthetic series (promtool)", () => {
  test.each(SCENARIOS)("promtool computes what the analysis reads for $name", (s) => {
    const run = promtool(["test", "rules", "tests.yaml"], { "tests.yaml": testFile(metrics, s) });
    expect(run.output).toContain("SUCCESS");
    expect(run.status).toBe(0);
  });

  test("a good canary passes every measurement", () => {
    expect(verdicts(SCENARIOS[0])).toEqual({ "request-count": "Successful", "success-rate": "Successful", "p99-latency-us": "Successful", "queue-time-us": "Successful", "input-drift": "Successful" });
  });

  test("a bad canary fails success rate, p99 and queue time", () => {
    expect(verdicts(SCENARIOS[1])).toEqual({ "request-count": "Successful", "success-rate": "Failed", "p99-latency-us": "Failed", "queue-time-us": "Failed", "input-drift": "Successful" });
  });

  test("a quiet canary is not judged: every Triton measurement is Inconclusive, so the rollout pauses instead of aborting", () => {
    expect(verdicts(SCENARIOS[2])).toEqual({ "request-count": "Inconclusive", "success-rate": "Inconclusive", "p99-latency-us": "Inconclusive", "queue-time-us": "Inconclusive", "input-drift": "Successful" });
  });

  test("no data never passes: Inconclusive too", () => {
    expect(verdicts(SCENARIOS[3])).toEqual({ "request-count": "Inconclusive", "success-rate": "Inconclusive", "p99-latency-us": "Inconclusive", "queue-time-us": "Inconclusive", "input-drift": "Successful" });
  });

  test("a firing drift alert blocks an otherwise good canary", () => {
    expect(verdicts(SCENARIOS[4])).toEqual({ "request-count": "Successful", "success-rate": "Successful", "p99-latency-us": "Successful", "queue-time-us": "Successful", "input-drift": "Failed" });
  });
});

describe("the promtool proof can fail", () => {
  test("a wrong expectation fails (promtool compares exactly)", () => {
    const run = promtool(["test", "rules", "tests.yaml"], { "tests.yaml": testFile(metrics, SCENARIOS[0], (n) => (n === "success-rate" ? [0.9] : undefined)) });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/expr: "\(sum\(rate\(nv_inference_request_success/);
  });

  test("without the request gate, the quiet canary's bad ratio is measured: the same query would fail it", () => {
    const ungated = metrics.map((m) => ({ ...m, provider: { prometheus: { ...m.provider.prometheus, query: String(m.provider.prometheus.query).replace(/ and on \(\) \(.*\)$/, "") } } }));
    const run = promtool(["test", "rules", "tests.yaml"], { "tests.yaml": testFile(ungated, SCENARIOS[2]) });
    expect(run.status).toBe(1);
    expect(run.output).toContain("FAILED");
  });

  test("a query that does not select the canary's hash counts the stable pods and gets another value", () => {
    const unselective = metrics.map((m) => ({ ...m, provider: { prometheus: { ...m.provider.prometheus, query: String(m.provider.prometheus.query).replace(/,rollouts_pod_template_hash="\{\{args\.canary-hash\}\}"/g, "") } } }));
    const run = promtool(["test", "rules", "tests.yaml"], { "tests.yaml": testFile(unselective, SCENARIOS[0]) });
    expect(run.status).toBe(1);
    expect(run.output).toContain("FAILED");
  });
});
