// Merges Terraform's own plan (`terraform show -json <planfile>`, format_version 1.x) into a stack's review:
// Terraform's actions replace the offline guesses, and every disagreement is kept so the reviewer sees both.
import { countsOf } from "./stack";
import { isStateful, losses, physicalName } from "./stateful";
import { removedProtection } from "./resources";
import type { Action, ResourceChange, StackReview } from "./types";
import { diffValues, plainRefs } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** One managed resource's planned change. */
interface Planned {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  readonly change: Json;
  readonly reason?: string;
}

/** Terraform's action list as one action, or undefined for reads, forgets and no-ops. */
export function planAction(actions: string[]): Action | undefined {
  const a = [...actions].sort().join(",");
  if (a === "create,delete") return "replace";
  if (a === "create" || a === "update" || a === "delete" || a === "no-op") return a as Action;
  return undefined;
}

/** Parses `terraform show -json` output; throws a readable error for anything else. */
export function parsePlan(text: string, file: string): Map<string, Planned> {
  let plan: Json;
  try {
    plan = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message}); pass the output of \`terraform show -json <planfile>\``);
  }
  if (typeof plan?.format_version !== "string" || !Array.isArray(plan?.resource_changes ?? [])) {
    throw new Error(`${file}: no format_version/resource_changes; pass the output of \`terraform show -json <planfile>\``);
  }
  const out = new Map<string, Planned>();
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed") continue;
    const action = planAction(rc.change?.actions ?? []);
    if (!action) continue;
    const paths = (rc.change?.replace_paths ?? []).map((p: unknown[]) => p.filter((x) => typeof x === "string").join("."));
    const reason = action === "replace" ? `Terraform replaces it${paths.length ? ` because of ${paths.join(", ")}` : ""}${rc.action_reason ? ` (${rc.action_reason})` : ""}` : rc.action_reason;
    out.set(rc.address, { address: rc.address, type: rc.type, action, change: rc.change, ...(reason ? { reason } : {}) });
  }
  return out;
}

const DESTRUCTIVE = new Set<Action>(["replace", "delete"]);

/** What the offline review and Terraform said, when they differ in a way a reviewer should know. */
function disagreement(guess: Action, planned: Action): string | undefined {
  if (guess === planned) return undefined;
  if (guess === "may-replace" && (planned === "update" || planned === "replace")) return `the offline review could not tell; Terraform plans ${planned === "replace" ? "a replacement" : "an in-place update"}`;
  if (planned === "no-op") return `the offline review saw a change (${guess}); Terraform plans none`;
  return `the offline review expected ${guess}; Terraform plans ${planned}${DESTRUCTIVE.has(planned) && !DESTRUCTIVE.has(guess) ? " (destructive)" : ""}`;
}

/** Masks what the plan marks sensitive and shows what it cannot know yet. */
function planAttributes(change: Json): ResourceChange["attributes"] {
  const scrub = (values: Json, sensitive: Json, unknown: Json): Json => {
    if (sensitive === true) return "(sensitive)";
    if (unknown === true) return "(known after apply)";
    if (values && typeof values === "object") {
      const out: Json = Array.isArray(values) ? [] : {};
      for (const k of Object.keys(values)) out[k] = scrub(values[k], sensitive?.[k], unknown?.[k]);
      if (unknown && typeof unknown === "object") for (const k of Object.keys(unknown)) if (!(k in out)) out[k] = scrub(undefined, sensitive?.[k], unknown[k]);
      return out;
    }
    return values;
  };
  return diffValues(scrub(change?.before ?? undefined, change?.before_sensitive, undefined), scrub(change?.after ?? undefined, change?.after_sensitive, change?.after_unknown), plainRefs);
}

/** The stack's review with Terraform's plan merged in. `baseResources` supplies safeguards of destroyed ones. */
export function mergePlan(s: StackReview, planned: Map<string, Planned>, file: string, baseResources: Map<string, Json>): StackReview {
  const resources: ResourceChange[] = [];
  const seen = new Set<string>();
  for (const r of s.resources) {
    seen.add(r.address);
    if (r.movedFrom) seen.add(r.movedFrom);
    const p = planned.get(r.address);
    const old = r.movedFrom ? planned.get(r.movedFrom) : undefined;
    // A renamed construct: Terraform deletes the old address and creates the new one, unless a move makes it one.
    const action: Action | undefined = r.movedFrom ? (old?.action === "delete" && p?.action === "create" ? "replace" : p?.action) : p?.action;
    if (!action) {
      resources.push({ ...r, source: "plan", disagreement: `not in Terraform's plan (${file}) although the offline review saw ${r.action}` });
      continue;
    }
    const reasons = p?.reason && !r.reasons.includes(p.reason) ? [...r.reasons, p.reason] : r.reasons;
    const keep = DESTRUCTIVE.has(action) || action === "may-replace";
    const merged: ResourceChange = {
      ...r,
      action,
      reasons: action === "update" || action === "no-op" ? reasons.filter((x) => !/replace/.test(x)) : reasons,
      ...(keep ? {} : { protection: undefined, loses: undefined }),
      ...(keep && r.stateful && !r.protection ? { loses: losses(r.type), protection: removedProtection(r.type, baseResources.get(r.movedFrom ?? r.address)) } : {}),
      source: "plan",
    };
    const d = disagreement(r.action, action);
    resources.push(JSON.parse(JSON.stringify(d ? { ...merged, disagreement: d } : merged)));
  }
  for (const p of planned.values()) {
    if (seen.has(p.address) || p.action === "no-op") continue;
    const base = baseResources.get(p.address);
    const stateful = isStateful(p.type);
    const physical = physicalName(p.type, p.change?.before ?? p.change?.after);
    resources.push({
      address: p.address,
      type: p.type,
      name: p.address.slice(p.address.indexOf(".") + 1),
      ...(physical ? { physicalName: physical } : {}),
      action: p.action,
      reasons: p.reason ? [p.reason] : [],
      stateful,
      ...(stateful && DESTRUCTIVE.has(p.action) ? { loses: losses(p.type), protection: removedProtection(p.type, base) } : {}),
      attributes: p.action === "update" || p.action === "replace" ? planAttributes(p.change) : [],
      source: "plan",
      disagreement: `in Terraform's plan only: ${p.action} (drift, or values the offline synthesis cannot know)`,
    });
  }
  resources.sort((x, y) => x.address.localeCompare(y.address));
  return { ...s, resources, counts: countsOf(resources), plan: file, status: s.status === "unchanged" && resources.some((r) => r.action !== "no-op") ? "changed" : s.status };
}
