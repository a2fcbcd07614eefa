// The canary's arithmetic and its analysis: how many pods a canary holds at its peak (Argo Rollouts v1.9.0's replica
// counts), that every analysis query parses with Prometheus's grammar and reads labels the scraped series carry, and
// that no data is a failure. promtool proves the queries on synthetic series in analysis.verify.ts.
import { analysisChecks, HASH_LABEL, successCondition } from "../../constructs/delivery/analysis";
import { peakPods, weightToReplicas } from "../../constructs/delivery/canary";
import { evaluateCondition } from "../helpers/analysis-condition";
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

  test("measures success rate, p99 latency, queue time and the drift gate with the environment's thresholds", () => {
    const checks = analysisChecks({ namespace: "triton", service: "triton-churn", model: "churn" }, th);
    expect(metrics.map((m) => [m.name, m.successCondition, m.provider.prometheus.query])).toEqual(checks.map((c) => [c.name, successCondition(c), c.query]));
    expect(metrics.map((m) => m.successCondition)).toEqual([
      `len(result) == 1 && result[0] >= ${th.minSuccessRate}`,
      `len(result) == 1 && result[0] <= ${th.maxP99LatencyMs * 1000}`,
      `len(result) == 1 && result[0] <= ${th.maxQueueMs * 1000}`,
      "len(result) == 1 && result[0] == 0",
    ]);
    expect(new Set(metrics.map((m) => m.provider.prometheus.address))).toEqual(new Set(["http://kube-prometheus-stack-prometheus.monitoring.svc:9090"]));
    for (const m of metrics) expect({ interval: m.interval, failureLimit: m.failureLimit, consecutiveErrorLimit: m.consecutiveErrorLimit }).toEqual({ interval: `${th.intervalMinutes}m`, failureLimit: th.failureLimit, consecutiveErrorLimit: 2 });
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

  test("no data fails: an empty result, and the NaN of a ratio over no requests, never pass", () => {
    for (const m of metrics) {
      expect([m.name, evaluateCondition(m.successCondition, [])]).toEqual([m.name, "Failed"]);
      expect([m.name, evaluateCondition(m.successCondition, [NaN])]).toEqual([m.name, "Failed"]);
    }
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
});
