// Which changed attributes replace a resource, from the providers' own schemas (force-new.generated.ts, read from
// the provider source at the pinned versions by scripts/generate-force-new.mjs).
import { FORCE_NEW_TABLE } from "./force-new.generated";
import { schemaPath } from "./values";

/** Terraform meta-arguments and cdktf bookkeeping: changing them calls no provider API, so never replaces. */
const META = new Set(["lifecycle", "depends_on", "provider", "count", "for_each", "timeouts", "connection", "provisioner", "//"]);

/** How one changed attribute affects its resource. */
export type Classification =
  | { readonly kind: "replaces" }
  | { readonly kind: "may-replace"; readonly why: string }
  | { readonly kind: "in-place" };

const covers = (attr: string, path: string) => path === attr || path.startsWith(`${attr}.`);

/** Classifies a change of `path` (list selectors allowed) on a resource of `type`. */
export function classify(type: string, path: string): Classification {
  const p = schemaPath(path);
  const top = p.split(".")[0];
  if (META.has(top)) return { kind: "in-place" };
  const entry = FORCE_NEW_TABLE[type];
  if (!entry) return { kind: "may-replace", why: `${type} is not in the force-new table` };
  // A ForceNew block replaces on any change inside it.
  if (entry.f.some((attr) => covers(attr, p))) return { kind: "replaces" };
  // A whole block added or removed around a ForceNew attribute replaces when that attribute was set on either side.
  const inside = entry.f.find((attr) => covers(p, attr));
  if (inside) return { kind: "may-replace", why: `the block holds ${inside}, which forces replacement when set` };
  const conditional = (entry.c ?? []).find((attr) => covers(attr, p) || covers(p, attr) || attr === "(ModifyPlan)");
  if (conditional) return { kind: "may-replace", why: conditional === "(ModifyPlan)" ? "the provider decides at plan time (ModifyPlan)" : `the provider replaces on some changes of ${conditional} (CustomizeDiff / RequiresReplaceIf)` };
  const unresolved = (entry.u ?? []).find((u) => covers(u.split(" ")[0].replace(/\.\*$/, ""), p) || u.startsWith("("));
  if (unresolved) return { kind: "may-replace", why: `the generator could not read ${unresolved.split(" ")[0]} in the provider source` };
  // Provider v6 adds `region` to every regional resource outside the schema functions the table is read from.
  if (top === "region") return { kind: "may-replace", why: "region is injected by the provider outside the resource schema" };
  return { kind: "in-place" };
}

/** Whether the table knows the type at all. */
export function knownType(type: string): boolean {
  return type in FORCE_NEW_TABLE;
}
