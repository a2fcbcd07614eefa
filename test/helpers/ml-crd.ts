import Ajv, { type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Kubernetes structural-schema annotations ajv must accept (CEL rules are not evaluated). */
const KUBERNETES_KEYWORDS = [
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
];

/** Closes object schemas that declare properties, as the API server's pruning (and strict field validation) does. */
function structural(schema: Any): Any {
  if (Array.isArray(schema)) return schema.map(structural);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === "enum" || k === "default" || k === "example" || k === "x-kubernetes-validations" ? v : structural(v);
  if (out.properties && out.additionalProperties === undefined && out["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  // int-or-string fields carry no type; keep ajv from rejecting either form.
  if (out["x-kubernetes-int-or-string"] === true && out.type === undefined && !out.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  return out;
}

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
    for (const k of KUBERNETES_KEYWORDS) ajv.addKeyword(k);
  }
  return ajv;
}

const cache = new Map<string, Map<string, ValidateFunction>>();

/** Validators for every served version of every CRD in a YAML file, keyed `group/version/Kind`. */
function validatorsOf(file: string): Map<string, ValidateFunction> {
  let m = cache.get(file);
  if (m) return m;
  m = new Map();
  for (const d of parseAllDocuments(readFileSync(file, "utf8"))) {
    const crd = d.toJS({ maxAliasCount: -1 }) as Any;
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const v of crd.spec.versions ?? []) {
      if (v.served === false) continue;
      m.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, getAjv().compile(structural(v.schema?.openAPIV3Schema ?? {})));
    }
  }
  cache.set(file, m);
  return m;
}

/**
 * Problems of a custom resource against its CRD among `files` (empty when valid): schema violations with their JSON
 * path, unknown fields, or no served CRD for its apiVersion/kind.
 */
export function crdProblems(obj: Record<string, Any>, files: readonly string[]): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  for (const f of files) {
    const v = validatorsOf(f).get(key);
    if (!v) continue;
    if (v(structuredClone(obj))) return [];
    return (v.errors ?? []).map((e) => `${obj.kind}/${obj.metadata?.name}${e.instancePath}: ${e.message}${e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ""}`);
  }
  return [`no served CRD for ${key} in ${files.join(", ")}`];
}
