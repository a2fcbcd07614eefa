// `promtool check rules` (Prometheus 3's own parser and rule loader) over every PrometheusRule the stacks of each
// environment deploy, and over every dashboard and KEDA query as recording rules, with a failing case for each.
import { promtool, ruleFile } from "../helpers/promtool-tests";
import { dashboardQueries, kedaQueries, renderedDashboards, renderedPrometheusRules, type RenderedRuleGroup } from "../helpers/rendered-queries";

const ENVS = ["dev", "staging", "prod"] as const;

/** Checks rule files (name to groups) with every lint fatal; returns promtool's status and output. */
function checkRules(files: Readonly<Record<string, readonly RenderedRuleGroup[]>>) {
  const texts = Object.fromEntries(Object.entries(files).map(([name, groups]) => [name, ruleFile(groups)]));
  return promtool(["check", "rules", "--lint=all", "--lint-fatal", ...Object.keys(files)], texts);
}

/** The dashboards' and KEDA triggers' queries of an environment as one group of recording rules. */
function queryGroup(env: string): RenderedRuleGroup {
  const queries = [...renderedDashboards(env).flatMap(dashboardQueries), ...kedaQueries(env)];
  return { name: `${env}-queries`, rules: queries.map((q, i) => ({ record: `query_${i}`, expr: q.expr })) };
}

describe.each(ENVS)("%s: promtool check rules", (env) => {
  test("accepts every PrometheusRule the stacks render", () => {
    const rules = renderedPrometheusRules(env);
    expect(rules.length).toBeGreaterThan(0);
    const files = Object.fromEntries(rules.map(({ stack, obj }) => [`${stack}-${obj.metadata.name}.yaml`, obj.spec.groups as RenderedRuleGroup[]]));
    const run = checkRules(files);
    expect(run.output).not.toContain("FAILED");
    expect(run.status).toBe(0);
    for (const [name, groups] of Object.entries(files)) {
      expect(run.output).toContain(`Checking ${name}\n  SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`);
    }
  });

  test("accepts every dashboard and KEDA query", () => {
    const group = queryGroup(env);
    expect(group.rules.length).toBeGreaterThan(30);
    const run = checkRules({ "queries.yaml": [group] });
    expect(run.output).toContain(`SUCCESS: ${group.rules.length} rules found`);
    expect(run.status).toBe(0);
  });
});

describe("promtool check rules: failing cases", () => {
  const groups = renderedPrometheusRules("dev").flatMap(({ obj }) => obj.spec.groups as RenderedRuleGroup[]);
  /** The dev rules with one alert's fields replaced. */
  const withAlert = (alert: string, change: Record<string, unknown>): RenderedRuleGroup[] =>
    groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === alert ? { ...r, ...change } : r)) }));

  test.each([
    ["a type error", withAlert("GpuXidError", { expr: "rate(DCGM_FI_DEV_XID_ERRORS) > 0" }), '"GpuXidError": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ["a syntax error", withAlert("NodeNotReady", { expr: 'max by (node) (kube_node_status_condition{condition="Ready"' }), '"NodeNotReady": could not parse expression'],
    ["an experimental function", withAlert("GpuRowRemapFailure", { expr: "mad_over_time(DCGM_FI_DEV_ROW_REMAP_FAILURE[5m]) > 0" }), 'function "mad_over_time" is not enabled'],
    ["an invalid template", withAlert("NodeNotReady", { annotations: { summary: "Node {{ $labels.node " } }), '"NodeNotReady": annotation "summary": template: __alert_NodeNotReady:1: unclosed action'],
    ["a Grafana variable left in a query", [{ name: "queries", rules: [{ record: "query_0", expr: "sum(rate(nv_inference_count[$__rate_interval]))" }] }], "could not parse expression"],
  ])("fails a rule file with %s", (_what, broken, message) => {
    const run = checkRules({ "broken.yaml": broken as RenderedRuleGroup[] });
    expect(run.status).toBe(1);
    expect(run.output).toContain(message);
  });

  test("fails duplicate rules as a fatal lint", () => {
    const dup = groups.map((g) => (g.name === "ml-platform.capacity.recording" ? { ...g, rules: [...g.rules, g.rules[0]] } : g));
    const run = checkRules({ "dup.yaml": dup });
    expect(run.status).toBe(3);
    expect(run.output).toContain("lint error 1 duplicate rule(s) found.\nMetric: node:pool_labels:info");
  });
});
