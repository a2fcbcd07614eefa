// Value-level diffing and rendering for the review: lists as items added and removed (matched by a natural key
// such as a Karpenter requirement's `key`), old → new for single values, secrets masked, and Terraform references
// rendered as construct paths (`‹ml-data/mlflow-db/instance.address›`, `‹prod-foundation:eks/cluster.arn›`).
import type { AttributeChange } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Attribute or value keys whose values are secrets: shown only as changed, never in clear. */
const SECRET_KEY = /(password|passwd|secret|token|private_?key|credential|api_?key|_wo$)/i;
/** Keys that name or point at a secret without holding it (an ARN, a version number, a key name). */
const NAMES_A_SECRET = /(_arn|_id|_ids|_name|_names|_version|_enabled|_prefix|_days|Arn|Id|Name|Ref|Refs|Store)$|^(secret|password|token)Key$|^existingSecret$/;

/** Whether a value at this path must be masked. */
export function isSecretPath(path: string): boolean {
  const quoted = /\["((?:[^"\\]|\\.)*)"\]$/.exec(path);
  const last = quoted ? quoted[1] : (path.replace(/(\[[^\]]*\])+$/, "").split(".").pop() ?? "");
  return SECRET_KEY.test(last) && !NAMES_A_SECRET.test(last);
}

/** Renders Terraform expressions in strings as readable names. */
export type RefRenderer = (text: string) => string;

/** A renderer that leaves text alone (tests, or when no stacks are known). */
export const plainRefs: RefRenderer = (t) => t;

/** Address → construct path within the stack, from cdktf's `//` metadata. */
export function constructPaths(stack: Json): Map<string, string> {
  const out = new Map<string, string>();
  for (const [kind, prefix] of [["resource", ""], ["data", "data."]] as const) {
    for (const [type, byId] of Object.entries<Json>(stack?.[kind] ?? {})) {
      for (const [id, cfg] of Object.entries<Json>(byId)) {
        const path = String(cfg?.["//"]?.metadata?.path ?? "");
        out.set(`${prefix}${type}.${id}`, path.includes("/") ? path.slice(path.indexOf("/") + 1) : id);
      }
    }
  }
  return out;
}

/**
 * A renderer for one stack: in-stack references become `‹construct/path.attr›`, cross-stack ones (cdktf's
 * terraform_remote_state outputs) `‹producer-stack:construct/path.attr›`, using every stack of the same side.
 */
export function refRenderer(stackId: string, stacks: ReadonlyMap<string, Json>): RefRenderer {
  const paths = new Map<string, Map<string, string>>();
  const pathsOf = (id: string) => {
    if (!paths.has(id)) paths.set(id, constructPaths(stacks.get(id)));
    return paths.get(id)!;
  };
  const local = (stack: string, expr: string): string | undefined => {
    const m = /^((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)$/.exec(expr);
    const path = m && pathsOf(stack).get(m[1]);
    return path === undefined || !m ? undefined : `${path}${m[2]}`;
  };
  const remote = (stackName: string, output: string): string | undefined => {
    const value = stacks.get(stackName)?.output?.[output]?.value;
    const inner = typeof value === "string" ? /^\$\{(.*)\}$/.exec(value)?.[1] : undefined;
    const l = inner === undefined ? undefined : local(stackName, inner);
    return l === undefined ? undefined : `${stackName}:${l}`;
  };
  const REF = /data\.terraform_remote_state\.cross-stack-reference-input-([a-z0-9-]+)\.outputs\.([A-Za-z0-9_-]+)|(?<![\w.])((?:data\.)?(?:aws|helm|kubernetes|ephemeral\.aws)_[a-z0-9_]*\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_]+|\[\d+\])*)/g;
  const one = (expr: string) =>
    expr.replace(REF, (all, producer, output, ref) => {
      const name = producer ? remote(producer, output) : local(stackId, ref);
      return name === undefined ? all : `‹${name}›`;
    });
  return (text) =>
    text.replace(/\$\{((?:[^{}]|\{[^{}]*\})*)\}/g, (all, expr: string) => {
      const rendered = one(expr);
      // A bare reference needs no ${} around it once it reads as a name.
      return /^‹[^‹›]*›$/.test(rendered) ? rendered : rendered === expr ? all : `\${${rendered}}`;
    });
}

/** One line for a value: strings as they are (references readable), others as compact JSON, long ones cut. */
export function render(value: unknown, refs: RefRenderer = plainRefs, max = 100): string {
  if (value === undefined) return "(unset)";
  const text = refs(typeof value === "string" ? value : JSON.stringify(value));
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ");
  return flat.length > max ? `${flat.slice(0, max - 1)}… (${text.length} chars)` : flat;
}

const isObj = (x: Json) => x !== null && typeof x === "object" && !Array.isArray(x);
const join = (prefix: string, key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? (prefix ? `${prefix}.${key}` : key) : `${prefix}[${JSON.stringify(key)}]`);

/** Keys that name list items, tried in order: the first one every item has, uniquely on both sides, is used. */
const ITEM_KEYS = ["key", "name", "alias", "id", "deviceName", "Sid", "sid", "type", "port"];

function itemKey(a: Json[], b: Json[]): string | undefined {
  if (![...a, ...b].every(isObj)) return undefined;
  return ITEM_KEYS.find((k) =>
    [a, b].every((side) => {
      const values = side.map((x: Json) => x[k]);
      return values.every((v: unknown) => typeof v === "string" || typeof v === "number") && new Set(values).size === values.length;
    }),
  );
}

/** Parses a JSON document held in a string attribute (policies, feature_store.yaml stays a string). */
function parsedJson(x: Json): Json {
  if (typeof x !== "string" || !/^\s*[{[]/.test(x)) return undefined;
  try {
    return JSON.parse(x);
  } catch {
    return undefined;
  }
}

/**
 * The differences between two values as a reviewer reads them: objects key by key, lists item by item (by key,
 * by position when lengths match, else as items added and removed), everything else old → new.
 */
export function diffValues(a: Json, b: Json, refs: RefRenderer = plainRefs, path = ""): AttributeChange[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const secret = isSecretPath(path);
  const ja = parsedJson(a);
  const jb = parsedJson(b);
  if (!secret && ja !== undefined && jb !== undefined) return diffValues(ja, jb, refs, path);
  if (!secret && isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], refs, join(path, k)));
  }
  if (!secret && Array.isArray(a) && Array.isArray(b)) {
    const key = itemKey(a, b);
    if (key) {
      const byKey = (side: Json[]) => new Map(side.map((x: Json) => [String(x[key]), x]));
      const ma = byKey(a);
      const mb = byKey(b);
      const out: AttributeChange[] = [];
      const added = [...mb.keys()].filter((k) => !ma.has(k));
      const removed = [...ma.keys()].filter((k) => !mb.has(k));
      if (added.length || removed.length) {
        out.push({ path, ...(added.length ? { added: added.map((k) => render(mb.get(k), refs)) } : {}), ...(removed.length ? { removed: removed.map((k) => render(ma.get(k), refs)) } : {}) });
      }
      for (const k of [...ma.keys()].filter((x) => mb.has(x))) out.push(...diffValues(ma.get(k), mb.get(k), refs, `${path}[${key}=${k}]`));
      return out;
    }
    if (a.length === b.length && [...a, ...b].every(isObj)) return a.flatMap((x: Json, i: number) => diffValues(x, b[i], refs, `${path}[${i}]`));
    const sa = a.map((x: Json) => JSON.stringify(x));
    const sb = b.map((x: Json) => JSON.stringify(x));
    const added = b.filter((_: Json, i: number) => !sa.includes(sb[i])).map((x: Json) => render(x, refs));
    const removed = a.filter((_: Json, i: number) => !sb.includes(sa[i])).map((x: Json) => render(x, refs));
    if (!added.length && !removed.length) return [{ path, from: "(same items)", to: "(reordered)" }];
    return [{ path, ...(added.length ? { added } : {}), ...(removed.length ? { removed } : {}) }];
  }
  if (secret) return [{ path, ...(a !== undefined ? { from: "(sensitive)" } : {}), ...(b !== undefined ? { to: "(sensitive, changed)" } : {}) }];
  return [{ path, ...(a !== undefined ? { from: render(a, refs) } : {}), ...(b !== undefined ? { to: render(b, refs) } : {}) }];
}

/** "path: old → new", "path: + item, − item" for one changed attribute. */
export function describeChange(c: AttributeChange): string {
  const parts: string[] = [];
  if (c.added?.length) parts.push(...c.added.map((x) => `+ ${x}`));
  if (c.removed?.length) parts.push(...c.removed.map((x) => `− ${x}`));
  if (!parts.length && c.from === undefined && c.to === undefined && c.note) return `${c.path || "(value)"}: ${c.note}`;
  if (!parts.length) parts.push(`${c.from ?? "(unset)"} → ${c.to ?? "(unset)"}`);
  return `${c.path || "(value)"}: ${parts.join(", ")}${c.note ? ` (${c.note})` : ""}`;
}

/** The path with list selectors dropped, as force-new tables name attributes ("vpc_config.subnet_ids"). */
export function schemaPath(path: string): string {
  return path.replace(/\[[^\]]*\]/g, "");
}
