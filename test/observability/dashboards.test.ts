// Grafana dashboards: valid JSON in ConfigMaps the sidecar picks up, and the series each dashboard reads. Their
// PromQL (syntax, types, metric and label names) is checked with every other deployed query in queries.test.ts.
import { dashboard } from "../../constructs/observability/grafana";
import { RECORDED } from "../../constructs/observability/rules";
import { renderedObjects } from "../helpers/ml-helm";
import { metricNames } from "../helpers/promql";
import { dashboardQueries } from "../helpers/rendered-queries";
import { stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENVS = ["dev", "staging", "prod"] as const;

const dashboardMaps = (env: string) => renderedObjects(stack(`${env}-platform`)).filter(({ obj }) => obj.kind === "ConfigMap" && obj.metadata.labels?.grafana_dashboard !== undefined);

describe.each(ENVS)("%s: dashboards", (env) => {
  const maps = dashboardMaps(env);
  const models = maps.map(({ obj }) => {
    const [file, text] = Object.entries(obj.data as Record<string, string>)[0];
    return { file, model: JSON.parse(text) as Any, obj };
  });

  test("are five ConfigMaps in the monitoring namespace with the sidecar's label, one dashboard JSON each", () => {
    expect(maps.map(({ release, obj }) => ({ release, name: obj.metadata.name, ns: obj.metadata.namespace, label: obj.metadata.labels.grafana_dashboard })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { release: "ml-platform-dashboards", name: "ml-platform-dashboard-capacity-cost", ns: "monitoring", label: "1" },
      { release: "ml-platform-dashboards", name: "ml-platform-dashboard-gpu-fleet", ns: "monitoring", label: "1" },
      { release: "ml-platform-dashboards", name: "ml-platform-dashboard-inference", ns: "monitoring", label: "1" },
      // Node health and capacity (constructs/resilience/node-health-dashboard.ts).
      { release: "ml-platform-dashboards", name: "ml-platform-dashboard-node-health", ns: "monitoring", label: "1" },
      { release: "kueue-monitoring", name: "ml-platform-dashboard-teams", ns: "monitoring", label: "1" },
    ]);
    for (const { file, model, obj } of models) {
      expect(Object.keys(obj.data)).toEqual([file]);
      expect(file).toBe(`${model.uid}.json`);
      expect(model).toEqual(expect.objectContaining({ schemaVersion: 39, title: expect.stringMatching(/^ML platform \/ /) }));
    }
    expect(new Set(models.map((m) => m.model.uid)).size).toBe(5);
  });

  test("every panel queries the data source variable, with unique ids and grid positions inside 24 columns", () => {
    for (const { model } of models) {
      const ids = (model.panels as Any[]).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of (model.panels as Any[]).filter((x) => x.type !== "row")) {
        expect({ title: p.title, ds: p.datasource, fits: p.gridPos.x + p.gridPos.w <= 24, targets: p.targets.length > 0 }).toEqual({ title: p.title, ds: { type: "prometheus", uid: "$datasource" }, fits: true, targets: true });
        for (const t of p.targets) expect(t.datasource).toEqual({ type: "prometheus", uid: "$datasource" });
      }
      expect(model.templating.list[0]).toEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    }
  });

  test("read GPU, Triton, Karpenter and capacity series (DCGM, Triton, Karpenter, recording rules)", () => {
    const all = new Set(models.flatMap(({ model }) => dashboardQueries(model).flatMap(({ expr }) => metricNames(expr))));
    for (const m of ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE", "nv_inference_request_success", "nv_inference_queue_duration_us", "karpenter_nodepools_usage", "karpenter_nodepools_limit", RECORDED.teamGpus, RECORDED.nodepoolGpuCapacity]) {
      expect(all.has(m)).toBe(true);
    }
  });

  test("no JSON holds a Terraform template sequence (${ or %{), which Terraform would try to evaluate", () => {
    for (const { obj } of maps) expect(JSON.stringify(obj.data)).not.toMatch(/[$%]\{/);
  });
});

describe("dashboard content", () => {
  const models = Object.fromEntries(dashboardMaps("prod").map(({ obj }) => [obj.metadata.name.replace("ml-platform-dashboard-", ""), JSON.parse(Object.values(obj.data as Record<string, string>)[0])]));
  const titles = (name: string) => (models[name].panels as Any[]).filter((p) => p.type !== "row").map((p) => p.title);
  const exprOf = (name: string, title: string) => (models[name].panels as Any[]).find((p) => p.title === title).targets.map((t: Any) => t.expr);

  test("GPU fleet: utilization, memory and power per node, per NodePool and per namespace", () => {
    for (const what of ["utilization", "memory used", "Power draw"]) {
      for (const per of ["node", "NodePool", "namespace"]) expect(titles("gpu-fleet")).toContain(`${what === "Power draw" ? "Power draw" : `GPU ${what}`} per ${per}`);
    }
  });

  test("inference: QPS, p50 and p99 with the SLO line, queue time, batch size and errors per model", () => {
    expect(titles("inference")).toEqual(
      expect.arrayContaining(["Requests per second", "p50 request latency", "p99 request latency", "Queue time per request", "Average batch size", "Failed requests per second", "Error ratio"]),
    );
    expect(exprOf("inference", "p99 request latency")).toEqual([expect.stringContaining(RECORDED.tritonP99), "vector(300000)"]);
    expect(exprOf("inference", "Average batch size")[0]).toMatch(/rate\(nv_inference_count\{.*\/ sum by \(model\) \(rate\(nv_inference_exec_count\{/);
  });

  test("capacity and cost: GPU-hours by team, NodePool and capacity type, and NodePool usage against limits", () => {
    expect(exprOf("capacity-cost", "Allocated GPU-hours by team")).toEqual([`sum by (team) (sum_over_time(${RECORDED.teamGpus}[$__range])) / 60`]);
    expect(exprOf("capacity-cost", "Provisioned GPU-hours by NodePool")).toEqual([`sum by (nodepool) (sum_over_time(${RECORDED.nodepoolGpuCapacity}[$__range])) / 60`]);
    expect(exprOf("capacity-cost", "Provisioned GPU-hours by capacity type")).toEqual([`sum by (capacity_type) (sum_over_time(${RECORDED.nodepoolGpuCapacity}[$__range])) / 60`]);
    expect(exprOf("capacity-cost", "NodePool usage against limits")).toEqual(["100 * karpenter_nodepools_usage / on (nodepool, resource_type) (karpenter_nodepools_limit > 0)"]);
  });
});

describe("dashboard builder", () => {
  test("lays panels out left to right and fails a row wider than 24 columns", () => {
    const model = dashboard({ uid: "u", title: "t", description: "d", tags: [], rows: [{ title: "r", panels: [{ title: "a", type: "stat", queries: [{ expr: "up" }] }, { title: "b", type: "stat", queries: [{ expr: "up" }] }] }] });
    expect(model.panels.map((p: Any) => [p.type, p.gridPos])).toEqual([
      ["row", { h: 1, w: 24, x: 0, y: 0 }],
      ["stat", { h: 8, w: 12, x: 0, y: 1 }],
      ["stat", { h: 8, w: 12, x: 12, y: 1 }],
    ]);
    expect(() => dashboard({ uid: "u", title: "t", description: "d", tags: [], rows: [{ title: "wide", panels: [{ title: "a", type: "stat", width: 20, queries: [] }, { title: "b", type: "stat", width: 8, queries: [] }] }] })).toThrow(
      'dashboard u: row "wide" is wider than 24 columns',
    );
  });
});
