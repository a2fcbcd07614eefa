/**
 * Every PromQL query an environment's synthesized stacks deploy: the rules of every PrometheusRule, every Grafana
 * dashboard panel and variable, and the query of every KEDA Prometheus trigger. The unit tests parse them with the
 * lezer grammar (promql.ts), `npm run verify` hands them to promtool.
 */
import { synthesizeExamples } from "./delivery-examples";
import { release, renderedObjects } from "./ml-helm";
import type { ScrapeSettings } from "./obs-upstream-labels";
import { synthesizeAll, type SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A rule as a PrometheusRule renders it. */
export interface RenderedRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** A rule group as a PrometheusRule renders it. */
export interface RenderedRuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly RenderedRule[];
}

/** One query and where it is deployed; `record` names the series a recording rule writes. */
export interface RenderedQuery {
  readonly where: string;
  readonly expr: string;
  readonly kind: "rule" | "dashboard" | "keda";
  readonly record?: string;
}

/** Grafana's global variables, replaced as Grafana does before the query reaches Prometheus. */
export const GRAFANA_GLOBALS: Readonly<Record<string, string>> = { $__rate_interval: "2m", $__interval: "1m", $__range: "6h" };

/** Prefix of an example environment's name here (docs/delivery.md's models added): `example:prod`. */
export const EXAMPLE_ENV_PREFIX = "example:";

const envStacks = (env: string): SynthesizedStack[] => {
  const example = env.startsWith(EXAMPLE_ENV_PREFIX);
  const name = example ? env.slice(EXAMPLE_ENV_PREFIX.length) : env;
  return (example ? synthesizeExamples() : synthesizeAll()).stacks.filter((s) => s.id.startsWith(`${name}-`));
};

/** Every PrometheusRule object an environment renders, with the stack that renders it. */
export function renderedPrometheusRules(env: string): Array<{ stack: string; obj: Record<string, Any> }> {
  return envStacks(env).flatMap((s) => renderedObjects(s).filter(({ obj }) => obj.kind === "PrometheusRule").map(({ obj }) => ({ stack: s.id, obj })));
}

/** The rule groups of every PrometheusRule of an environment, in the order the stacks render them. */
export function renderedRuleGroups(env: string): RenderedRuleGroup[] {
  return renderedPrometheusRules(env).flatMap(({ obj }) => obj.spec.groups as RenderedRuleGroup[]);
}

/** A dashboard query as Prometheus receives it (globals replaced; `$var` only appears inside matcher strings). */
export function asSent(expr: string): string {
  return Object.entries(GRAFANA_GLOBALS).reduce((e, [k, v]) => e.split(k).join(v), expr);
}

/** Every dashboard model (the JSON of ConfigMaps labelled for Grafana's sidecar) an environment renders. */
export function renderedDashboards(env: string): Any[] {
  return envStacks(env).flatMap((s) =>
    renderedObjects(s)
      .filter(({ obj }) => obj.kind === "ConfigMap" && obj.metadata.labels?.grafana_dashboard !== undefined)
      .flatMap(({ obj }) => Object.values(obj.data as Record<string, string>).map((text) => JSON.parse(text))),
  );
}

/**
 * The queries of a dashboard: panel targets, and each `label_values(<metric>, <label>)` variable as
 * `group by (<label>) (<metric>)`, the query that returns the same label values.
 */
export function dashboardQueries(model: Any): RenderedQuery[] {
  const panels = (model.panels as Any[]).filter((p) => p.type !== "row");
  const fromPanels = panels.flatMap((p) => (p.targets as Any[]).map((t) => ({ where: `dashboard ${model.uid} "${p.title}" ${t.refId}`, expr: asSent(t.expr), kind: "dashboard" as const })));
  const fromVariables = (model.templating.list as Any[])
    .filter((v) => v.type === "query")
    .map((v) => {
      const m = /^label_values\((.+), ([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(v.query.query);
      if (!m) throw new Error(`${model.uid} variable ${v.name}: not a label_values query: ${v.query.query}`);
      return { where: `dashboard ${model.uid} variable ${v.name}`, expr: `group by (${m[2]}) (${asSent(m[1])})`, kind: "dashboard" as const };
    });
  return [...fromPanels, ...fromVariables];
}

/** The query of every KEDA Prometheus trigger an environment renders. */
export function kedaQueries(env: string): RenderedQuery[] {
  return envStacks(env).flatMap((s) =>
    renderedObjects(s)
      .filter(({ obj }) => obj.kind === "ScaledObject")
      .flatMap(({ obj }) =>
        (obj.spec.triggers as Any[])
          .filter((t) => t.type === "prometheus")
          .map((t, i) => ({ where: `ScaledObject ${obj.metadata.namespace}/${obj.metadata.name} trigger ${i}`, expr: String(t.metadata.query), kind: "keda" as const })),
      ),
  );
}

/** Every query of an environment: rules in evaluation order, then dashboards, then KEDA triggers. */
export function renderedQueries(env: string): RenderedQuery[] {
  const rules = renderedRuleGroups(env).flatMap((g) =>
    g.rules.map((r) => ({ where: `group ${g.name} ${r.alert ? `alert ${r.alert}` : `record ${r.record}`}`, expr: r.expr, kind: "rule" as const, record: r.record })),
  );
  return [...rules, ...renderedDashboards(env).flatMap(dashboardQueries), ...kedaQueries(env)];
}

/** How the environment's platform stack scrapes: the DCGM monitor's relabelings and kube-state-metrics' allowlist. */
export function scrapeSettings(env: string): ScrapeSettings {
  const platform = envStacks(env).find((s) => s.id.endsWith("-platform"));
  if (!platform) throw new Error(`no platform stack for ${env}`);
  const dcgm = renderedObjects(platform).find(({ obj }) => obj.kind === "ServiceMonitor" && obj.metadata.name === "dcgm-exporter");
  if (!dcgm) throw new Error(`${env}-platform renders no ServiceMonitor dcgm-exporter`);
  const relabeled = (dcgm.obj.spec.endpoints as Any[]).flatMap((e) => (e.relabelings ?? []).map((r: Any) => r.targetLabel as string));
  const ksm = release(platform, "kube-prometheus-stack").values["kube-state-metrics"] as Any;
  return { dcgmRelabeledLabels: relabeled.filter((l) => l && !l.startsWith("__")), kubeStateMetricsLabelsAllowlist: ksm?.metricLabelsAllowlist ?? [] };
}
