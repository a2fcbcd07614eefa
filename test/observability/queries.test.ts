// Every PromQL query the stacks deploy (PrometheusRules, Grafana dashboards, KEDA triggers), per environment, on
// Prometheus's grammar: it parses and type-checks, reads only metrics the deployed exporters publish or earlier rules
// record, and groups, matches and filters only by labels those series carry. promtool checks the same rules in
// test/observability/promtool.verify.ts.
import { tritonQueueTimeQuery } from "../../constructs/ml/triton";
import { llmScalingQueries } from "../../constructs/serving/llm-autoscaling";
import { exampleEnvironment } from "../helpers/delivery-examples";
import { projectEnvironment } from "../helpers/synth";
import { upstreamLabelCatalog } from "../helpers/obs-upstream-labels";
import { ALL_UPSTREAM_METRICS } from "../helpers/obs-upstream-metrics";
import { metricNames, parsePromql, promqlProblems, valueType } from "../helpers/promql";
import { labelFlow } from "../helpers/promql-labels";
import { EXAMPLE_ENV_PREFIX, renderedQueries, renderedRuleGroups, scrapeSettings } from "../helpers/rendered-queries";

// The shipped environments serve no model; their examples (docs/delivery.md) add the model's trigger and queries.
const ENVS = ["dev", "staging", "prod", ...["dev", "staging", "prod"].map((e) => `${EXAMPLE_ENV_PREFIX}${e}`)];

describe.each(ENVS)("%s: every deployed PromQL query", (env) => {
  const queries = renderedQueries(env);
  const recordedBy = new Map(queries.flatMap((q, i) => (q.record ? [[q.record, i] as const] : [])));

  test("covers every rule, the dashboards' panels and variables, and the KEDA triggers of each Triton model and each vLLM model", () => {
    const rules = renderedRuleGroups(env).flatMap((g) => g.rules);
    expect(queries.filter((q) => q.kind === "rule")).toHaveLength(rules.length);
    expect(rules.length).toBeGreaterThan(20);
    expect(queries.filter((q) => q.kind === "dashboard").length).toBeGreaterThan(30);
    const e = env.startsWith(EXAMPLE_ENV_PREFIX) ? exampleEnvironment(env.slice(EXAMPLE_ENV_PREFIX.length)) : projectEnvironment(env);
    const vllm = e.ml.llm.models.flatMap((m) => {
      const q = llmScalingQueries({ namespace: "llm", routerNamespace: "llm", modelId: m.modelId });
      return m.replicas.min === 0 ? [q.waiting, q.kvcache, q.incoming] : [q.waiting, q.kvcache];
    });
    expect(vllm.length).toBeGreaterThan(0);
    expect(queries.filter((q) => q.kind === "keda").map((q) => q.expr).sort()).toEqual([...vllm, ...e.delivery.models.map((m) => tritonQueueTimeQuery("triton", `triton-${m.name}`))].sort());
  });

  test("parses and type-checks as Prometheus v3.14 does; rules and the KEDA trigger yield instant vectors", () => {
    expect(queries.flatMap((q) => promqlProblems(q.expr).map((p) => `${q.where}: ${p}`))).toEqual([]);
    const typed = queries.map((q) => {
      const parsed = parsePromql(q.expr);
      return { where: q.where, kind: q.kind, type: valueType(parsed, parsed.root) };
    });
    expect(typed.filter((t) => (t.kind === "dashboard" ? t.type !== "vector" && t.type !== "scalar" : t.type !== "vector"))).toEqual([]);
  });

  test("reads only the exporters' documented metrics and series recorded by an earlier rule", () => {
    const unknown = queries.flatMap((q, i) =>
      metricNames(q.expr)
        .filter((m) => !ALL_UPSTREAM_METRICS.has(m) && !(recordedBy.has(m) && (q.kind !== "rule" || recordedBy.get(m)! < i)))
        .map((m) => `${q.where}: ${m}`),
    );
    expect(unknown).toEqual([]);
    expect(recordedBy.size).toBeGreaterThanOrEqual(10);
  });

  test("groups, matches and filters only by labels the series carry", () => {
    const upstream = upstreamLabelCatalog(scrapeSettings(env));
    const recorded = new Map<string, ReadonlySet<string>>();
    const problems: string[] = [];
    for (const q of queries) {
      const flow = labelFlow(q.expr, (m) => recorded.get(m) ?? upstream(m));
      problems.push(...flow.problems.map((p) => `${q.where}: ${p}`));
      if (q.record) recorded.set(q.record, flow.labels === "any" ? new Set() : flow.labels);
    }
    expect(problems).toEqual([]);
    expect(recorded.get("node:pool_labels:info")).toEqual(new Set(["node", "nodepool", "capacity_type", "instance_type", "zone"]));
  });
});
