// The canary's arithmetic and its analysis: how many pods a canary holds at its peak (Argo Rollouts v1.9.0's replica
// counts), that every analysis query parses with Prometheus's grammar and reads labels the scraped series carry, and
// that no data is a failure. promtool proves the queries on synthetic series in analysis.verify.ts.
import { analysisChecks, failureCondition, HASH_LABEL, successCondition } from "../../constructs/delivery/analysis";
import { peakPods, weightToReplicas } from "../../constructs/delivery/canary";
import { evaluateCondition, evaluateMetric } from "../helpers/analysis-condition";
import { upstreamLabelCatalog } from "../helpers/obs-upstream-labels";
import { ALL_UPSTREAM_METRICS } from "../helpers/obs-upstream-metrics";
import { metricNames, parsePromql, promqlProblems, valueType } from "../helpers/promql";
import { labelFlow } from "../helpers/promql-labels";
import { renderedObject } from "../helpers/ml-helm";
import { scrapeSettings } from "../helpers/rendered-queries";
import { exampleEnvironment as projectEnvironment, exampleStack as stack } from "../helpers/delivery-examples";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const STEPS = [10, 25, 50].map((weight) => ({ weight }));

describe("canary peak pods", () => {
  test("Argo's rounding: weights round up to whole pods", () => {
    expect([weightToReplicas(4, 10), weightToReplicas(4, 25), weightToReplicas(4, 50), weightToReplicas(16, 10), weightToReplicas(3, 50)]).toEqual([1, 1, 2, 2, 2]);
  });

  test("through the load balancer, the stable keeps the pods for the weight it still gets until traffic moves", () => {
    // 16 replicas: 0→10: 2 + 16; 10→25: 4 + 15; 25→50: 8 + 12; 50→100: 16 + 8 = 24; abort at 50%: 16 + 8.
    expect(peakPods(16, STEPS, { trafficRouted: true, experimentPods: 0 })).toBe(24);
    // A last step at 90%: aborting there scales the stable back to 16 beside 15 canary pods.
    expect(peakPods(16, [...STEPS, { weight: 90 }], { trafficRouted: true, experimentPods: 0 })).toBe(31);
    expect(peakPods(4, STEPS, { trafficRouted: true, experimentPods: 2 })).toBe(6);
  });

  test("without traffic routing, one surge pod, or the experiment's arms beside the full stable", () => {
    expect(peakPods(2, STEPS, { trafficRouted: false, experimentPods: 0 })).toBe(3);
    expect(peakPods(2, STEPS, { trafficRouted: false, experimentPods: 2 })).toBe(4);
  });
});

describe.each(["dev", "staging", "prod"] as const)("%s: the canary analysis", (env) => {
  const template = renderedObject(stack(`${env}-ml`), "AnalysisTemplate", "triton-churn-canary", "triton");
  const metrics = template.spec.metrics as Any[];
  const th = projectEnvironment(env).delivery.analysis;
  const withHash = (q: string) => q.split("{{args.canary-hash}}").join("6d4b8f7c9");

  test("measures success rate, p99 latency, queue time and the drift gate with the environment's thresholds, once the canary has traffic", () => {
    const checks = analysisChecks({ namespace: "triton", service: "triton-churn", model: "churn" }, th);
    expect(metrics.map((m) => [m.name, m.successCondition, m.failureCondition, m.provider.prometheus.query])).toEqual(checks.map((c) => [c.name, successCondition(c), failureCondition(c), c.query]));
    expect(metrics.map((m) => [m.name, m.successCondition, m.failureCondition])).toEqual([
      ["request-count", `len(result) == 1 && result[0] >= ${th.minRequests}`, "false"],
      ["success-rate", `len(result) == 1 && result[0] >= ${th.minSuccessRate}`, `len(result) == 1 && result[0] < ${th.minSuccessRate}`],
      ["p99-latency-us", `len(result) == 1 && result[0] <= ${th.maxP99LatencyMs * 1000}`, `len(result) == 1 && result[0] > ${th.maxP99LatencyMs * 1000}`],
      ["queue-time-us", `len(result) == 1 && result[0] <= ${th.maxQueueMs * 1000}`, `len(result) == 1 && result[0] > ${th.maxQueueMs * 1000}`],
      ["input-drift", "len(result) == 1 && result[0] == 0", undefined],
    ]);
    // Every Triton measurement but the gate is only made while the canary served minRequests in the window.
    for (const m of metrics.filter((x) => !["request-count", "input-drift"].includes(x.name))) expect(m.provider.prometheus.query).toMatch(new RegExp(`\\) and on \\(\\) \\(.*increase\\(nv_inference_request_success.* >= ${th.minRequests}\\)$`));
    expect(new Set(metrics.map((m) => m.provider.prometheus.address))).toEqual(new Set(["http://kube-prometheus-stack-prometheus.monitoring.svc:9090"]));
    for (const m of metrics) {
      expect({ interval: m.interval, failureLimit: m.failureLimit, inconclusiveLimit: m.inconclusiveLimit, consecutiveErrorLimit: m.consecutiveErrorLimit }).toEqual({ interval: `${th.intervalMinutes}m`, failureLimit: th.failureLimit, inconclusiveLimit: th.inconclusiveLimit, consecutiveErrorLimit: 2 });
    }
  });

  test("every query parses and type-checks as Prometheus does, yields an instant vector, and reads documented metrics", () => {
    for (const m of metrics) {
      const q = withHash(m.provider.prometheus.query);
      expect([m.name, promqlProblems(q)]).toEqual([m.name, []]);
      const parsed = parsePromql(q);
      expect([m.name, valueType(parsed, parsed.root)]).toEqual([m.name, "vector"]);
      expect(metricNames(q).filter((n) => !ALL_UPSTREAM_METRICS.has(n) && n !== "ALERTS")).toEqual([]);
    }
  });

  test("the canary's own pods are selected by the hash label the ServiceMonitor copies onto the series", () => {
    const catalog = upstreamLabelCatalog(scrapeSettings(env));
    for (const m of metrics.filter((x) => x.name !== "input-drift")) {
      const q = withHash(m.provider.prometheus.query);
      expect(q).toContain(`${HASH_LABEL}="6d4b8f7c9"`);
      expect([m.name, labelFlow(q, catalog).problems]).toEqual([m.name, []]);
    }
  });

  test("a quiet canary is inconclusive (the rollout pauses for a human), a bad one fails, a good one passes; drift blocks", () => {
    const byName = Object.fromEntries(metrics.map((m) => [m.name, m]));
    const phase = (name: string, result: number[]) => evaluateMetric(byName[name], result);
    // Below the gate, the measured queries return nothing; a ratio over no requests is NaN.
    expect([phase("request-count", [0]), phase("request-count", [th.minRequests - 1]), phase("request-count", [th.minRequests])]).toEqual(["Inconclusive", "Inconclusive", "Successful"]);
    for (const name of ["success-rate", "p99-latency-us", "queue-time-us"]) {
      expect([name, phase(name, []), phase(name, [NaN])]).toEqual([name, "Inconclusive", "Inconclusive"]);
    }
    expect([phase("success-rate", [th.minSuccessRate - 0.01]), phase("p99-latency-us", [th.maxP99LatencyMs * 1000 + 1]), phase("queue-time-us", [th.maxQueueMs * 1000 + 1])]).toEqual(["Failed", "Failed", "Failed"]);
    expect([phase("success-rate", [1]), phase("p99-latency-us", [th.maxP99LatencyMs * 1000]), phase("queue-time-us", [0])]).toEqual(["Successful", "Successful", "Successful"]);
    expect([phase("input-drift", [0]), phase("input-drift", [1]), phase("input-drift", [])]).toEqual(["Successful", "Failed", "Failed"]);
  });
});

describe("the condition evaluator", () => {
  test("passes and fails on the threshold, and refuses a form it does not know", () => {
    expect(evaluateCondition("len(result) == 1 && result[0] >= 0.99", [0.995])).toBe("Successful");
    expect(evaluateCondition("len(result) == 1 && result[0] >= 0.99", [0.98])).toBe("Failed");
    expect(evaluateCondition("len(result) == 1 && result[0] <= 500000", [500000])).toBe("Successful");
    expect(evaluateCondition("len(result) == 1 && result[0] == 0", [1])).toBe("Failed");
    expect(() => evaluateCondition("result[0] >= 0.99", [1])).toThrow("not a condition form");
  });

  test("as Argo's EvaluateResult: the failure condition wins, neither holding is Inconclusive, no failure condition means Failed", () => {
    const m = { successCondition: "len(result) == 1 && result[0] >= 0.99", failureCondition: "len(result) == 1 && result[0] < 0.99" };
    expect([evaluateMetric(m, [0.995]), evaluateMetric(m, [0.5]), evaluateMetric(m, []), evaluateMetric(m, [NaN])]).toEqual(["Successful", "Failed", "Inconclusive", "Inconclusive"]);
    expect(evaluateMetric({ successCondition: m.successCondition }, [])).toBe("Failed");
    expect(evaluateMetric({ successCondition: m.successCondition, failureCondition: "false" }, [0.5])).toBe("Inconclusive");
  });
});
