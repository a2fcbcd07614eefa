// A reviewer's view of what a change does to every synthesized stack: per environment and stack, what is created,
// updated, replaced or destroyed, and banners for what could break (data loss, IAM widened, security posture,
// budgets, chart majors, nodes replaced). Pure functions over two synthesized output dirs (plus optional Terraform
// plans), so they are testable without git; the pieces live in scripts/lib/review/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { budgetBanners, finalizeBanners, resourceBanners, testsBanner } from "./review/banners";
import { mergePlan, parsePlan } from "./review/plan-json";
import { resourcesOf } from "./review/resources";
import { environmentOf, reviewStack } from "./review/stack";
import { REVIEW_SCHEMA_VERSION, type CostChange, type EnvironmentSummary, type Review, type StackReview } from "./review/types";

export { fullReport, reviewComment, COMMENT_LIMIT } from "./review/markdown";
export type { Review, StackReview, CostChange, Banner } from "./review/types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Reads every stack's cdk.tf.json of a synthesized output dir. */
export function readOutdir(outdir: string): Map<string, Json> {
  const dir = join(outdir, "stacks");
  const out = new Map<string, Json>();
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir).sort()) out.set(id, JSON.parse(readFileSync(join(dir, id, "cdk.tf.json"), "utf8")));
  return out;
}

/** What the review is built from. */
export interface ReviewInput {
  readonly base: { readonly ref: string; readonly commit: string };
  readonly head?: string;
  readonly baseStacks: ReadonlyMap<string, Json>;
  readonly headStacks: ReadonlyMap<string, Json>;
  readonly cost?: CostChange[];
  readonly tests?: Review["tests"];
  /** `terraform show -json` output per stack id: { file, text }. */
  readonly plans?: ReadonlyMap<string, { readonly file: string; readonly text: string }>;
}

/** Builds the review. Throws when a plan is given for a stack that neither side has, or is not a plan. */
export function buildReview(input: ReviewInput): Review {
  const ids = [...new Set([...input.baseStacks.keys(), ...input.headStacks.keys()])].sort();
  for (const id of input.plans?.keys() ?? []) if (!ids.includes(id)) throw new Error(`--plan-json ${id}=...: no stack ${id} on either side (stacks: ${ids.join(", ")})`);
  const stacks: StackReview[] = [];
  const banners = [...testsBanner(input.tests), ...budgetBanners(input.cost ?? [])];
  for (const id of ids) {
    const r = reviewStack(id, input.baseStacks, input.headStacks);
    const plan = input.plans?.get(id);
    const s = plan ? mergePlan(r.review, parsePlan(plan.text, plan.file), plan.file, resourcesOf(input.baseStacks.get(id))) : r.review;
    stacks.push(s);
    banners.push(...r.banners, ...resourceBanners(s));
  }
  return {
    schemaVersion: REVIEW_SCHEMA_VERSION,
    base: input.base,
    head: input.head ?? "the working tree",
    ...(input.tests ? { tests: input.tests } : {}),
    summary: summarize(stacks),
    banners: finalizeBanners(banners, stacks),
    stacks,
    cost: input.cost ?? [],
  };
}

/** Per environment: new when every stack is added, removed when every stack is removed. */
function summarize(stacks: StackReview[]): EnvironmentSummary[] {
  const envs = [...new Set(stacks.map((s) => s.environment))].sort();
  return envs.map((environment) => {
    const own = stacks.filter((s) => environmentOf(s.stack) === environment);
    const status = own.every((s) => s.status === "added") ? "new" : own.every((s) => s.status === "removed") ? "removed" : own.every((s) => s.status === "unchanged") ? "unchanged" : "changed";
    return { environment, status, stacks: own.map((s) => ({ stack: s.stack, status: s.status, counts: s.counts })) };
  });
}

/** Compares two synthesized output dirs (no cost, no plans): the pure core the CLI wraps. */
export function diffOutdirs(baseOutdir: string, headOutdir: string, base = { ref: "base", commit: "0".repeat(40) }): Review {
  return buildReview({ base, baseStacks: readOutdir(baseOutdir), headStacks: readOutdir(headOutdir) });
}
