// `npm run cost [-- --json]`: the worst-case On-Demand ceiling of every environment (method in environments/lib/cost.ts),
// then the worst-case GPU cost per team from its quota (environments/lib/team-cost.ts) and the GPU ledger of every pool
// (environments/lib/gpu-demand.ts); exits 1 when an environment's teams' quotas cost more than its budget.
import { join } from "node:path";
import { costCeiling, HOURS_PER_30_DAYS, type CostCeiling } from "../environments/lib/cost";
import { EnvironmentError, loadEnvironments } from "../environments/lib/load";
import { checkTeamBudgets, ledgerMarkdown, teamCostMarkdown, teamCosts } from "../environments/lib/team-cost";

function usd(n: number): string {
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The ceilings as Markdown, one table per environment. */
export function costMarkdown(ceilings: readonly CostCeiling[]): string {
  const out = ["# Worst-case On-Demand cost ceilings", ""];
  for (const c of ceilings) {
    const budget = c.monthlyBudgetUsd === undefined ? "no budget set" : `budget ${usd(c.monthlyBudgetUsd)}${c.usdPer30Days > c.monthlyBudgetUsd ? " (OVER BUDGET)" : ""}`;
    out.push(`## ${c.environment} (${c.region}): ${usd(c.usdPerHour)}/h, ${usd(c.usdPer30Days)} per 30 days; ${budget}`, "");
    out.push("| item | USD/h | USD/30 days | basis |", "|---|---:|---:|---|");
    for (const i of c.items) out.push(`| ${i.key} | ${i.usdPerHour.toFixed(3)} | ${(i.usdPerHour * HOURS_PER_30_DAYS).toFixed(2)} | ${i.basis} |`);
    if (c.breakdown?.length) {
      out.push("", "Inside the pools above (not added again): models and Ray at their maximum.", "", "| item | USD/h | USD/30 days | basis |", "|---|---:|---:|---|");
      for (const i of c.breakdown) out.push(`| ${i.key} | ${i.usdPerHour.toFixed(3)} | ${(i.usdPerHour * HOURS_PER_30_DAYS).toFixed(2)} | ${i.basis} |`);
    }
    out.push("", `_${c.priceNote}. Spot and reserved capacity priced On-Demand; data transfer, storage and request charges excluded._`, "");
  }
  return out.join("\n");
}

if (require.main === module) {
  try {
    const envs = loadEnvironments(join(__dirname, "..", "environments"));
    const ceilings = envs.map(costCeiling);
    const teams = envs.map(teamCosts);
    process.stdout.write(process.argv.includes("--json") ? `${JSON.stringify(ceilings.map((c, i) => ({ ...c, teams: teams[i] })), null, 2)}\n` : `${costMarkdown(ceilings)}\n${teamCostMarkdown(teams)}\n${ledgerMarkdown(teams)}\n`);
    const over = checkTeamBudgets(teams);
    for (const e of over) console.error(e);
    if (over.length) process.exit(1);
  } catch (e) {
    if (e instanceof EnvironmentError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
