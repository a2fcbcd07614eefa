import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * A small builder for Grafana dashboard JSON (schemaVersion 39, understood by Grafana 10 and later, which migrate
 * it on load). Panels query the Prometheus data source chosen in the `datasource` variable, so the same dashboard
 * works against the in-cluster Prometheus or Amazon Managed Service for Prometheus.
 * @see https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */

/** One PromQL query of a panel. Grafana variables ($__rate_interval, $__range, $var) may appear in it. */
export interface Query {
  readonly expr: string;
  /** Legend template, for example `{{node}}`. */
  readonly legend?: string;
  /** Evaluate once at the end of the range (stat, bar gauge, table panels). */
  readonly instant?: boolean;
}

export type PanelType = "timeseries" | "stat" | "bargauge" | "table";

export interface PanelSpec {
  readonly title: string;
  readonly type: PanelType;
  readonly queries: readonly Query[];
  /** Grafana unit id, for example `percent`, `watt`, `decmbytes`, `ms`, `short`, `currencyUSD`. */
  readonly unit?: string;
  readonly description?: string;
  readonly min?: number;
  readonly max?: number;
  /** Width in grid columns (24 per row). @default - the row's width shared equally */
  readonly width?: number;
}

/** A row of panels under a collapsible title. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
  /** @default 8 */
  readonly height?: number;
}

/** A query variable (`label_values(<metric>, <label>)`), multi-select with "All". */
export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  readonly metric: string;
  readonly labelName: string;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables?: readonly VariableSpec[];
  readonly rows: readonly RowSpec[];
  /** @default "now-6h" */
  readonly from?: string;
}

// `$datasource`, not `${datasource}`: the JSON travels inside a Terraform string, where `${` starts an interpolation.
const DATASOURCE = { type: "prometheus", uid: "$datasource" };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function panel(spec: PanelSpec, id: number, gridPos: Json): Json {
  const targets = spec.queries.map((q, i) => ({
    datasource: { ...DATASOURCE },
    refId: String.fromCharCode(65 + i),
    expr: q.expr,
    legendFormat: q.legend ?? "__auto",
    range: !q.instant,
    instant: q.instant === true,
  }));
  const defaults: Json = { unit: spec.unit ?? "short" };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  const options: Json =
    spec.type === "timeseries"
      ? { legend: { displayMode: "table", placement: "right", calcs: ["mean", "max"] }, tooltip: { mode: "multi", sort: "desc" } }
      : spec.type === "table"
        ? { showHeader: true }
        : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, orientation: "horizontal" };
  return {
    id,
    type: spec.type,
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    datasource: { ...DATASOURCE },
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets,
  };
}

/** The dashboard JSON model. Panel ids and grid positions follow the order of rows and panels. */
export function dashboard(spec: DashboardSpec): Json {
  const panels: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    const h = row.height ?? 8;
    const fixed = row.panels.reduce((acc, p) => acc + (p.width ?? 0), 0);
    const flexible = row.panels.filter((p) => p.width === undefined).length;
    const share = flexible ? Math.floor((24 - fixed) / flexible) : 0;
    let x = 0;
    for (const p of row.panels) {
      const w = p.width ?? share;
      if (x + w > 24) throw new Error(`dashboard ${spec.uid}: row "${row.title}" is wider than 24 columns`);
      panels.push(panel(p, id++, { h, w, x, y }));
      x += w;
    }
    y += h;
  }
  const variables = [
    { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", hide: 0, current: {}, options: [], refresh: 1, regex: "" },
    ...(spec.variables ?? []).map((v) => ({
      name: v.name,
      label: v.label,
      type: "query",
      datasource: { ...DATASOURCE },
      definition: `label_values(${v.metric}, ${v.labelName})`,
      query: { query: `label_values(${v.metric}, ${v.labelName})`, refId: `${v.name}-variable` },
      includeAll: true,
      allValue: ".*",
      multi: true,
      current: {},
      options: [],
      refresh: 2,
      sort: 1,
      hide: 0,
      regex: "",
    })),
  ];
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...spec.tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "1m",
    timezone: "utc",
    time: { from: spec.from ?? "now-6h", to: "now" },
    templating: { list: variables },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

/** A ConfigMap the Grafana sidecar loads as a dashboard (label `grafana_dashboard: "1"` by default). */
export function dashboardConfigMap(
  name: string,
  namespace: string,
  model: Json,
  sidecarLabel: { readonly key: string; readonly value: string },
  labels: Record<string, string> = {},
): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { ...labels, [sidecarLabel.key]: sidecarLabel.value } },
    data: { [`${model.uid}.json`]: JSON.stringify(model) },
  };
}
