import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { oracle, oracleIndex, type CrdOracle } from "./oracles";

/**
 * Validation of Kubernetes custom resources against the upstream CRDs (their oracles in test/oracles), with ajv.
 *
 * What it checks: the OpenAPI v3 schema of the served version (types, enums, patterns, required fields, min/max,
 * formats) after applying the schema's defaults, unknown fields (the API server prunes or, with strict field validation, rejects fields a structural
 * schema does not declare, so objects that declare `properties` are closed unless marked
 * `x-kubernetes-preserve-unknown-fields`), apiVersion/kind, and a valid metadata.name.
 *
 * What it cannot check: `x-kubernetes-validations` are CEL rules evaluated by the API server (for example Karpenter's
 * "schedule and duration must be set together" or immutable fields); ajv has no CEL engine, so those keywords are
 * accepted and ignored, like the other `x-kubernetes-*` annotations. Defaults are not applied.
 */

/**
 * Reference directories whose CRDs the validator and the manifest audit use (oracles are named by reference path):
 * every CRD the project carries an oracle of.
 */
export const CRD_DIRECTORIES = [
  "argo-cd/crds",
  "argo-rollouts/crds",
  "eks-node-monitoring-agent/crds",
  "external-secrets/crds",
  "feast/feast-operator/crds",
  "karpenter-alpha/crds",
  "karpenter/crds",
  "keda/crds",
  "kube-prometheus-stack/crds",
  "kubeflow-trainer/crds",
  "kuberay/crds",
  "kueue/crds",
  "lws/crds",
  "nvidia-gpu-operator/crds",
] as const;

/**
 * Custom resource kinds the stacks render whose CRD is not in the reference data, each with the reason it is not
 * validated. Any other rendered custom resource without a CRD fails the manifest audit.
 */
export const UNVALIDATED_KINDS: Readonly<Record<string, string>> = {
  "argoproj.io/AppProject": "Argo CD's AppProject CRD is not in the reference data (only Application is); its fields are few and tested by the Kubeflow Pipelines tests",
  "generators.external-secrets.io/Password": "External Secrets' generator CRDs are not in the reference data; the Password spec is tested by the Kubeflow Pipelines tests",
};

/** Annotation keywords of Kubernetes structural schemas; registered as no-ops so ajv accepts them. */
const KUBERNETES_KEYWORDS = [
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
] as const;

/** Where a CRD is and what it defines (from the oracle index, so big CRDs are parsed only when used). */
export interface CrdIndexEntry {
  readonly group: string;
  readonly kind: string;
  /** Reference path of the CRD file (the oracle's name). */
  readonly file: string;
}

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema?: Record<string, unknown>;
}

/** A CustomResourceDefinition as the validator uses it. */
export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly scope: string;
  readonly versions: readonly CrdVersion[];
  readonly file: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let index: CrdIndexEntry[] | undefined;

/** Every CRD in the oracles of CRD_DIRECTORIES: group, kind and reference file, in directory then file order. */
export function crdIndex(): readonly CrdIndexEntry[] {
  if (index) return index;
  const entries = Object.entries(oracleIndex()).sort(([a], [b]) => (a < b ? -1 : 1));
  index = CRD_DIRECTORIES.flatMap((dir) =>
    entries.filter(([file, e]) => e.kind === "crd" && file.startsWith(`${dir}/`)).flatMap(([file, e]) => (e.crds ?? []).map((c) => ({ group: c.group, kind: c.kind, file }))),
  );
  return index;
}

const crdCache = new Map<string, Crd[]>();

/** Every CRD of an oracle, by the reference path of its CRD file (cached). */
export function loadCrds(relPath: string): readonly Crd[] {
  let crds = crdCache.get(relPath);
  if (!crds) {
    crds = oracle<CrdOracle[]>(relPath).map((c) => ({ group: c.group, kind: c.kind, scope: c.scope, file: relPath, versions: c.versions }));
    if (!crds.length) throw new Error(`${relPath} holds no CustomResourceDefinition`);
    crdCache.set(relPath, crds);
  }
  return crds;
}

/** Splits `group/version` (core objects have no group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The CRD for an apiVersion and kind, if an oracle has one (parses its file on first use). */
export function findCrd(apiVersion: string, kind: string): Crd | undefined {
  const { group } = splitApiVersion(apiVersion);
  const entry = crdIndex().find((e) => e.group === group && e.kind === kind);
  return entry && loadCrds(entry.file).find((c) => c.group === group && c.kind === kind);
}

/** Whether the CRD oracles define the object's group (so an unknown kind or version there is an error). */
export function isKnownCrdGroup(apiVersion: string): boolean {
  const { group } = splitApiVersion(apiVersion);
  return group !== "" && crdIndex().some((e) => e.group === group);
}

/**
 * A Go (RE2) pattern as an equivalent JavaScript one. CRD patterns are RE2; the only RE2-only syntax in the upstream
 * CRDs is a leading case-insensitive flag group (`^(?i)(abort|warn)?$` in PrometheusRule), which JavaScript does not
 * accept inline: letters after it become `[xX]` classes.
 */
export function re2Pattern(pattern: string): string {
  const at = pattern.indexOf("(?i)");
  if (at < 0) return pattern;
  let out = pattern.slice(0, at);
  let inClass = false;
  for (let i = at + 4; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      out += c + (pattern[i + 1] ?? "");
      i++;
    } else if (inClass || !/[a-zA-Z]/.test(c)) {
      if (c === "[") inClass = true;
      if (c === "]") inClass = false;
      out += c;
    } else {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    }
  }
  return out;
}

/**
 * Closes every object schema that declares properties, as the API server's pruning does, unless it preserves unknown
 * fields or already says what else is allowed.
 */
function structural(schema: Any): Any {
  if (Array.isArray(schema)) return schema.map(structural);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Any = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "pattern" && typeof v === "string") {
      out[k] = re2Pattern(v);
      continue;
    }
    out[k] = k === "enum" || k === "default" || k === "example" || k === "x-kubernetes-validations" ? v : structural(v);
  }
  if (out.properties && out.additionalProperties === undefined && out["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  if (!ajv) {
    // useDefaults: the API server applies schema defaults before validation (on a copy here, never the caller's object).
    // optimize: false skips Ajv's pass that tidies the generated code: the same checks, compiled in about half the time
    // (CRD schemas are large, and each test file compiles the ones it uses again).
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, useDefaults: true, code: { optimize: false } });
    addFormats(ajv);
    for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword(keyword);
  }
  return ajv;
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(crd: Crd, version: CrdVersion): ValidateFunction {
  const key = `${crd.group}/${version.name}/${crd.kind}`;
  let v = validators.get(key);
  if (!v) {
    v = getAjv().compile(structural(version.schema ?? {}));
    validators.set(key, v);
  }
  return v;
}

function valueAt(obj: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((o, part) => (o as Any)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], obj);
}

function describeError(obj: unknown, e: ErrorObject): string {
  const at = (e.instancePath || "/").replace(/~1/g, "/").replace(/~0/g, "~");
  const got = JSON.stringify(valueAt(obj, e.instancePath));
  switch (e.keyword) {
    case "additionalProperties":
      return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case "enum":
      return `${at}: got ${got}; must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    case "required":
      return `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    default:
      return `${at}: got ${got}; ${e.message}`;
  }
}

/** True for a string that is exactly one Terraform interpolation, resolved at apply time. */
export function isTerraformReference(value: unknown): boolean {
  return typeof value === "string" && /^\$\{[^}]+\}$/.test(value);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Validates a custom resource against its upstream CRD (oracle). Returns readable problems (empty when
 * valid): no CRD for the group/kind, a version that is not served, schema violations with their JSON path, and a
 * missing or malformed metadata.name. CEL rules (`x-kubernetes-validations`) are not evaluated (see file comment).
 */
export function validateCustomResource(obj: Record<string, unknown>): string[] {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  if (!apiVersion || !kind) return [`apiVersion and kind are required, got ${JSON.stringify(apiVersion)} and ${JSON.stringify(kind)}`];
  const crd = findCrd(apiVersion, kind);
  if (!crd) {
    const kinds = crdIndex().filter((e) => e.group === splitApiVersion(apiVersion).group).map((e) => e.kind);
    return [`no CRD for ${kind} in ${apiVersion} in the reference data${kinds.length ? ` (the group defines ${kinds.join(", ")})` : ""}`];
  }
  const { version } = splitApiVersion(apiVersion);
  const v = crd.versions.find((x) => x.name === version);
  if (!v || !v.served) {
    return [`${kind}: version ${version} is not served by the CRD (served: ${crd.versions.filter((x) => x.served).map((x) => x.name).join(", ")})`];
  }
  const problems: string[] = [];
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const name = meta?.name;
  if (typeof name !== "string" || name === "") problems.push("/metadata/name: missing");
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) problems.push(`/metadata/name: got ${JSON.stringify(name)}; must be a lowercase DNS subdomain (a-z, 0-9, '-', '.', at most 253 characters)`);
  const validate = validatorFor(crd, v);
  const defaulted = structuredClone(obj);
  if (!validate(defaulted)) {
    problems.push(
      ...(validate.errors ?? [])
        // A Terraform reference (`${...}`, e.g. a security group id from the foundation) is only known at apply
        // time; its shape cannot be checked here, so pattern/format rules are skipped for it (type still applies).
        .filter((e) => !(["pattern", "format"].includes(e.keyword) && isTerraformReference(valueAt(defaulted, e.instancePath))))
        .map((e) => describeError(defaulted, e)),
    );
  }
  return [...new Set(problems)];
}
