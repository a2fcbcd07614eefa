// Realistic review scenarios on the project's own synthesized stacks: each edit below is what the corresponding
// source change synthesizes to (checked end to end, with real source edits, in test/governance/review.verify.ts).
import { buildReview, type Review } from "../../scripts/lib/plan-diff";
import type { CostChange } from "../../scripts/lib/review/types";
import { synthesizeExamples } from "./delivery-examples";
import { synthesizeAll } from "./synth";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Every synthesized stack of the project by id (shared, never mutated: edits work on copies). */
export function projectStacks(): Map<string, Json> {
  return new Map(synthesizeAll().stacks.map((s) => [s.id, s.json]));
}

/** Every synthesized stack of the example environments (the shipped ones with docs/delivery.md's models) by id. */
export function exampleStacks(): Map<string, Json> {
  return new Map(synthesizeExamples().stacks.map((s) => [s.id, s.json]));
}

/** A copy of `stacks` where `edit` changed a deep copy of one stack. */
export function edited(stacks: ReadonlyMap<string, Json>, id: string, edit: (stack: Json) => void): Map<string, Json> {
  if (!stacks.has(id)) throw new Error(`no stack ${id}`);
  const copy = JSON.parse(JSON.stringify(stacks.get(id)));
  edit(copy);
  return new Map([...stacks, [id, copy]]);
}

/** The [id, config] of the resource of `type` whose construct path ends with `suffix`; throws when not exactly one. */
export function resourceAt(stack: Json, type: string, suffix: string): [string, Json] {
  const hits = Object.entries<Json>(stack.resource?.[type] ?? {}).filter(([, cfg]) => String(cfg["//"]?.metadata?.path ?? "").endsWith(suffix));
  if (hits.length !== 1) throw new Error(`${hits.length} ${type} at *${suffix}`);
  return hits[0];
}

/**
 * Renames a construct the way cdktf does when its id changes: every resource under `fromPath` (a construct path
 * without the stack) gets a new logical id, and every reference to it follows.
 */
export function renameConstruct(stack: Json, fromPath: string, toPath: string): void {
  const fromPrefix = `${fromPath.replace(/\//g, "_")}_`;
  const toPrefix = `${toPath.replace(/\//g, "_")}_`;
  const renames: [string, string][] = [];
  for (const [type, byId] of Object.entries<Json>(stack.resource)) {
    for (const id of Object.keys(byId)) {
      if (!id.startsWith(fromPrefix)) continue;
      // cdktf ends ids with a hash of the path; a new path gives a new hash.
      const newId = `${toPrefix}${id.slice(fromPrefix.length).replace(/_[0-9A-F]{8}$/, "_0A1B2C3D")}`;
      const cfg = byId[id];
      delete byId[id];
      cfg["//"].metadata.path = cfg["//"].metadata.path.replace(`/${fromPath}/`, `/${toPath}/`);
      byId[newId] = cfg;
      renames.push([`${type}.${id}`, `${type}.${newId}`]);
    }
  }
  const map = new Map(renames);
  const text = JSON.stringify(stack).replace(/([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?=\.|")/g, (all: string) => map.get(all) ?? all);
  const renamed = JSON.parse(text);
  for (const k of Object.keys(stack)) delete stack[k];
  Object.assign(stack, renamed);
}

/**
 * Edits a Helm release's values the way a source change would: `edit` mutates the parsed values tree (the project
 * renders values as pretty-printed JSON), which is written back the same way.
 */
export function editValues(stack: Json, release: string, edit: (values: Json) => void): void {
  const hit = Object.values<Json>(stack.resource.helm_release).find((r) => r.name === release);
  if (!hit) throw new Error(`no release ${release}`);
  const before = JSON.stringify(hit.values);
  hit.values = hit.values.map((v: string) => {
    const tree = JSON.parse(v);
    edit(tree);
    return JSON.stringify(tree, null, 2);
  });
  if (JSON.stringify(hit.values) === before) throw new Error(`the edit changed nothing in ${release}'s values`);
}

/** The object of `kind` named `name` among an in-repo release's manifests. */
export function manifestNamed(values: Json, kind: string, name: string): Json {
  const hit = (values.manifests ?? []).find((m: Json) => m.kind === kind && m.metadata?.name === name);
  if (!hit) throw new Error(`no ${kind} ${name} in the release's manifests`);
  return hit;
}

/** The review of `head` against the project's stacks. */
export function review(head: ReadonlyMap<string, Json>, extra: { cost?: CostChange[]; base?: ReadonlyMap<string, Json> } = {}): Review {
  return buildReview({ base: { ref: "main", commit: "a".repeat(40) }, baseStacks: extra.base ?? projectStacks(), headStacks: head, cost: extra.cost });
}
