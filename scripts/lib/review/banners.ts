// Banners from resource actions (data loss, plans that fail on prevent_destroy, possible replacements, plan
// disagreements), from budgets and the test outcome; new environments' banners folded into one line per kind;
// everything sorted most severe first.
import type { Banner, CostChange, Review, StackReview } from "./types";

const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** How a resource is named in a banner: construct path, type and physical name. */
export function label(r: StackReview["resources"][number]): string {
  return `\`${r.name}\` (${r.type}${r.physicalName ? ` \`${r.physicalName}\`` : ""})`;
}

/** Banners that follow from what happens to each resource of a stack. */
export function resourceBanners(s: StackReview): Banner[] {
  const out: Banner[] = [];
  const at = { environment: s.environment, stack: s.stack };
  for (const r of s.resources) {
    const why = r.reasons.length ? ` (${r.reasons.join("; ")})` : "";
    if (r.disagreement) {
      const destructive = /replace|delete|destroy/.test(r.disagreement);
      out.push({ kind: "plan-disagreement", severity: destructive ? "warning" : "notice", ...at, subject: r.address, message: `${label(r)}: ${r.disagreement}` });
    }
    if (r.action === "replace" || r.action === "delete") {
      if (r.protection?.preventDestroy) {
        out.push({ kind: "plan-fails", severity: "critical", ...at, subject: r.address, message: `Terraform plan fails: ${label(r)} has lifecycle.prevent_destroy and this change ${r.action === "delete" ? "destroys" : "replaces"} it${why}` });
        continue;
      }
      if (r.stateful) {
        const verb = r.action === "delete" ? "DESTROYED" : "REPLACED (destroyed, then created empty)";
        const safeguards = r.protection?.notes.length ? `; ${r.protection.notes.join("; ")}` : "";
        out.push({ kind: "data-loss", severity: "critical", ...at, subject: r.address, message: `${label(r)} is ${verb}: loses ${r.loses}${why}${safeguards}` });
      } else if (r.action === "replace") {
        const because = r.movedFrom ? ` (construct renamed from \`${r.movedFrom}\`: add a move to keep it)` : why;
        out.push({ kind: "replace", severity: "notice", ...at, subject: r.address, message: `${label(r)} is replaced${because}` });
      }
    } else if (r.action === "may-replace" && r.stateful) {
      out.push({ kind: "may-replace", severity: "warning", ...at, subject: r.address, message: `may replace: confirm in plan. ${label(r)}: ${r.reasons.join("; ")}; ${r.protection?.preventDestroy ? "if replaced, the plan fails on prevent_destroy" : `if replaced it loses ${r.loses}`}` });
    }
  }
  return out;
}

/** Environments whose worst-case ceiling is over their budget after the change. */
export function budgetBanners(cost: CostChange[]): Banner[] {
  return cost
    .filter((c) => c.budgetPer30Days !== undefined && c.toPer30Days !== null && c.toPer30Days > c.budgetPer30Days)
    .map((c) => {
      const production = c.tier === "production";
      return {
        kind: "budget" as const,
        severity: production ? ("critical" as const) : ("warning" as const),
        environment: c.environment,
        message: `budget breach in \`${c.environment}\`: worst-case ceiling ${usd(c.toPer30Days!)} per 30 days over budget.monthlyUsd ${usd(c.budgetPer30Days!)}; ${production ? "production tier: `npm run synth` fails, so this change cannot deploy until the budget or the pool limits change" : "a warning outside production tier"}`,
      };
    });
}

const SEVERITY = { critical: 0, warning: 1, notice: 2 } as const;
const KIND_ORDER: Banner["kind"][] = ["tests-failed", "plan-fails", "data-loss", "budget", "security", "iam-widened", "may-replace", "node-roll", "plan-disagreement", "chart-major", "model-version", "replace"];

/** Folds the banners of stacks that are new into one banner per environment and kind, then sorts. */
export function finalizeBanners(banners: Banner[], stacks: StackReview[]): Banner[] {
  const added = new Set(stacks.filter((s) => s.status === "added").map((s) => s.stack));
  const kept: Banner[] = [];
  const folded = new Map<string, Banner[]>();
  for (const b of banners) {
    if (b.stack && added.has(b.stack) && b.kind !== "budget") folded.set(`${b.environment}\u0000${b.kind}`, [...(folded.get(`${b.environment}\u0000${b.kind}`) ?? []), b]);
    else kept.push(b);
  }
  for (const group of folded.values()) {
    const severity = group.map((b) => b.severity).sort((x, y) => SEVERITY[x] - SEVERITY[y])[0];
    const examples = group.slice(0, 2).map((b) => b.message).join(" · ");
    kept.push({
      kind: group[0].kind,
      severity,
      environment: group[0].environment,
      message: `new environment \`${group[0].environment}\`: ${group.length} finding(s), e.g. ${examples}${group.length > 2 ? " (all in the full report)" : ""}`,
      details: group.map((b) => `\`${b.stack}\`: ${b.message}`),
    });
  }
  return kept.sort(
    (x, y) =>
      SEVERITY[x.severity] - SEVERITY[y.severity] ||
      KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind) ||
      (x.environment ?? "").localeCompare(y.environment ?? "") ||
      (x.stack ?? "").localeCompare(y.stack ?? "") ||
      x.message.localeCompare(y.message),
  );
}

/** The banner for a failed or cancelled `npm test`, as the caller reports it. */
export function testsBanner(tests: Review["tests"]): Banner[] {
  if (tests !== "failure" && tests !== "cancelled") return [];
  return [{ kind: "tests-failed", severity: "critical", message: `\`npm test\` ${tests === "failure" ? "failed" : "was cancelled"} on this change: the review below ran anyway; the change must pass the tests before it merges` }];
}
