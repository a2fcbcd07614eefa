// Alert and recording rules: every alert the issue asks for, thresholds from the environment, and a PrometheusRule
// the CRD accepts. Their PromQL (syntax, types, metric and label names) is checked with every other deployed query in
// queries.test.ts; promtool checks and unit-tests them in promtool.verify.ts and alerts.verify.ts.
import { CRITICAL_XIDS, platformRuleGroups, prometheusRule, RECORDED, type AlertingRule, type AlertThresholds, type RecordingRule, type RuleGroup } from "../../constructs/observability/rules";
import { validateCustomResource } from "../helpers/crd";
import { renderedObject } from "../helpers/ml-helm";
import { projectEnvironment, stack } from "../helpers/synth";

const ENVS = ["dev", "staging", "prod"] as const;
const dev = projectEnvironment("dev").observability;

const alerts = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules.filter((r): r is AlertingRule => "alert" in r));
const records = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => "record" in r));
const alertNamed = (groups: readonly RuleGroup[], name: string) => {
  const a = alerts(groups).find((r) => r.alert === name);
  if (!a) throw new Error(`no alert ${name}`);
  return a;
};

/** The synthesized PrometheusRule of an environment's platform stack. */
const synthesizedGroups = (env: string): RuleGroup[] => renderedObject(stack(`${env}-platform`), "PrometheusRule", "ml-platform", "monitoring").spec.groups;

describe("platform alert rules", () => {
  test("cover every alert of issue 5 (GPU idle, XID, ECC, memory; Triton p99, burn rate, queue; Karpenter; NodePool limit; pending GPU pods; nodes)", () => {
    expect(alerts(platformRuleGroups(dev.alerts, dev.slo)).map((a) => a.alert).sort()).toEqual([
      "GpuAllocatedButIdle",
      "GpuCriticalXidError",
      "GpuMemoryNearFull",
      "GpuPodPending",
      "GpuRowRemapFailure",
      "GpuUncorrectableEccErrors",
      "GpuXidError",
      "KarpenterInsufficientCapacity",
      "KarpenterNodeClaimLaunchFailing",
      "KarpenterNodePoolNearLimit",
      "NodeNotReady",
      "TritonErrorBudgetBurnFast",
      "TritonErrorBudgetBurnSlow",
      "TritonP99LatencyOverSlo",
      "TritonQueueTimeGrowing",
    ]);
  });

  test("take every threshold and duration from the environment", () => {
    const t: AlertThresholds = {
      gpuIdle: { utilizationPercent: 7, forMinutes: 41 },
      gpuMemoryNearFull: { usedPercent: 88.5, forMinutes: 42 },
      tritonLatency: { forMinutes: 43 },
      tritonQueue: { queueMilliseconds: 250, forMinutes: 44 },
      karpenterLaunchFailure: { forMinutes: 45 },
      nodePoolNearLimit: { usedPercent: 75, forMinutes: 46 },
      gpuPodPending: { forMinutes: 47 },
      nodeNotReady: { forMinutes: 48 },
    };
    const g = platformRuleGroups(t, { tritonAvailabilityPercent: 99.5, tritonP99LatencyMs: 250 });
    const pick = (name: string) => {
      const a = alertNamed(g, name);
      return { expr: a.expr, for: a.for };
    };
    expect(pick("GpuAllocatedButIdle")).toEqual({ expr: 'DCGM_FI_DEV_GPU_UTIL{exported_pod!=""} < 7', for: "41m" });
    expect(pick("GpuMemoryNearFull")).toEqual({ expr: "100 * DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 88.5", for: "42m" });
    expect(pick("TritonP99LatencyOverSlo")).toEqual({ expr: `${RECORDED.tritonP99} > 250000`, for: "43m" });
    expect(pick("TritonQueueTimeGrowing")).toEqual({ expr: `${RECORDED.tritonQueuePerRequest} > 250000 and deriv(${RECORDED.tritonQueuePerRequest}[15m]) > 0`, for: "44m" });
    expect(pick("KarpenterNodeClaimLaunchFailing").for).toBe("45m");
    expect(pick("KarpenterInsufficientCapacity")).toEqual({
      expr: 'sum by (controller) (rate(karpenter_cloudprovider_errors_total{method="Create", error="InsufficientCapacityError"}[5m])) > 0',
      for: "45m",
    });
    expect(pick("KarpenterNodePoolNearLimit")).toEqual({ expr: "100 * karpenter_nodepools_usage / on (nodepool, resource_type) (karpenter_nodepools_limit > 0) > 75", for: "46m" });
    expect(pick("GpuPodPending").for).toBe("47m");
    expect(pick("NodeNotReady")).toEqual({ expr: 'max by (node) (kube_node_status_condition{condition="Ready", status="true"}) == 0', for: "48m" });
  });

  test("page on error-budget burn over two windows each, with rates derived from the availability SLO", () => {
    const g = platformRuleGroups(dev.alerts, { tritonAvailabilityPercent: 99.9, tritonP99LatencyMs: 500 });
    const r = RECORDED.tritonErrorRatio;
    expect(alertNamed(g, "TritonErrorBudgetBurnFast")).toEqual(
      expect.objectContaining({
        expr: `(${r("1h")} > 0.0144 and ${r("5m")} > 0.0144) or (${r("6h")} > 0.006 and ${r("30m")} > 0.006)`,
        labels: { severity: "critical", component: "inference" },
      }),
    );
    expect(alertNamed(g, "TritonErrorBudgetBurnSlow").expr).toBe(`(${r("1d")} > 0.003 and ${r("2h")} > 0.003) or (${r("3d")} > 0.001 and ${r("6h")} > 0.001)`);
    expect(records(g).find((x) => x.record === r("5m"))?.expr).toBe(
      "sum by (namespace, model) (rate(nv_inference_request_failure[5m])) / (sum by (namespace, model) (rate(nv_inference_request_success[5m])) + sum by (namespace, model) (rate(nv_inference_request_failure[5m])))",
    );
  });

  test("treat the hardware XIDs as critical and every other XID as a warning", () => {
    const g = platformRuleGroups(dev.alerts, dev.slo);
    expect(alertNamed(g, "GpuCriticalXidError").expr).toBe(CRITICAL_XIDS.map((x) => `DCGM_FI_DEV_XID_ERRORS == ${x}`).join(" or "));
    expect(CRITICAL_XIDS).toEqual([48, 63, 64, 74, 79, 92, 94, 95, 119, 154]);
    expect(alertNamed(g, "GpuXidError")).toEqual(expect.objectContaining({ expr: "DCGM_FI_DEV_XID_ERRORS > 0", labels: { severity: "warning", component: "gpu" } }));
  });

  test("prod's environment file overrides the idle threshold and the latency SLO; dev keeps the defaults", () => {
    const prodRules = synthesizedGroups("prod");
    const devRules = synthesizedGroups("dev");
    expect(alertNamed(prodRules, "GpuAllocatedButIdle")).toEqual(expect.objectContaining({ for: "30m", expr: 'DCGM_FI_DEV_GPU_UTIL{exported_pod!=""} < 5' }));
    expect(alertNamed(devRules, "GpuAllocatedButIdle")).toEqual(expect.objectContaining({ for: "60m" }));
    expect(alertNamed(prodRules, "TritonP99LatencyOverSlo").expr).toBe(`${RECORDED.tritonP99} > 300000`);
    expect(alertNamed(devRules, "TritonP99LatencyOverSlo").expr).toBe(`${RECORDED.tritonP99} > 500000`);
  });

  test("fail on a threshold that is not a finite number", () => {
    expect(() => platformRuleGroups({ ...dev.alerts, gpuIdle: { utilizationPercent: NaN, forMinutes: 5 } }, dev.slo)).toThrow("rule thresholds must be finite numbers, got NaN");
  });
});

describe.each(ENVS)("%s: the synthesized PrometheusRule", (env) => {
  const groups = synthesizedGroups(env);

  test("sums GPU-hours from a recording group evaluated every minute", () => {
    expect(groups.find((g) => g.rules.some((r) => "record" in r && r.record === RECORDED.teamGpus))?.interval).toBe("1m");
  });
});

describe("PrometheusRule against the Prometheus Operator CRD", () => {
  test.each(ENVS)("%s: the rendered rule is valid", (env) => {
    expect(validateCustomResource(renderedObject(stack(`${env}-platform`), "PrometheusRule", "ml-platform", "monitoring"))).toEqual([]);
  });

  test("the validator rejects a rule with a malformed `for`", () => {
    const bad = prometheusRule("x", "monitoring", [{ name: "g", rules: [{ alert: "A", expr: "up == 0", for: "ten minutes", labels: { severity: "warning", component: "x" }, annotations: { summary: "", description: "" } }] }]);
    expect(validateCustomResource(bad).join("\n")).toMatch(/^\/spec\/groups\/0\/rules\/0\/for: got "ten minutes"; must match pattern/);
  });
});
