// What the change does to each resource of one stack, inferred from the two synthesized configurations:
// created, updated in place, replaced (a force-new attribute changed, or the construct was renamed so the address
// changed), may be replaced (the provider decides at plan time, or the attribute is unclassified), destroyed.
import { classify } from "./force-new";
import { propagateReplacements } from "./propagate";
import { isStateful, losses, physicalName, protection } from "./stateful";
import type { AttributeChange, ResourceChange } from "./types";
import { diffValues, type RefRenderer } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Every resource of a synthesized stack by address, cdktf metadata stripped. */
export function resourcesOf(stack: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [type, byId] of Object.entries<Json>(stack?.resource ?? {})) {
    for (const [id, cfg] of Object.entries<Json>(byId)) {
      const { ["//"]: _meta, ...rest } = cfg;
      out.set(`${type}.${id}`, rest);
    }
  }
  return out;
}

const typeOf = (address: string) => address.slice(0, address.indexOf("."));

/** Rewrites references to renamed addresses so a renamed construct's dependants compare equal. */
function renamed(cfg: Json, moves: ReadonlyMap<string, string>): string {
  const text = JSON.stringify(cfg);
  if (!moves.size) return text;
  // `${type.id.attr}` in expressions and "type.id" in depends_on.
  return text.replace(/(\$\{|")([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?=\.|")/g, (all, lead: string, address: string) => (moves.has(address) ? `${lead}${moves.get(address)}` : all));
}

/**
 * Pairs removed and added resources that are the same thing under a new address: identical once references to
 * already-paired addresses are rewritten (so a renamed bucket's policy, versioning... follow it), or of the same
 * type with the same literal physical name.
 */
export function pairMoves(removed: string[], added: string[], a: Map<string, Json>, b: Map<string, Json>): Map<string, string> {
  const moves = new Map<string, string>();
  const taken = new Set<string>();
  // Added resources by their configuration text: the head side never names base-only addresses, so it needs no rewrite.
  const byText = new Map<string, string[]>();
  for (const x of added) {
    const key = `${typeOf(x)}\u0000${JSON.stringify(b.get(x))}`;
    byText.set(key, [...(byText.get(key) ?? []), x]);
  }
  for (let progress = true; progress; ) {
    progress = false;
    for (const r of removed.filter((x) => !moves.has(x))) {
      const twin = byText.get(`${typeOf(r)}\u0000${renamed(a.get(r), moves)}`)?.find((x) => !taken.has(x));
      if (twin) {
        moves.set(r, twin);
        taken.add(twin);
        progress = true;
      }
    }
  }
  for (const r of removed.filter((x) => !moves.has(x))) {
    const name = physicalName(typeOf(r), a.get(r));
    const twin = name && added.find((x) => !taken.has(x) && typeOf(x) === typeOf(r) && physicalName(typeOf(x), b.get(x)) === name);
    if (twin) {
      moves.set(r, twin);
      taken.add(twin);
    }
  }
  return moves;
}

/** Marks each changed attribute with its effect and derives the resource's action. */
function classified(type: string, attributes: AttributeChange[]): { action: ResourceChange["action"]; attributes: AttributeChange[]; reasons: string[] } {
  const reasons: string[] = [];
  let action: ResourceChange["action"] = "update";
  const out = attributes.map((c) => {
    const k = classify(type, c.path);
    if (k.kind === "replaces") {
      action = "replace";
      reasons.push(`${c.path} forces replacement`);
      return { ...c, note: "forces replacement" };
    }
    if (k.kind === "may-replace") {
      if (action === "update") action = "may-replace";
      reasons.push(`${c.path} may force replacement: ${k.why}`);
      return { ...c, note: `may force replacement: ${k.why}` };
    }
    return c;
  });
  return { action, attributes: out, reasons };
}

/** The names a construct path and physical name give a resource. */
function names(address: string, cfg: Json, paths: ReadonlyMap<string, string>) {
  const physical = physicalName(typeOf(address), cfg);
  return { name: paths.get(address) ?? address.slice(address.indexOf(".") + 1), ...(physical ? { physicalName: physical } : {}) };
}

/**
 * A configuration as the reviewer compares it: depends_on entries named by construct path, and a Helm release's
 * values left to the Helm and Kubernetes-object sections (which parse them) instead of raw YAML.
 */
function view(address: string, cfg: Json, paths: ReadonlyMap<string, string>): Json {
  if (!cfg) return cfg;
  const out = { ...cfg };
  if (Array.isArray(cfg.depends_on)) out.depends_on = cfg.depends_on.map((d: string) => `‹${paths.get(d) ?? d}›`);
  if (address.startsWith("helm_release.") && cfg.values !== undefined) out.values = "(see Helm releases and Kubernetes objects)";
  return out;
}

/** Diffs one stack's resources. `paths` map addresses to construct paths (head first, then base). */
export function diffResources(base: Json, head: Json, refs: RefRenderer, paths: ReadonlyMap<string, string>): ResourceChange[] {
  const a = resourcesOf(base);
  const b = resourcesOf(head);
  const out: ResourceChange[] = [];
  const changedValues = (x: string, y: string) => x.startsWith("helm_release.") && JSON.stringify(a.get(x)?.values) !== JSON.stringify(b.get(y)?.values) ? [{ path: "values", note: "changed: see Helm releases and Kubernetes objects" }] : [];
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const moves = pairMoves(removed, added, a, b);
  const movedTo = new Set(moves.values());

  for (const address of [...a.keys()].filter((k) => b.has(k)).sort()) {
    const attributes = [...diffValues(view(address, a.get(address), paths), view(address, b.get(address), paths), refs), ...changedValues(address, address)];
    if (!attributes.length) continue;
    const type = typeOf(address);
    const c = classified(type, attributes);
    const stateful = isStateful(type);
    out.push({
      address,
      type,
      ...names(address, b.get(address), paths),
      action: c.action,
      reasons: c.reasons,
      stateful,
      ...(stateful && c.action !== "update" ? { loses: losses(type), protection: replaceProtection(type, a.get(address), b.get(address)) } : {}),
      attributes: c.attributes,
      source: "synth",
    });
  }
  for (const [from, to] of moves) {
    const type = typeOf(to);
    const stateful = isStateful(type);
    const attributes = [...diffValues(view(to, JSON.parse(renamed(a.get(from), moves)), paths), view(to, b.get(to), paths), refs), ...changedValues(from, to)];
    out.push({
      address: to,
      type,
      ...names(to, b.get(to), paths),
      action: "replace",
      reasons: [`construct renamed from \`${paths.get(from) ?? from}\` (${from}): without a move (cdktf moveTo / addMoveTarget) Terraform destroys it and creates a new one`],
      stateful,
      ...(stateful ? { loses: losses(type), protection: removedProtection(type, a.get(from)) } : {}),
      attributes,
      movedFrom: from,
      source: "synth",
    });
  }
  for (const address of removed.filter((r) => !moves.has(r))) {
    const type = typeOf(address);
    const stateful = isStateful(type);
    out.push({
      address,
      type,
      ...names(address, a.get(address), paths),
      action: "delete",
      reasons: [],
      stateful,
      ...(stateful ? { loses: losses(type), protection: removedProtection(type, a.get(address)) } : {}),
      attributes: [],
      source: "synth",
    });
  }
  for (const address of added.filter((x) => !movedTo.has(x))) {
    out.push({ address, type: typeOf(address), ...names(address, b.get(address), paths), action: "create", reasons: [], stateful: isStateful(typeOf(address)), attributes: [], source: "synth" });
  }
  return propagateReplacements(out, { head: b, base: a, protectionOf: replaceProtection, namesOf: (address) => names(address, b.get(address), paths) });
}

/**
 * Replacing in place: prevent_destroy comes from the new configuration (Terraform checks it when planning), the
 * provider-side safeguards (deletion protection, final snapshot) from the old object's state.
 */
export function replaceProtection(type: string, baseCfg: Json, headCfg: Json) {
  return protection(type, { ...baseCfg, lifecycle: headCfg?.lifecycle });
}

/**
 * A resource whose block leaves the configuration loses its lifecycle block with it: prevent_destroy no longer
 * applies (Terraform documents this), while provider-side protection recorded in state still does.
 */
export function removedProtection(type: string, baseCfg: Json) {
  const p = protection(type, baseCfg);
  const notes = p.notes.filter((n) => !n.startsWith("lifecycle.prevent_destroy"));
  if (p.preventDestroy) notes.unshift("prevent_destroy does NOT apply: it was set on the resource block this change removes");
  return { preventDestroy: false, notes };
}
