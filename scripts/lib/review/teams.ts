// What a change does to the teams' GPU cost and to the GPU ledger (docs/tenancy.md "Cost per team", "The GPU ledger"):
// per queue its worst-case monthly GPU cost (environments/lib/team-cost.ts) before and after, and per pool and unit the
// claims that moved. Pure functions over what each side's own cost model computed, so a base without the ledger (or
// without team costs) shows as n/a instead of failing the review.
import type { CostChange, PoolLedgerChange, TeamCostChange } from "./types";

/** What the review reads of one side's `teamCosts(env)`: per queue its costs, and the ledger when that side has one. */
export interface TeamCostsSide {
  readonly queues: ReadonlyArray<{ readonly queue: string; readonly nominalUsdPer30Days: number; readonly worstCaseUsdPer30Days: number }>;
  readonly ledger?: ReadonlyArray<{ readonly pool: string; readonly unit: string; readonly capacity: number; readonly claimed: number; readonly claims: ReadonlyArray<{ readonly claimant: string; readonly units: number }> }>;
}

const keys = <T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>) => [...new Set([...a.keys(), ...b.keys()])];

/** Queues whose worst-case or nominal cost differs, in the order of the side after (then removed ones). */
export function teamCostChanges(before: TeamCostsSide | undefined, after: TeamCostsSide | undefined): TeamCostChange[] {
  const [a, b] = [new Map((before?.queues ?? []).map((q) => [q.queue, q])), new Map((after?.queues ?? []).map((q) => [q.queue, q]))];
  return keys(b, a)
    .map((queue) => ({
      queue,
      fromPer30Days: a.get(queue)?.worstCaseUsdPer30Days ?? null,
      toPer30Days: b.get(queue)?.worstCaseUsdPer30Days ?? null,
      nominalFromPer30Days: a.get(queue)?.nominalUsdPer30Days ?? null,
      nominalToPer30Days: b.get(queue)?.nominalUsdPer30Days ?? null,
    }))
    .filter((c) => c.fromPer30Days !== c.toPer30Days || c.nominalFromPer30Days !== c.nominalToPer30Days);
}

/** Pools and units whose claims or capacity changed; empty when either side has no ledger (nothing to compare). */
export function ledgerChanges(before: TeamCostsSide | undefined, after: TeamCostsSide | undefined): PoolLedgerChange[] {
  if (!before?.ledger || !after?.ledger) return [];
  const byKey = (side: NonNullable<TeamCostsSide["ledger"]>) => new Map(side.map((r) => [`${r.pool} ${r.unit}`, r]));
  const [a, b] = [byKey(before.ledger), byKey(after.ledger)];
  const perClaimant = (r?: NonNullable<TeamCostsSide["ledger"]>[number]) => {
    const m = new Map<string, number>();
    for (const c of r?.claims ?? []) m.set(c.claimant, (m.get(c.claimant) ?? 0) + c.units);
    return m;
  };
  return keys(b, a).flatMap((key): PoolLedgerChange[] => {
    const [x, y] = [a.get(key), b.get(key)];
    const [cx, cy] = [perClaimant(x), perClaimant(y)];
    const claims = keys(cy, cx)
      .map((claimant) => ({ claimant, from: cx.get(claimant) ?? null, to: cy.get(claimant) ?? null }))
      .filter((c) => c.from !== c.to);
    if (!claims.length && x?.capacity === y?.capacity) return [];
    const [pool, unit] = [(y ?? x)!.pool, (y ?? x)!.unit];
    return [{ pool, unit, claimed: { from: x?.claimed ?? null, to: y?.claimed ?? null }, capacity: { from: x?.capacity ?? null, to: y?.capacity ?? null }, claims }];
  });
}

const usd = (n: number | null) => (n === null ? "n/a" : `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const num = (n: number | null) => (n === null ? "none" : String(n));
const arrow = (from: number | null, to: number | null, f: (n: number | null) => string) => (from === to ? f(to) : `${f(from)} → ${f(to)}`);

/** The review's lines for the teams' cost and the ledger (nothing when neither changed). */
export function teamSection(cost: readonly CostChange[]): string[] {
  const teams = cost.flatMap((c) => (c.teams ?? []).map((t) => ({ environment: c.environment, ...t })));
  const pools = cost.flatMap((c) => (c.gpuPools ?? []).map((p) => ({ environment: c.environment, ...p })));
  const out: string[] = [];
  if (teams.length) {
    out.push("Teams' GPU quotas (per queue, On-Demand, per 30 days; worst case: nominal quota plus what it may borrow):", "");
    out.push("| environment | queue | worst case before | after | nominal before | after |", "|---|---|--:|--:|--:|--:|");
    for (const t of teams) out.push(`| ${t.environment} | ${t.queue} | ${usd(t.fromPer30Days)} | ${usd(t.toPer30Days)} | ${usd(t.nominalFromPer30Days)} | ${usd(t.nominalToPer30Days)} |`);
    out.push("");
  }
  if (pools.length) {
    out.push("GPU ledger (worst-case claims per pool against what it holds; environments/lib/gpu-demand.ts):", "");
    for (const p of pools) {
      const moved = p.claims.map((c) => `${c.claimant} ${arrow(c.from, c.to, num)}`).join(", ");
      out.push(`- ${p.environment}: \`${p.pool}\` ${p.unit}: ${arrow(p.claimed.from, p.claimed.to, num)} claimed of ${arrow(p.capacity.from, p.capacity.to, num)}${moved ? ` (${moved})` : ""}`);
    }
    out.push("");
  }
  return out;
}
