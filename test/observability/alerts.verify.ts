// `promtool test rules`: every platform alert, as each environment renders it, fires on synthetic series that cross
// the environment's threshold for its duration and stays quiet on series that do not (cases in
// test/helpers/alert-scenarios.ts, built from the environment's settings), with failing cases.
import type { AlertCase } from "../helpers/alert-scenarios";
import { environmentAlertCases, humanize, promtool, promtoolTestFile, ruleFile } from "../helpers/promtool-tests";
import { EXAMPLE_ENV_PREFIX, type RenderedRuleGroup } from "../helpers/rendered-queries";
import { projectEnvironment } from "../helpers/synth";

// The shipped environments serve no model; their examples (docs/delivery.md) add the per-model alerts.
const ENVS = ["dev", "staging", "prod", ...["dev", "staging", "prod"].map((e) => `${EXAMPLE_ENV_PREFIX}${e}`)];

function testRules(groups: readonly RenderedRuleGroup[], cases: readonly AlertCase[]) {
  return promtool(["test", "rules", "tests.yaml"], { "rules.yaml": ruleFile(groups), "tests.yaml": promtoolTestFile("rules.yaml", groups, cases) });
}

describe.each(ENVS)("%s: promtool test rules", (env) => {
  test("every alert fires when its series cross the environment's thresholds and stays quiet otherwise", () => {
    const { groups, cases } = environmentAlertCases(env);
    const run = testRules(groups, cases);
    expect(run.output).not.toContain("FAILED");
    expect(run.output).toContain("SUCCESS");
    expect(run.status).toBe(0);
  });
});

describe("promtool test rules: failing cases", () => {
  const dev = projectEnvironment("dev").observability;
  const only = (cases: readonly AlertCase[], alert: string) => cases.filter((c) => c.alert === alert);

  test("an expectation that is wrong fails", () => {
    const { groups, cases } = environmentAlertCases("dev");
    const idle = only(cases, "GpuAllocatedButIdle");
    const wrong = idle.map((c, i) => (i === 0 ? { ...c, fires: [] } : c));
    const run = testRules(groups, wrong);
    expect(run.status).toBe(1);
    expect(run.output).toContain(`name: GpuAllocatedButIdle: ${idle[0].title},`);
    expect(run.output).toMatch(/exp:\[\],\s*got:\[\s*0:\s*Labels:\{[^}]*alertname="GpuAllocatedButIdle"/);
  });

  test("rules that do not use the environment's idle threshold fail", () => {
    const gpuIdle = { ...dev.alerts.gpuIdle, utilizationPercent: dev.alerts.gpuIdle.utilizationPercent * 2 };
    const { groups, cases } = environmentAlertCases("dev", { alerts: { ...dev.alerts, gpuIdle } });
    const run = testRules(groups, only(cases, "GpuAllocatedButIdle"));
    expect(run.status).toBe(1);
    expect(run.output).toContain(`name: GpuAllocatedButIdle: fires after ${gpuIdle.forMinutes} min under ${gpuIdle.utilizationPercent}%,`);
  });

  test("rules that do not wait the environment's duration fail", () => {
    const nodeNotReady = { forMinutes: dev.alerts.nodeNotReady.forMinutes * 2 };
    const { groups, cases } = environmentAlertCases("dev", { alerts: { ...dev.alerts, nodeNotReady } });
    const run = testRules(groups, only(cases, "NodeNotReady"));
    expect(run.status).toBe(1);
    expect(run.output).toContain(`name: NodeNotReady: quiet before ${nodeNotReady.forMinutes} min,`);
  });

  test("an annotation rendered differently fails", () => {
    const { groups, cases } = environmentAlertCases("dev");
    const queue = only(cases, "TritonQueueTimeGrowing").filter((c) => c.fires.length);
    const value = queue[0].fires[0].value!;
    const off = queue.map((c) => ({ ...c, fires: c.fires.map((f) => ({ ...f, value: value * 1.01 })) }));
    const run = testRules(groups, off);
    expect(run.status).toBe(1);
    expect(run.output).toContain(`Average queue time per request is ${humanize(value * 1.01)}µs`);
    expect(run.output).toContain(`Average queue time per request is ${humanize(value)}µs`);
  });
});
