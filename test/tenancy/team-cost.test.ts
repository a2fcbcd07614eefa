// Cost per team in `npm run cost`: each queue's worst-case monthly GPU cost from its quota and the flavors' prices, and
// the check that fails when an environment's teams' quotas cost more than its budget.
import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { gpuFlavors } from "../../constructs/tenancy/flavors";
import { ledgerRows } from "../../environments/lib/gpu-demand";
import { validateEnvironment } from "../../environments/lib/load";
import { checkTeamBudgets, gpuHourPrice, ledgerMarkdown, teamCostMarkdown, teamCosts } from "../../environments/lib/team-cost";
import { brokenStaging } from "../helpers/environments";
import { projectEnvironment, projectEnvironments } from "../helpers/synth";

describe("GPU cost per team", () => {
  test("staging, checked by hand against the price table", () => {
    const c = teamCosts(projectEnvironment("staging"));
    const q = Object.fromEntries(c.queues.map((x) => [x.queue, x]));
    // gpu-training-l40s: g6e.12xlarge (4 GPUs, $10.49264/h) or g6e.48xlarge (8 GPUs, $30.13118/h): the dearest GPU is 30.13118 / 8 = 3.7664.
    // gpu-inference-l4: the dearest L4 is g6.16xlarge's single GPU at $3.3968.
    expect(q.vision.flavors).toEqual([
      { flavor: "gpu-training-l40s", nominal: 8, max: 12, usdPerGpuHour: 3.7664, pricedOn: "g6e.48xlarge" },
      { flavor: "gpu-inference-l4", nominal: 2, max: 4, usdPerGpuHour: 3.3968, pricedOn: "g6.16xlarge" },
      // Its dedicated pool: the whole limit (4), nothing to borrow; g6.12xlarge's $4.6016 / 4 GPUs.
      { flavor: "team-vision-l4", nominal: 4, max: 4, usdPerGpuHour: 1.1504, pricedOn: "g6.12xlarge" },
    ]);
    // vision: (8 x 3.7664 + 2 x 3.3968 + 4 x 1.1504) x 720 = 29,899.008; with borrowing: 12 (8 + nlp's lending limit 4) and 4 (2 + the pipelines' 2 L4s).
    expect([q.vision.nominalUsdPer30Days, q.vision.worstCaseUsdPer30Days]).toEqual([29899.01, 45637.63]);
    // nlp: 8 L40S on the training pool, 4 on the inference pool at g6e.16xlarge's $7.57719; borrows all of vision's 8 (no lending limit).
    expect(q.nlp.flavors.map((f) => [f.flavor, f.nominal, f.max, f.usdPerGpuHour])).toEqual([
      ["gpu-training-l40s", 8, 16, 3.7664],
      ["gpu-inference-l40s", 4, 4, 7.5772],
    ]);
    expect(q.nlp.nominalUsdPer30Days).toBe(43516.8);
    expect(q.pipelines).toEqual(expect.objectContaining({ kind: "shared", nominalUsdPer30Days: 4891.39 }));
    expect(c.nominalUsdPer30Days).toBe(78307.2);
  });

  test("a GPU is priced at the dearest instance type of its flavor, per GPU", () => {
    for (const f of gpuFlavors(projectEnvironment("prod"))) {
      const perGpu = f.instanceTypes.filter((t) => EC2_ON_DEMAND_USD_PER_HOUR[t.name] !== undefined).map((t) => EC2_ON_DEMAND_USD_PER_HOUR[t.name] / t.gpuCount);
      expect([f.name, gpuHourPrice(f).usd]).toEqual([f.name, Math.max(...perGpu)]);
    }
    expect(gpuHourPrice(gpuFlavors(projectEnvironment("prod")).find((f) => f.name === "efa-training-h100")!)).toEqual({ usd: 55.04 / 8, type: "p5.48xlarge" });
  });

  test("every shipped environment's teams fit its budget, and the printed table names each queue", () => {
    const all = projectEnvironments().map(teamCosts);
    expect(checkTeamBudgets(all)).toEqual([]);
    const text = teamCostMarkdown(all);
    for (const e of projectEnvironments()) for (const t of e.teams.tenants) expect(text).toContain(`| ${t.name} | `);
  });

  test("fails when the teams' nominal quotas cost more than the budget, naming the environment and the field", () => {
    const staging = { ...projectEnvironment("staging"), budget: { monthlyUsd: 70_000 } };
    expect(checkTeamBudgets([teamCosts(staging)])).toEqual([
      'environment "staging": teams: got GPU quotas worth $78307.20 per 30 days at On-Demand prices; over budget.monthlyUsd ($70000.00): lower the teams\' nominal quotas or raise the budget',
    ]);
    expect(teamCostMarkdown([teamCosts(staging)])).toContain("budget $70,000.00 (OVER BUDGET)");
  });

  test("reads the GPU ledger: the quotas it prices are the queues' claims there, and it prints the ledger", () => {
    for (const env of projectEnvironments()) {
      const c = teamCosts(env);
      expect(c.ledger).toEqual(ledgerRows(env));
      // Per queue and flavor, the nominal GPUs priced are the ledger's claim on the quota's field.
      const claimed = c.ledger.flatMap((r) => r.claims.filter((x) => x.kind === "team" || x.kind === "pipelines").map((x) => [x.field, x.units]));
      const priced = c.queues.flatMap((q, i) => q.flavors.filter((f) => f.nominal > 0).map((f) => [`teams.${q.kind === "team" ? `tenants[${i}]` : "pipelines"}.gpus.${f.flavor}.nominal`, f.nominal]));
      expect(priced.sort()).toEqual(claimed.sort());
    }
    const text = ledgerMarkdown([teamCosts(projectEnvironment("staging"))]);
    expect(text).toContain("| gpu-training | nvidia.com/gpu | 16 | 16 (compute.gpuTrainingPool.limits.gpus 16 GPUs) | team vision 8 (nominal quota); team nlp 8 (nominal quota) |");
  });

  test("on a time-sliced pool a unit of quota is one slice: the GPU's price divided by the replicas", () => {
    const sliced = validateEnvironment("staging", brokenStaging((e) => (e.compute.gpuSharing = { "gpu-training": { mode: "time-slicing", replicas: 4 } })));
    const vision = teamCosts(sliced).queues.find((q) => q.queue === "vision")!;
    // 3.7664 per L40S (g6e.48xlarge) / 4 slices.
    expect(vision.flavors.find((f) => f.flavor === "gpu-training-l40s")!.usdPerGpuHour).toBe(0.9416);
  });
});
