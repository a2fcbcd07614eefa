import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ts from "typescript";
import { splitApiVersion } from "./crd";

/**
 * Validation of built-in Kubernetes objects (v1, apps/v1, policy/v1, networking.k8s.io/v1, rbac, batch, storage, ...)
 * against the Kubernetes API schemas that the `kubernetes-models` package (5.1.0) is generated from.
 *
 * kubernetes-models ships, per kind, a model class whose `validate()` runs an ajv validator compiled from Kubernetes'
 * OpenAPI schema (types, required fields, enums, formats such as int-or-string and quantity), and TypeScript
 * declarations generated from the same schema. Its validators accept unknown fields (Kubernetes' OpenAPI does not
 * close objects), which the API server rejects under strict field validation or silently drops: a misspelled
 * field would pass. So unknown fields are found separately by walking each object against the declared TypeScript
 * type of its kind with the TypeScript checker: every key must be a declared property (or fall under an index
 * signature such as `labels`). The package is ESM only; its validators run in a node child process
 * (kubernetes-models-validate.mjs), the type walk runs here.
 */

const PACKAGE_DIR = resolve(__dirname, "../../node_modules/kubernetes-models");
const VALIDATE_SCRIPT = join(__dirname, "kubernetes-models-validate.mjs");

let groups: Set<string> | undefined;
/** API groups with models in kubernetes-models: the built-in groups ("" is the core group, `v1`). */
function builtInGroups(): Set<string> {
  groups ??= new Set(
    readdirSync(PACKAGE_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith("_"))
      .map((d) => (/^v\d/.test(d.name) ? "" : d.name)),
  );
  return groups;
}

/** Whether an apiVersion belongs to a built-in Kubernetes API group (as opposed to a custom resource's group). */
export function isBuiltInApiVersion(apiVersion: string): boolean {
  return builtInGroups().has(splitApiVersion(apiVersion).group);
}

/** The declaration file of a built-in kind in kubernetes-models, or undefined when the package has none. */
export function modelDeclaration(apiVersion: string, kind: string): string | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  if (!/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  const file = join(PACKAGE_DIR, group, version, `${kind}.d.ts`);
  return existsSync(file) ? file : undefined;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  // The package's subpath exports (`@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta`) need bundler resolution.
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  types: [],
  noEmit: true,
};

let program: ts.Program | undefined;
/** A program over the given declaration files; reuses what the previous one parsed. */
function programFor(files: readonly string[]): ts.Program {
  const roots = program?.getRootFileNames() ?? [];
  const missing = [...new Set(files)].filter((f) => !roots.includes(f));
  if (!program || missing.length) program = ts.createProgram([...roots, ...missing].sort(), COMPILER_OPTIONS, undefined, program);
  return program;
}

/** The declared type `I<Kind>` of a kind's declaration file. */
function kindType(checker: ts.TypeChecker, p: ts.Program, file: string, kind: string): ts.Type {
  const source = p.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === `I${kind}`);
  if (!symbol) throw new Error(`${file} does not export I${kind}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

function isObjectType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t);
}

function pointer(path: string, key: string): string {
  return `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

/**
 * Keys of `value` that its declared type does not have, as `<json pointer>: unknown field "<key>"`. Types are not
 * compared here (kubernetes-models' validators do that); where value and type disagree in shape the walk stops.
 */
function unknownFields(checker: ts.TypeChecker, value: unknown, declared: ts.Type, path: string): string[] {
  if (value === null || typeof value !== "object") return [];
  let type = checker.getNonNullableType(declared);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
  if (type.isUnion()) {
    const shaped = type.types.filter((t) => (Array.isArray(value) ? checker.isArrayType(t) : isObjectType(checker, t)));
    if (!shaped.length) return [];
    // No built-in kind has a union of object types; if one appears, the value must fit one of them.
    const results = shaped.map((t) => unknownFields(checker, value, t, path));
    return results.find((r) => r.length === 0) ?? results[0];
  }
  if (Array.isArray(value)) {
    if (!checker.isArrayType(type)) return [];
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    return value.flatMap((item, i) => unknownFields(checker, item, element, `${path}/${i}`));
  }
  if (!isObjectType(checker, type)) return [];
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  // A type that declares nothing (RawExtension, JSON) holds arbitrary content.
  if (!index && checker.getPropertiesOfType(type).length === 0) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const property = checker.getPropertyOfType(type, key);
    if (property) return unknownFields(checker, item, checker.getTypeOfSymbol(property), pointer(path, key));
    if (index) return unknownFields(checker, item, index.type, pointer(path, key));
    return [`${path || "/"}: unknown field "${key}"`];
  });
}

/** Runs kubernetes-models' validators on the objects in one node process; one list of problems per object. */
function modelValidation(objects: readonly Record<string, unknown>[]): string[][] {
  if (!objects.length) return [];
  const run = spawnSync(process.execPath, [VALIDATE_SCRIPT], { input: JSON.stringify(objects), encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  if (run.status !== 0) throw new Error(`${VALIDATE_SCRIPT} failed (${run.status ?? run.signal}): ${run.stderr}`);
  const results = JSON.parse(run.stdout) as string[][];
  if (results.length !== objects.length) throw new Error(`${VALIDATE_SCRIPT} returned ${results.length} results for ${objects.length} objects`);
  return results;
}

/**
 * Validates built-in Kubernetes objects: kubernetes-models' schema validation plus unknown fields. Returns one list
 * of readable problems per object (empty when valid); a kind the package does not model is a problem.
 */
export function validateBuiltInObjects(objects: readonly Record<string, unknown>[]): string[][] {
  const files = objects.map((o) => modelDeclaration(String(o.apiVersion), String(o.kind)));
  const present = files.filter((f): f is string => f !== undefined);
  const p = present.length ? programFor(present) : undefined;
  const checker = p?.getTypeChecker();
  const validated = modelValidation(objects);
  return objects.map((obj, i) => {
    const file = files[i];
    if (!file || !p || !checker) return [`kubernetes-models has no kind ${String(obj.kind)} in ${String(obj.apiVersion)}`];
    const unknown = unknownFields(checker, obj, kindType(checker, p, file, String(obj.kind)), "");
    return [...new Set([...validated[i], ...unknown])];
  });
}
