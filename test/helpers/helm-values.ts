import Ajv, { type ErrorObject } from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { parse } from "yaml";
import { mergeValues } from "./manifests";
import { oracle } from "./oracles";

/**
 * Keys whose content is free-form by convention in Helm charts (Kubernetes objects or maps passed through to
 * templates): anything below them is accepted when the chart has the key, even if its default is not empty.
 */
export const FREE_FORM_KEYS: ReadonlySet<string> = new Set([
  "podAnnotations",
  "podLabels",
  "annotations",
  "labels",
  "additionalLabels",
  "additionalAnnotations",
  "commonLabels",
  "commonAnnotations",
  "nodeSelector",
  "tolerations",
  "affinity",
  "topologySpreadConstraints",
  "resources",
  "securityContext",
  "podSecurityContext",
  "containerSecurityContext",
  "env",
  "envFrom",
  "extraEnv",
  "extraEnvVars",
  "extraArgs",
  "extraVolumes",
  "extraVolumeMounts",
  "extraObjects",
]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A chart file's data: its oracle for a reference path, or the file itself for an absolute path (hand-made charts). */
function chartData(p: string, parseText: (text: string) => unknown): unknown {
  return isAbsolute(p) ? parseText(readFileSync(p, "utf8")) : oracle(p);
}

function join(path: string, key: string): string {
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? (k.startsWith('"') ? `${path}[${k}]` : `${path}.${k}`) : k.startsWith('"') ? `[${k}]` : k;
}

/** A chart default below which anything goes: null, an empty map or list, or any list (lists are replaced whole). */
function openDefault(key: string, chartValue: unknown): boolean {
  if (chartValue === null || Array.isArray(chartValue) || FREE_FORM_KEYS.has(key)) return true;
  return isMap(chartValue) && Object.keys(chartValue).length === 0;
}

/** Resolves local `$ref`s (`#/...` JSON pointers) against the schema root. */
function deref(node: Any, root: Any, seen = 0): Any {
  if (!isMap(node) || typeof node.$ref !== "string" || !node.$ref.startsWith("#") || seen > 32) return node;
  const target = node.$ref
    .slice(1)
    .split("/")
    .slice(1)
    .reduce((o: Any, part: string) => o?.[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")], root);
  return deref(target, root, seen + 1);
}

const SHAPE_KEYWORDS = ["properties", "patternProperties", "additionalProperties", "allOf", "anyOf", "oneOf", "$ref", "if", "not", "unevaluatedProperties"];

/**
 * The schema nodes that describe `key` below `nodes`, or "open" when the schema allows any key there (an object
 * schema without any shape keyword, or additionalProperties true/{}). Combinator members (allOf/anyOf/oneOf) only
 * contribute what they declare; an `if`/`then` member does not open the object.
 */
function schemaChildren(nodes: Any[], key: string, root: Any): Any[] | "open" {
  const out: Any[] = [];
  const stack: Array<{ n: Any; top: boolean }> = nodes.map((n) => ({ n: deref(n, root), top: true }));
  while (stack.length) {
    const { n, top } = stack.pop()!;
    if (n === true && top) return "open";
    if (!isMap(n)) continue;
    for (const comb of ["allOf", "anyOf", "oneOf"]) for (const s of (n[comb] as Any[]) ?? []) stack.push({ n: deref(s, root), top: false });
    const props = n.properties as Record<string, Any> | undefined;
    if (props && key in props) out.push(deref(props[key], root));
    for (const [re, s] of Object.entries((n.patternProperties ?? {}) as Record<string, Any>)) if (new RegExp(re, "u").test(key)) out.push(deref(s, root));
    const ap = n.additionalProperties;
    if (ap === true || (isMap(ap) && !Object.keys(ap).length)) return "open";
    if (isMap(ap)) out.push(deref(ap, root));
    const objectish = n.type === undefined || n.type === "object" || (Array.isArray(n.type) && n.type.includes("object"));
    if (top && objectish && !SHAPE_KEYWORDS.some((k) => k in n)) return "open";
  }
  return out;
}

function walk(ours: Record<string, unknown>, chart: unknown, schemaNodes: Any[] | undefined, root: Any, path: string, out: string[]): void {
  for (const [key, value] of Object.entries(ours)) {
    const p = join(path, key);
    const inChart = isMap(chart) && key in chart;
    const chartValue = inChart ? (chart as Record<string, unknown>)[key] : undefined;
    if (inChart && openDefault(key, chartValue)) continue;
    const sc = schemaNodes ? schemaChildren(schemaNodes, key, root) : [];
    if (sc === "open") continue;
    if (!inChart && !sc.length) {
      out.push(p);
      continue;
    }
    if (isMap(value) && (isMap(chartValue) || sc.length)) walk(value, chartValue, schemaNodes ? sc : undefined, root, p, out);
  }
}

function ajvFor(schema: Any): Ajv {
  const draft = String(schema.$schema ?? "");
  // optimize: false skips Ajv's pass that tidies the generated code: the same checks, compiled in about half the time.
  const options = { strict: false, allErrors: true, validateSchema: false, code: { optimize: false } };
  const ajv = draft.includes("2020-12") ? new Ajv2020(options) : draft.includes("2019-09") ? new Ajv2019(options) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, k) => join(acc, k), "");
  if (e.keyword === "additionalProperties") return `${join(at, (e.params as { additionalProperty: string }).additionalProperty)}: not allowed by values.schema.json`;
  if (e.keyword === "enum") return `${at || "(root)"}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")} (values.schema.json)`;
  return `${at || "(root)"}: ${e.message} (values.schema.json)`;
}

const schemaCache = new Map<string, { schema: Any; validate: ReturnType<Ajv["compile"]> }>();
const valuesCache = new Map<string, unknown>();

/**
 * Paths in our Helm values that the chart does not know, so a typo or a key from another chart version fails a test
 * instead of being silently ignored by Helm. A path is known when the chart's values.yaml has it, or it sits below
 * an open default there (null, `{}`, any list, or a conventionally free-form key such as `podAnnotations`,
 * `resources`, `nodeSelector`, `tolerations`, `extraEnv`), or, when a values.schema.json is given, the schema
 * describes it. With a schema, our values merged over the chart defaults are also validated against it (as Helm
 * does at install) and its errors are returned as `<path>: <message> (values.schema.json)`.
 *
 * Paths are reference paths of oracles (`karpenter/values.yaml`) or absolute files. List items are not descended into:
 * Helm replaces lists whole. Keys a chart only documents in comments count as unknown; name them in the test.
 */
export function unknownValuePaths(values: Record<string, unknown>, chartValuesYamlPath: string, schemaPath?: string): string[] {
  if (!valuesCache.has(chartValuesYamlPath)) valuesCache.set(chartValuesYamlPath, chartData(chartValuesYamlPath, (t) => parse(t) ?? {}));
  const chart = valuesCache.get(chartValuesYamlPath);
  const out: string[] = [];
  let compiled: { schema: Any; validate: ReturnType<Ajv["compile"]> } | undefined;
  if (schemaPath) {
    compiled = schemaCache.get(schemaPath);
    if (!compiled) {
      const schema = chartData(schemaPath, JSON.parse) as Any;
      compiled = { schema, validate: ajvFor(schema).compile(schema) };
      schemaCache.set(schemaPath, compiled);
    }
  }
  walk(values, chart, compiled ? [compiled.schema] : undefined, compiled?.schema, "", out);
  if (compiled) {
    const merged = mergeValues(isMap(chart) ? chart : {}, values);
    if (!compiled.validate(merged)) out.push(...(compiled.validate.errors ?? []).map(describe));
  }
  return [...new Set(out)];
}
