import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parseValuesDocument } from "./manifests";
import { oracle, type CrdOracle } from "./oracles";
import type { SynthesizedStack } from "./synth";
import { resources } from "./synth";

/**
 * Helpers of the GPU-compute tests: Karpenter CRD validators from the CRD oracles and chart-value key checks with
 * per-chart free-form keys.
 */

/**
 * Rejects fields a structural schema does not declare. The API server would silently prune them (a typo
 * like `taint:` would vanish), so the offline check treats them as errors instead.
 */
function closeObjects(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== "object") return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, closeObjects(pv)])) : closeObjects(v)]));
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}

/** A validator for one version of a CRD, by its reference path (ajv 8, x-kubernetes-* ignored, unknown fields rejected). */
export function crdValidator(relativePath: string, version: string): ValidateFunction {
  const [crd] = oracle<CrdOracle[]>(relativePath);
  const v = crd.versions.find((x) => x.name === version);
  if (!v?.schema) throw new Error(`${relativePath} has no served version ${version}`);
  // optimize: false skips Ajv's pass that tidies the generated code: the same checks, compiled in about half the time.
  const ajv = new Ajv({ strict: false, allErrors: true, code: { optimize: false } });
  addFormats(ajv);
  return ajv.compile(closeObjects(v.schema));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every helm_release of a stack, keyed by release name, with its values parsed. */
export function helmReleases(s: SynthesizedStack): Map<string, { config: Json; values: Json }> {
  const out = new Map<string, { config: Json; values: Json }>();
  for (const config of Object.values(resources(s, "helm_release"))) {
    out.set(config.name, { config, values: parseValuesDocument(config.values?.[0] ?? "{}") ?? {} });
  }
  return out;
}

/** The Kubernetes objects of a manifests-chart release, by `Kind/name`. */
export function releaseManifests(s: SynthesizedStack, releaseName: string): Map<string, Json> {
  const release = helmReleases(s).get(releaseName);
  if (!release) throw new Error(`${s.id} has no release ${releaseName}`);
  return new Map((release.values.manifests as Json[]).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
}

/**
 * Replaces Terraform interpolations with values of the shape they resolve to at apply time, so schema
 * patterns (sg-..., subnet-...) can be checked offline.
 */
export function withSampleTokenValues(value: Json): Json {
  if (typeof value === "string") {
    const m = /^\$\{(.*)\}$/.exec(value);
    if (!m) return value;
    if (/security_group/.test(m[1])) return "sg-0123456789abcdef0";
    if (/subnet/.test(m[1])) return "subnet-0123456789abcdef0";
    if (/aws_iam_role\..*\.name$/.test(m[1])) return "mlp-sample-karpenter-node";
    return "sample";
  }
  if (Array.isArray(value)) return value.map(withSampleTokenValues);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSampleTokenValues(v)]));
  return value;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Value keys set in `values` that the chart's values.yaml does not declare. Below a key whose default is an
 * empty map, a list, null or a scalar, anything goes (free-form maps like `resources`); `freeForm` lists
 * further paths whose default map is only an example (label maps like Karpenter's `nodeSelector`).
 */
export function unknownValueKeys(values: Json, reference: Json, freeForm: readonly string[] = [], path = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values ?? {})) {
    const p = path ? `${path}.${k}` : k;
    if (!isPlainObject(reference) || !(k in reference)) {
      out.push(p);
      continue;
    }
    const r = reference[k];
    if (freeForm.includes(p)) continue;
    if (isPlainObject(v) && isPlainObject(r) && Object.keys(r).length > 0) out.push(...unknownValueKeys(v, r, freeForm, p));
  }
  return out;
}
