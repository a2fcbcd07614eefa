import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TerraformJson } from "./synth";

/** The committed extract of the provider schemas the stacks use (scripts/generate-provider-schemas.mjs), from the repo root. */
export const SCHEMA_NAME = "test/fixtures/provider-schemas.json";
/** Absolute path of SCHEMA_NAME. */
export const SCHEMA_FILE = resolve(__dirname, "../..", SCHEMA_NAME);
/** The command that regenerates SCHEMA_FILE; every message about a stale extract names it. */
export const REGENERATE = "npm run generate:provider-schemas";

/** An argument's type: string, number, bool, any, list(T), set(T) or map(T). */
export type ArgType = string;
/**
 * A nested block or nested object: `one` is a block of at most one element (cdktf renders an object), `object` a
 * single nested object (an object only), `list`/`set` any number of elements (an array of objects).
 */
export interface Nested {
  readonly nesting: "one" | "object" | "list" | "set";
  readonly body: Body;
}
/** The configurable arguments and nested blocks of one block, by name. */
export type Body = Readonly<Record<string, ArgType | Nested>>;

/** Where a provider's schemas came from. */
export interface ProviderOrigin {
  readonly package?: string;
  readonly packageVersion?: string;
  readonly source?: string;
  readonly version?: string;
  /** `<kind>.<type>` -> the documentation a hand-written schema was taken from. */
  readonly documented?: Readonly<Record<string, string>>;
}

/** The extract: origins per provider name and bodies per block kind and type. */
export interface ProviderSchemas {
  readonly providers: Readonly<Record<string, ProviderOrigin>>;
  readonly provider: Readonly<Record<string, Body>>;
  readonly resource: Readonly<Record<string, Body>>;
  readonly data: Readonly<Record<string, Body>>;
  readonly ephemeral: Readonly<Record<string, Body>>;
}

/** The block kinds of a Terraform JSON configuration whose contents come from provider schemas. */
export const BLOCK_KINDS = ["provider", "resource", "data", "ephemeral"] as const;
/** One of BLOCK_KINDS. */
export type BlockKind = (typeof BLOCK_KINDS)[number];

/**
 * Terraform's meta-arguments per block kind (Terraform language docs: resources, data sources, ephemeral resources
 * and provider configurations), which no provider schema lists. `//` is cdktf's metadata comment key, which
 * Terraform's JSON syntax ignores.
 */
const META: Record<BlockKind, readonly string[]> = {
  resource: ["depends_on", "lifecycle", "provider", "count", "for_each", "connection", "provisioner", "//"],
  data: ["depends_on", "lifecycle", "provider", "count", "for_each", "//"],
  ephemeral: ["depends_on", "lifecycle", "provider", "count", "for_each", "//"],
  provider: ["alias", "version", "//"],
};
/** The arguments of a `lifecycle` block: data sources and ephemeral resources take only the conditions. */
const LIFECYCLE: Record<"resource" | "data" | "ephemeral", readonly string[]> = {
  resource: ["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by", "precondition", "postcondition"],
  data: ["precondition", "postcondition"],
  ephemeral: ["precondition", "postcondition"],
};
const DYNAMIC_KEYS = ["for_each", "iterator", "labels", "content"];

let cache: ProviderSchemas | undefined;
/** The committed extract (read once per test worker). */
export function loadProviderSchemas(): ProviderSchemas {
  cache ??= JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as ProviderSchemas;
  return cache;
}

/** Installed binding packages whose version differs from the one the extract was made from, as messages. */
export function staleProviders(schemas: ProviderSchemas, nodeModules = resolve(__dirname, "../../node_modules")): string[] {
  return Object.values(schemas.providers).flatMap((p) => {
    if (!p.package) return [];
    const installed = (JSON.parse(readFileSync(join(nodeModules, p.package, "package.json"), "utf8")) as { version: string }).version;
    return installed === p.packageVersion ? [] : [`${p.package} is ${installed} but ${SCHEMA_NAME} was extracted from ${p.packageVersion}: run ${REGENERATE}`];
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isExpression = (v: unknown) => typeof v === "string" && v.includes("${");
const shapeOf = (v: unknown) => (Array.isArray(v) ? "a list" : v === null ? "null" : typeof v === "object" ? "an object" : `the ${typeof v} ${JSON.stringify(v)}`);
const join2 = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Problems of a value against an argument type; a `${...}` string is an expression and may stand for any type. */
export function checkType(type: ArgType, value: unknown, path: string): string[] {
  if (value === null || type === "any" || isExpression(value)) return [];
  const collection = /^(list|set|map)\((.*)\)$/.exec(type);
  if (!collection) {
    // Terraform converts between primitives where the text allows it ("5" to 5, "true" to true, 5 to "5").
    const ok =
      type === "string"
        ? ["string", "number", "boolean"].includes(typeof value)
        : type === "number"
          ? typeof value === "number" || (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
          : typeof value === "boolean" || value === "true" || value === "false";
    return ok ? [] : [`${path}: expected a ${type}, got ${shapeOf(value)}`];
  }
  const [, kind, element] = collection;
  if (kind === "map") {
    if (!isObject(value)) return [`${path}: expected a ${type}, got ${shapeOf(value)}`];
    return Object.entries(value).flatMap(([k, v]) => checkType(element, v, join2(path, k)));
  }
  if (!Array.isArray(value)) return [`${path}: expected a ${type}, got ${shapeOf(value)}`];
  return value.flatMap((v, i) => checkType(element, v, `${path}[${i}]`));
}

/** Problems of a nested block value: the JSON shape its nesting allows, then each element's body. */
function checkNested(spec: Nested, value: unknown, path: string, unknown: (p: string) => string): string[] {
  if (value === null) return [];
  if (!isObject(value) && !Array.isArray(value)) return [`${path}: a nested block, got ${shapeOf(value)} (blocks cannot be expressions; use a dynamic block)`];
  if (spec.nesting === "object") {
    if (!isObject(value)) return [`${path}: expected a single object, got ${shapeOf(value)}`];
    return checkBody(spec.body, value, path, unknown);
  }
  if (isObject(value)) {
    if (spec.nesting === "one") return checkBody(spec.body, value, path, unknown);
    return [`${path}: expected a list of objects (${spec.nesting} nesting), got an object`];
  }
  const list = value as unknown[];
  if (spec.nesting === "one" && list.length > 1) return [`${path}: at most one block, got ${list.length}`];
  return list.flatMap((v, i) => (isObject(v) ? checkBody(spec.body, v, `${path}[${i}]`, unknown) : [`${path}[${i}]: expected an object, got ${shapeOf(v)}`]));
}

/** Problems of a `dynamic` block: each generated block must be a nested block of the body, its content checked. */
function checkDynamic(body: Body, value: unknown, path: string, unknown: (p: string) => string): string[] {
  if (!isObject(value)) return [`${join2(path, "dynamic")}: expected an object of dynamic blocks, got ${shapeOf(value)}`];
  return Object.entries(value).flatMap(([name, dyn]) => {
    const at = join2(path, `dynamic.${name}`);
    const spec = body[name];
    if (spec === undefined) return [unknown(at)];
    if (typeof spec === "string") return [`${at}: ${name} is an argument, not a block`];
    if (!isObject(dyn)) return [`${at}: expected an object, got ${shapeOf(dyn)}`];
    const keys = Object.keys(dyn).filter((k) => !DYNAMIC_KEYS.includes(k)).map((k) => `${at}.${k}: not an argument of a dynamic block`);
    return [...keys, ...(isObject(dyn.content) ? checkBody(spec.body, dyn.content, `${at}.content`, unknown) : [`${at}.content: expected an object`])];
  });
}

/** Problems of a block body's value: unknown names, argument types and nested blocks, recursively. */
export function checkBody(body: Body, value: Record<string, unknown>, path: string, unknown: (p: string) => string): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    if (key === "dynamic" && body.dynamic === undefined) return checkDynamic(body, v, path, unknown);
    const spec = body[key];
    const at = join2(path, key);
    if (spec === undefined) return [unknown(at)];
    return typeof spec === "string" ? checkType(spec, v, at) : checkNested(spec, v, at, unknown);
  });
}

/** `@cdktf/provider-aws 21.22.1 (registry.terraform.io/hashicorp/aws 6.25.0)`, or the documentation a schema came from. */
function origin(schemas: ProviderSchemas, kind: BlockKind, type: string): string {
  const provider = kind === "provider" ? type : type.slice(0, type.indexOf("_"));
  const p = schemas.providers[provider] ?? {};
  const documented = p.documented?.[`${kind}.${type}`];
  if (documented) return `the documented schema (${documented})`;
  return p.package ? `${p.package} ${p.packageVersion} (${p.source} ${p.version})` : (p.source ?? provider);
}

/** Problems of one block (a resource, data source, ephemeral resource or provider configuration) of a stack. */
export function checkBlock(schemas: ProviderSchemas, kind: BlockKind, type: string, config: unknown): string[] {
  const body = schemas[kind][type];
  if (!body) return [`${kind} type ${type} is not in ${SCHEMA_NAME}: run ${REGENERATE}`];
  if (!isObject(config)) return [`expected an object, got ${shapeOf(config)}`];
  const unknown = (p: string) => `${p}: not an argument or block of ${type} in ${origin(schemas, kind, type)}; if the provider has it now, run ${REGENERATE}`;
  const meta = META[kind];
  const problems = checkBody(body, Object.fromEntries(Object.entries(config).filter(([k]) => !meta.includes(k) || k in body)), "", unknown);
  if (kind !== "provider" && "lifecycle" in config) {
    const lifecycle = config.lifecycle;
    if (!isObject(lifecycle)) problems.push(`lifecycle: expected an object, got ${shapeOf(lifecycle)}`);
    else for (const k of Object.keys(lifecycle)) if (!LIFECYCLE[kind].includes(k)) problems.push(`lifecycle.${k}: not a lifecycle argument of a ${kind} block (${LIFECYCLE[kind].join(", ")})`);
  }
  return problems;
}

/** Every problem of every provider-schema block of a synthesized stack, as `<stack> <address>: <path>: <problem>`. */
export function checkStack(stackId: string, json: TerraformJson & { ephemeral?: Record<string, Record<string, unknown>> }, schemas = loadProviderSchemas()): string[] {
  const out: string[] = [];
  for (const kind of BLOCK_KINDS) {
    for (const [type, entries] of Object.entries((json[kind] ?? {}) as Record<string, unknown>)) {
      const blocks: Array<[string, unknown]> =
        kind === "provider"
          ? (Array.isArray(entries) ? entries : [entries]).map((cfg, i, all) => [`provider.${type}${isObject(cfg) && typeof cfg.alias === "string" ? `.${cfg.alias}` : all.length > 1 ? `[${i}]` : ""}`, cfg])
          : Object.entries(entries as Record<string, unknown>)
              .filter(([name]) => !name.startsWith("//"))
              .map(([name, cfg]) => [`${kind === "resource" ? "" : `${kind}.`}${type}.${name}`, cfg]);
      for (const [address, cfg] of blocks) for (const p of checkBlock(schemas, kind, type, cfg)) out.push(`${stackId} ${address}: ${p}`);
    }
  }
  return out;
}
