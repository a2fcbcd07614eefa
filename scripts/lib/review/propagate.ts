// Replacement spreads through references: when a resource is replaced, every attribute it exports that its
// configuration does not set (id, arn, ...) is unknown until apply, so a resource that references one sees that
// attribute change. Where the attribute is force-new, Terraform replaces the referencing resource too (a new VPC id
// replaces every security group and subnet group in it, which can replace the database behind them). The offline
// diff of each resource alone cannot see that; this pass follows references to a fixed point.
import { classify } from "./force-new";
import { isStateful, losses } from "./stateful";
import type { Action, AttributeChange, ResourceChange } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const RANK: Record<Action, number> = { "no-op": 0, update: 1, "may-replace": 2, replace: 3, create: 4, delete: 4 };
const REF = /\$\{([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)/g;

/** Every string in a configuration with its attribute path (the path format of diffValues: `a.b[0].c`). */
function strings(value: Json, path = ""): Array<[string, string]> {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => (k === "depends_on" || k === "lifecycle" || k === "//" ? [] : strings(v, path ? `${path}.${k}` : k)));
  return [];
}

export interface PropagationInput {
  /** Head configurations by address. */
  readonly head: ReadonlyMap<string, Json>;
  /** Base configurations by address (for protection of newly escalated stateful resources). */
  readonly base: ReadonlyMap<string, Json>;
  /** Protection of a resource replaced in place, from its base and head configurations. */
  readonly protectionOf: (type: string, base: Json, head: Json) => ResourceChange["protection"];
  /** Construct path and physical name of an address. */
  readonly namesOf: (address: string) => { name: string; physicalName?: string };
}

/** Adds or escalates the changes that references to replaced (or maybe replaced) resources cause. */
export function propagateReplacements(changes: readonly ResourceChange[], input: PropagationInput): ResourceChange[] {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const seen = new Set<string>();
  for (let progress = true; progress; ) {
    progress = false;
    const replaced = new Map([...byAddress.values()].filter((c) => c.action === "replace" || c.action === "may-replace").map((c) => [c.address, c.action]));
    for (const [address, cfg] of input.head) {
      const current = byAddress.get(address);
      if (current && (current.action === "create" || current.action === "replace")) continue;
      if (!input.base.has(address)) continue;
      const type = address.slice(0, address.indexOf("."));
      for (const [path, text] of strings(cfg)) {
        for (const m of text.matchAll(REF)) {
          const [, target, attribute] = m;
          const how = replaced.get(target);
          if (!how || target === address) continue;
          // An attribute the target's configuration sets is known at plan time, replaced or not.
          if (attribute in (input.head.get(target) ?? {})) continue;
          const key = `${address}|${path}|${target}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const k = classify(type, path);
          const action: Action = k.kind === "replaces" ? how : k.kind === "may-replace" ? "may-replace" : "update";
          const why = `${path} refers to ${target}.${attribute}, which ${how === "replace" ? "is replaced" : "may be replaced"} (unknown until apply)`;
          const attr: AttributeChange = { path, from: "(current)", to: "(known after apply)", note: k.kind === "in-place" ? `refers to ${target}, which ${how === "replace" ? "is replaced" : "may be replaced"}` : why };
          byAddress.set(address, escalate(byAddress.get(address), address, type, action, why, attr, input));
          progress = true;
        }
      }
    }
  }
  return [...byAddress.values()].sort((x, y) => x.address.localeCompare(y.address));
}

function escalate(current: ResourceChange | undefined, address: string, type: string, action: Action, why: string, attr: AttributeChange, input: PropagationInput): ResourceChange {
  const next: Action = current && RANK[current.action] >= RANK[action] ? current.action : action;
  const stateful = isStateful(type);
  const destructive = next === "replace" || next === "may-replace";
  return {
    ...(current ?? { address, type, ...input.namesOf(address), reasons: [], stateful, attributes: [], source: "synth" as const }),
    action: next,
    reasons: action === "update" ? current?.reasons ?? [] : [...(current?.reasons ?? []), why],
    attributes: [...(current?.attributes ?? []), attr],
    ...(stateful && destructive ? { loses: losses(type), protection: input.protectionOf(type, input.base.get(address), input.head.get(address)) } : {}),
  };
}
