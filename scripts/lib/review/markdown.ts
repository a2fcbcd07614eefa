// The review as Markdown: the full report (everything, for an artifact) and the pull-request comment, which always
// fits GitHub's 65,536-character limit: summary and banners first, details collapsed, new environments summarized,
// and when something had to be left out, a note pointing to the full report.
import { teamSection } from "./teams";
import type { Banner, CostChange, Review, StackReview } from "./types";
import { describeChange } from "./values";

/** GitHub rejects comments over 65,536 characters; the sticky-comment action adds a marker line of its own. */
export const COMMENT_LIMIT = 65_536 - 1_536;

/** Options of the comment. */
export interface CommentOptions {
  /** Where the full report is (the workflow's artifact URL); without it the note names the artifact. */
  readonly fullReportUrl?: string;
  /** Size limit in characters (defaults to COMMENT_LIMIT). */
  readonly limit?: number;
}

const usd = (n: number | null) => (n === null ? "n/a" : `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
/** Text safe inside Markdown list items and table cells (no HTML, no table breaks). */
const esc = (t: string) => t.replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");
const SIGN: Record<string, string> = { create: "+", update: "~", "may-replace": "~?", replace: "±", delete: "−", "no-op": "=" };
const ALERT: Record<Banner["severity"], string> = { critical: "CAUTION", warning: "WARNING", notice: "NOTE" };
const TITLE: Record<Banner["kind"], string> = {
  "tests-failed": "Tests failed",
  "plan-fails": "Terraform plan fails",
  "data-loss": "Data loss",
  budget: "Budget breach",
  security: "Security posture",
  "iam-widened": "IAM widened",
  "may-replace": "May replace: confirm in plan",
  "node-roll": "Nodes replaced",
  "plan-disagreement": "Terraform plan disagrees with the offline review",
  "chart-major": "Chart major-version bumps",
  replace: "Replaced (no data)",
  "model-version": "Model versions served",
};

const countCells = (c: StackReview["counts"]) => [c.add, c.change, c.replace ? `**${c.replace}**` : "0", c.destroy ? `**${c.destroy}**` : "0"].join(" | ");
const part = (s: string) => s.slice(s.lastIndexOf("-") + 1);

/** Title, base and the per-environment, per-stack summary. `maxRows` caps the table (comment only). */
function summary(review: Review, maxRows = Infinity): string[] {
  const out = [`## Infrastructure review`, "", `\`${esc(review.base.ref)}\` (${review.base.commit.slice(0, 12)}) → ${esc(review.head)}${planned(review)}`, ""];
  const changed = review.summary.filter((e) => e.status === "changed" || e.status === "removed");
  const rows = changed.flatMap((e) => e.stacks.filter((s) => s.status !== "unchanged").map((s) => `| ${e.environment}${e.status === "removed" ? " (removed)" : ""} | ${part(s.stack)}${s.status === "added" || s.status === "removed" ? ` (${s.status})` : ""} | ${countCells(s.counts)} |`));
  if (rows.length) {
    out.push("| environment | stack | add | change | replace | destroy |", "|---|---|--:|--:|--:|--:|", ...rows.slice(0, maxRows));
    if (rows.length > maxRows) out.push(`| … | ${rows.length - maxRows} more stacks in the full report | | | | |`);
    out.push("");
  }
  const fresh = review.summary.filter((e) => e.status === "new");
  if (fresh.length) {
    const text = fresh.map((e) => `\`${e.environment}\` (${e.stacks.length} stacks, ${e.stacks.reduce((n, s) => n + s.counts.add, 0)} resources to add)`);
    out.push(`**New environments** (every stack added; resource lists in the full report): ${text.join(", ")}`, "");
  }
  const same = review.summary.filter((e) => e.status === "unchanged").map((e) => e.environment);
  if (!rows.length && !fresh.length) out.push("No stack changes.", "");
  else if (same.length) out.push(`Unchanged: ${same.join(", ")}.`, "");
  return out;
}

function planned(review: Review): string {
  const plans = review.stacks.filter((s) => s.plan).map((s) => `\`${s.stack}\``);
  return plans.length ? ` · Terraform plans merged for ${plans.join(", ")}` : " · offline: no Terraform plan merged";
}

/** Banners grouped by severity and kind; at most `cap` items per kind (comment), all with details (full report). */
function bannerSection(banners: Banner[], cap: number, full: boolean): string[] {
  if (!banners.length) return ["### What could break", "", "Nothing flagged.", ""];
  const out = ["### What could break", ""];
  for (const severity of ["critical", "warning", "notice"] as const) {
    const group = banners.filter((b) => b.severity === severity);
    if (!group.length) continue;
    out.push(`> [!${ALERT[severity]}]`);
    const kinds = [...new Set(group.map((b) => b.kind))];
    kinds.forEach((kind, i) => {
      const items = group.filter((b) => b.kind === kind);
      if (i) out.push(">");
      out.push(`> **${TITLE[kind]}** (${items.length})`);
      for (const b of items.slice(0, cap)) {
        out.push(`> - ${b.stack ? `\`${b.stack}\`: ` : ""}${esc(b.message)}`);
        if (full) for (const d of b.details ?? []) out.push(`>   - ${esc(d)}`);
      }
      if (items.length > cap) out.push(`> - … and ${items.length - cap} more (full report)`);
    });
    out.push("");
  }
  return out;
}

function costSection(cost: CostChange[]): string[] {
  const rows = cost.filter((c) => c.fromPer30Days !== c.toPer30Days || (c.budgetPer30Days !== undefined && c.toPer30Days !== null && c.toPer30Days > c.budgetPer30Days));
  // A model's replicas or GPUs can change within its pool's limits, leaving the ceiling as it was.
  const serving = cost.flatMap((c) => (c.serving ?? []).map((s) => `- ${c.environment}: \`${s.key}\` at its maximum ${usd(s.fromPer30Days)} → ${usd(s.toPer30Days)}`));
  // A team's quota moves its cost and the ledger without moving the pools' ceilings.
  const teams = teamSection(cost);
  if (!rows.length && !serving.length && !teams.length) return [];
  const out = ["### Cost ceiling (worst case, On-Demand, per 30 days)", ""];
  if (rows.length) out.push("| environment | before | after | change | budget |", "|---|--:|--:|--:|--:|");
  for (const c of rows) {
    const delta = c.fromPer30Days !== null && c.toPer30Days !== null ? `${c.toPer30Days >= c.fromPer30Days ? "+" : "−"}${usd(Math.abs(c.toPer30Days - c.fromPer30Days))}` : "n/a";
    const over = c.budgetPer30Days !== undefined && c.toPer30Days !== null && c.toPer30Days > c.budgetPer30Days;
    out.push(`| ${c.environment} | ${usd(c.fromPer30Days)} | ${usd(c.toPer30Days)} | ${delta} | ${c.budgetPer30Days === undefined ? "—" : `${usd(c.budgetPer30Days)}${over ? " **over**" : ""}`} |`);
  }
  if (serving.length) out.push(...(rows.length ? [""] : []), "Models and Ray at their maximum (inside the pool ceilings):", "", ...serving, "");
  else if (rows.length) out.push("");
  return [...out, ...teams];
}

/** One stack's details. `maxLines` caps the body (comment); the full report passes Infinity and lists new stacks too. */
export function stackDetails(s: StackReview, maxLines = Infinity): string[] {
  const body: string[] = [];
  const full = maxLines === Infinity;
  const resources = s.status === "added" && !full ? [] : s.resources;
  if (s.status === "added") body.push(`New stack: ${s.counts.add} resources to add.`, "");
  if (resources.length) {
    body.push("**Resources** (+ create, ~ update, ~? may replace, ± replace, − destroy)");
    for (const r of resources) {
      const tags = [r.action === "replace" ? "**replace**" : r.action === "delete" ? "**destroy**" : r.action === "may-replace" ? "**may replace: confirm in plan**" : "", r.source === "plan" ? "(Terraform plan)" : ""].filter(Boolean).join(" ");
      body.push(`- ${SIGN[r.action]} \`${r.name}\` (${r.type}${r.physicalName ? ` \`${esc(r.physicalName)}\`` : ""}) ${tags}`.trimEnd());
      // Reasons the attribute lines below do not already give (a renamed construct, Terraform's replace_paths).
      for (const why of r.reasons.filter((w) => !r.attributes.some((c) => w.startsWith(`${c.path} `)))) body.push(`  - ${esc(why)}`);
      if (r.disagreement) body.push(`  - plan: ${esc(r.disagreement)}`);
      for (const c of r.attributes) body.push(`  - ${esc(describeChange(c))}`);
      if (r.stateful && r.protection && (r.action === "replace" || r.action === "delete")) body.push(`  - loses ${esc(r.loses ?? "its data")}; ${esc(r.protection.notes.join("; ") || "no safeguard")}`);
    }
    body.push("");
  }
  if (s.iam.length) {
    body.push("**IAM**");
    for (const i of s.iam) {
      body.push(`- \`${esc(i.role)}\``);
      for (const g of i.granted) body.push(`  - granted: ${esc(g)}`);
      for (const r of i.revoked) body.push(`  - revoked: ${esc(r)}`);
    }
    body.push("");
  }
  if (s.helm.length) {
    body.push("**Helm releases**");
    for (const h of s.helm) {
      body.push(`- \`${h.namespace}/${h.release}\`${h.chart ? `: chart ${esc(h.chart.from)} → ${esc(h.chart.to)}` : ""}`);
      for (const v of h.values) body.push(`  - ${esc(describeChange(v))}`);
    }
    body.push("");
  }
  if (s.objects.length) {
    body.push("**Kubernetes objects** (in-repo charts)");
    for (const o of s.objects) {
      body.push(`- ${SIGN[o.action]} ${o.kind} \`${o.namespace ? `${o.namespace}/` : ""}${o.name}\` (release ${o.release})`);
      for (const c of o.attributes) body.push(`  - ${esc(describeChange(c))}`);
    }
    body.push("");
  }
  if (s.nodePools.length) {
    body.push("**Karpenter NodePools**");
    for (const p of s.nodePools) {
      if (p.limits) body.push(`- \`${p.nodePool}\` limits: ${esc(JSON.stringify(p.limits.from))} → ${esc(JSON.stringify(p.limits.to))}`);
      if (p.rolls) body.push(`- \`${p.nodePool}\` **rolls**: ${esc(p.rolls)}`);
    }
    body.push("");
  }
  const cut = body.length > maxLines ? [...body.slice(0, maxLines), `- … ${body.length - maxLines} more lines in the full report`, ""] : body;
  const c = s.counts;
  return [`<details><summary><code>${s.stack}</code> (${s.status}): +${c.add} ~${c.change} ±${c.replace} −${c.destroy}${s.plan ? " · Terraform plan" : ""}</summary>`, "", ...cut, "</details>", ""];
}

/** The full report: everything, new environments' stacks included. */
export function fullReport(review: Review): string {
  const touched = review.stacks.filter((s) => s.status !== "unchanged");
  return [...summary(review), ...bannerSection(review.banners, Infinity, true), ...costSection(review.cost), "### Details", "", ...touched.flatMap((s) => stackDetails(s)), ...(touched.length ? [] : ["No stack changes.", ""])].join("\n");
}

/** The pull-request comment: at most `limit` characters, whatever the change. */
export function reviewComment(review: Review, options: CommentOptions = {}): string {
  const limit = options.limit ?? COMMENT_LIMIT;
  const where = options.fullReportUrl ? `[the full report](${options.fullReportUrl})` : "the full report (the `review-full` artifact of this workflow run)";
  const link = options.fullReportUrl ? `[full report](${options.fullReportUrl})` : "the `review-full` artifact of this workflow run";
  const fresh = new Set(review.summary.filter((e) => e.status === "new").map((e) => e.environment));
  const detailed = review.stacks.filter((s) => s.status !== "unchanged" && !fresh.has(s.environment));
  const summarized = fresh.size ? `New environments (${[...fresh].join(", ")}) are summarized here. ` : "";
  const note = (left: string[]) => (left.length || summarized ? [`> [!NOTE]`, `> ${summarized}${left.length ? `This comment is shortened to fit GitHub's size limit: ${left.join("; ")}. ` : ""}Everything is in ${where}.`, ""] : []);
  // Shrink in steps until it fits: details of fewer stacks, then shorter banner lists and summary, then a hard cut.
  for (const [cap, rows, lines] of [[Infinity, Infinity, 80], [25, Infinity, 40], [10, 200, 20], [5, 60, 10], [2, 20, 5]] as const) {
    const head = [...summary(review, rows), ...bannerSection(review.banners, cap, false), ...costSection(review.cost)];
    const left: string[] = [];
    if (review.banners.some((b, _, all) => all.filter((x) => x.kind === b.kind && x.severity === b.severity).length > cap)) left.push("some banners are listed in part");
    const footer = () => [`Full report: ${link}.`];
    const details: string[] = ["### Details", ""];
    let omitted = 0;
    const budget = limit - head.join("\n").length - note(left).join("\n").length - 400;
    for (const s of detailed) {
      const block = stackDetails(s, lines);
      if (details.join("\n").length + block.join("\n").length > budget) omitted++;
      else details.push(...block);
    }
    if (omitted) left.push(`details of ${omitted} of ${detailed.length} changed stacks are left out`);
    if (detailed.some((s) => stackDetails(s, lines).length < stackDetails(s).length)) left.push("long stack details are cut");
    const text = [...head, ...note(left), ...(detailed.length ? details : []), ...footer()].join("\n");
    if (text.length <= limit) return text;
  }
  // Still too long (thousands of stacks): the summary and banners cut at a line, with the note.
  const tail = ["", ...note(["the review is cut here"]), `Full report: ${link}.`].join("\n");
  const lines = [...summary(review, 20), ...bannerSection(review.banners, 2, false)];
  let text = "";
  for (const l of lines) {
    if (text.length + l.length + 1 + tail.length > limit) break;
    text += `${l}\n`;
  }
  return text + tail;
}
