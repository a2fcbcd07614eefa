import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { gpuFlavors, type GpuFlavor } from "../../constructs/tenancy/flavors";
import { maxGpus, type CohortQueue } from "../../constructs/tenancy/cohort";
import { HOURS_PER_30_DAYS } from "./cost";
import { gpuClaims, ledgerPools, ledgerRows, unitsPerGpu, type LedgerRow } from "./gpu-demand";
import type { Environment } from "./schema";
import { cohortQueues } from "./tenancy-schema";

/**
 * Worst-case monthly GPU cost per team (and for Kubeflow Pipelines' shared queue), from its Kueue quota and the flavors'
 * On-Demand prices (the same table as the environment's ceiling, environments/lib/cost.ts).
 *
 * Method: a GPU of a flavor is priced at the dearest On-Demand price per GPU among the instance types that provide it
 * in its pool (Karpenter may launch any of them, and a pod's GPUs bill their whole node); on a time-sliced pool a unit
 * of quota is one slice, the GPU's price divided by the replicas. A queue's guaranteed cost is its nominal quota (as the
 * GPU ledger, environments/lib/gpu-demand.ts, counts it) running for 30 days; its worst case adds what it may borrow
 * (its borrowing limit, capped by what the other queues lend). The teams' total is the nominal quotas' cost: borrowing moves quota between queues without
 * adding GPUs. That total must stay within the environment's budget (`budget.monthlyUsd`), or `npm run cost` fails:
 * the quotas promise the teams more GPU time than the environment is allowed to spend.
 */

/** One flavor's part of a queue's cost. */
export interface QueueFlavorCost {
  readonly flavor: string;
  readonly nominal: number;
  /** Nominal plus what the queue can borrow. */
  readonly max: number;
  /** Per unit of quota: a GPU, or one time-slice of it on a time-sliced pool. */
  readonly usdPerGpuHour: number;
  /** The instance type the GPU price comes from. */
  readonly pricedOn: string;
}

/** One queue's (team's) monthly GPU cost. */
export interface QueueCost {
  readonly queue: string;
  /** `team` for an entry of `teams.tenants`, `shared` for Kubeflow Pipelines' queue. */
  readonly kind: "team" | "shared";
  readonly flavors: readonly QueueFlavorCost[];
  /** Its nominal quota for 30 days. */
  readonly nominalUsdPer30Days: number;
  /** Nominal plus borrowing for 30 days. */
  readonly worstCaseUsdPer30Days: number;
}

export interface TeamCosts {
  readonly environment: string;
  readonly queues: readonly QueueCost[];
  /** Σ of the queues' nominal cost: what the quotas promise at once. */
  readonly nominalUsdPer30Days: number;
  readonly monthlyBudgetUsd?: number;
  /** The GPU ledger of the environment: per pool and unit, every claim against what the pool holds. */
  readonly ledger: readonly LedgerRow[];
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** The dearest On-Demand price of one GPU of a flavor, and the instance type it comes from. */
export function gpuHourPrice(flavor: GpuFlavor): { usd: number; type: string } {
  let best: { usd: number; type: string } | undefined;
  for (const t of flavor.instanceTypes) {
    const price = EC2_ON_DEMAND_USD_PER_HOUR[t.name];
    if (price === undefined || t.gpuCount === 0) continue; // not sold in the priced region
    const usd = price / t.gpuCount;
    if (!best || usd > best.usd) best = { usd, type: t.name };
  }
  if (!best) throw new Error(`flavor ${flavor.name}: none of its instance types has a price in constructs/catalog/ec2-prices.generated.ts`);
  return best;
}

/** Every queue's worst-case monthly GPU cost in a validated environment. */
export function teamCosts(env: Environment): TeamCosts {
  const flavors = new Map(gpuFlavors(env).map((f) => [f.name, f]));
  const pools = new Map(ledgerPools(env).map((p) => [p.name, p]));
  const nominal = new Map(gpuClaims(env).flatMap((c) => (c.flavor ? [[`${c.claimant}\u0000${c.flavor}`, c.units] as const] : [])));
  const cohort: CohortQueue[] = cohortQueues(env.teams);
  const queues = cohort.map((q, i): QueueCost => {
    const claimant = i < env.teams.tenants.length ? `team ${q.name}` : "pipelines";
    const parts = Object.keys(q.gpus).map((name): QueueFlavorCost => {
      const flavor = flavors.get(name)!;
      const price = gpuHourPrice(flavor);
      const perUnit = price.usd / Math.max(1, unitsPerGpu(pools.get(flavor.pool.name)!, "nvidia.com/gpu"));
      return { flavor: name, nominal: nominal.get(`${claimant}\u0000${name}`) ?? 0, max: maxGpus(cohort, q.name, name), usdPerGpuHour: Math.round(perUnit * 10000) / 10000, pricedOn: price.type };
    });
    const month = (gpus: (p: QueueFlavorCost) => number) => cents(parts.reduce((sum, p) => sum + gpus(p) * p.usdPerGpuHour, 0) * HOURS_PER_30_DAYS);
    return { queue: q.name, kind: i < env.teams.tenants.length ? "team" : "shared", flavors: parts, nominalUsdPer30Days: month((p) => p.nominal), worstCaseUsdPer30Days: month((p) => p.max) };
  });
  return { environment: env.name, queues, nominalUsdPer30Days: cents(queues.reduce((s, q) => s + q.nominalUsdPer30Days, 0)), monthlyBudgetUsd: env.budget?.monthlyUsd, ledger: ledgerRows(env) };
}

/** The environments whose teams' nominal quotas cost more than their budget, as errors naming the field. */
export function checkTeamBudgets(costs: readonly TeamCosts[]): string[] {
  return costs
    .filter((c) => c.monthlyBudgetUsd !== undefined && c.nominalUsdPer30Days > c.monthlyBudgetUsd)
    .map(
      (c) =>
        `environment "${c.environment}": teams: got GPU quotas worth $${c.nominalUsdPer30Days.toFixed(2)} per 30 days at On-Demand prices; over budget.monthlyUsd ($${c.monthlyBudgetUsd!.toFixed(2)}): lower the teams' nominal quotas or raise the budget`,
    );
}

function usd(n: number): string {
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The GPU ledger as Markdown, one table per environment. */
export function ledgerMarkdown(all: readonly TeamCosts[]): string {
  const out: string[] = [];
  for (const c of all.filter((x) => x.ledger.length)) {
    out.push(`## ${c.environment}: GPU ledger (worst case, per pool and unit)`, "", "| pool | unit | claimed | holds | claims |", "|---|---|--:|---|---|");
    for (const r of c.ledger) out.push(`| ${r.pool} | ${r.unit} | ${r.claimed} | ${r.capacity} (${r.holds}) | ${r.claims.map((x) => `${x.claimant} ${x.units} (${x.basis})`).join("; ")} |`);
    out.push("");
  }
  return out.join("\n");
}

/** The teams' costs as Markdown, one table per environment with teams or a pipelines quota. */
export function teamCostMarkdown(all: readonly TeamCosts[]): string {
  const out: string[] = [];
  for (const c of all.filter((x) => x.queues.some((q) => q.flavors.length))) {
    const budget = c.monthlyBudgetUsd === undefined ? "no budget set" : `budget ${usd(c.monthlyBudgetUsd)}${c.nominalUsdPer30Days > c.monthlyBudgetUsd ? " (OVER BUDGET)" : ""}`;
    out.push(`## ${c.environment}: teams' GPU quotas, ${usd(c.nominalUsdPer30Days)} per 30 days nominal; ${budget}`, "");
    out.push("| queue | nominal USD/30 days | with borrowing USD/30 days | GPUs (nominal / max) by flavor at the dearest USD per GPU-hour |", "|---|---:|---:|---|");
    for (const q of c.queues) {
      const basis = q.flavors.map((f) => `${f.flavor} ${f.nominal} / ${f.max} at $${f.usdPerGpuHour} (${f.pricedOn})`).join("; ") || "no GPU quota";
      out.push(`| ${q.queue}${q.kind === "shared" ? " (shared: Kubeflow Pipelines)" : ""} | ${q.nominalUsdPer30Days.toFixed(2)} | ${q.worstCaseUsdPer30Days.toFixed(2)} | ${basis} |`);
    }
    out.push("", "_Each GPU priced at the dearest On-Demand instance type of its flavor, per GPU, for 720 hours; borrowing only moves quota between queues, so the total counts nominal quotas._", "");
  }
  return out.join("\n");
}
