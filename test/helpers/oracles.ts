import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The project's copies of upstream data (CRD schemas, chart values and schemas, official IAM policies), generated
 * into test/oracles by `npm run generate:oracles` from the reference directory. Tests name an oracle by the path of
 * the reference file it comes from (`karpenter/values.yaml`), so they never read anything outside the repository.
 */

const REPO_ROOT = resolve(__dirname, "../..");
const INDEX_FILE = "test/oracles/index.json";

/** Index summary of one CRD of a CRD oracle. */
export interface CrdSummary {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: string;
  readonly versions: ReadonlyArray<{ readonly name: string; readonly served: boolean }>;
}

/** One entry of test/oracles/index.json. */
export interface OracleEntry {
  readonly kind: "crd" | "values" | "values-schema" | "iam" | "config" | "catalog";
  /** Repository path of the oracle file. */
  readonly file: string;
  /** For CRD oracles: the CRDs the file defines. */
  readonly crds?: readonly CrdSummary[];
}

/** One version of a CRD oracle: the schema is present for served versions (documentation stripped). */
export interface CrdOracleVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated?: boolean;
  readonly schema?: Record<string, unknown>;
}

/** One CustomResourceDefinition as a CRD oracle holds it. */
export interface CrdOracle {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: string;
  readonly versions: readonly CrdOracleVersion[];
}

let index: Record<string, OracleEntry> | undefined;

/** Every oracle, keyed by the reference path it was derived from. */
export function oracleIndex(): Readonly<Record<string, OracleEntry>> {
  index ??= (JSON.parse(readFileSync(join(REPO_ROOT, INDEX_FILE), "utf8")) as { oracles: Record<string, OracleEntry> }).oracles;
  return index;
}

const cache = new Map<string, unknown>();

/** Oracles are shared by every test in a process: freezing makes an accidental change throw instead of leaking. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The data of the oracle derived from a reference file (`mlflow/values.schema.json`), parsed on first use and
 * frozen (clone it to change it).
 */
export function oracle<T = unknown>(refPath: string): T {
  if (!cache.has(refPath)) {
    const entry = oracleIndex()[refPath];
    if (!entry) throw new Error(`no oracle for ${refPath} in ${INDEX_FILE}: run \`npm run generate:oracles\` with the reference data (ML_PLATFORM_REFERENCE_DIR)`);
    if (entry.kind === "catalog") throw new Error(`${refPath} is a catalog table: import ${entry.file} instead`);
    cache.set(refPath, deepFreeze((JSON.parse(readFileSync(join(REPO_ROOT, entry.file), "utf8")) as { data: unknown }).data));
  }
  return cache.get(refPath) as T;
}

/** Reference paths of the oracles below a reference directory (`karpenter/iam/controller-policies`), sorted. */
export function oracleFiles(refDir: string): string[] {
  const prefix = refDir.endsWith("/") ? refDir : `${refDir}/`;
  return Object.keys(oracleIndex())
    .filter((p) => p.startsWith(prefix))
    .sort();
}
