import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/**
 * The read-only reference data: `ML_PLATFORM_REFERENCE_DIR` when set, else `<repo>/../shared/reference`.
 * (Local helper of the ML tests; the shared audit helpers offer the same and may replace it when merged.)
 */
export function mlReferenceDir(): string {
  const fromEnv = process.env.ML_PLATFORM_REFERENCE_DIR;
  const repo = resolve(__dirname, "../..");
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(repo, fromEnv);
  return resolve(repo, "..", "shared", "reference");
}

export function mlReferencePath(rel: string): string {
  const p = join(mlReferenceDir(), rel);
  if (!existsSync(p)) throw new Error(`reference file missing: ${p} (set ML_PLATFORM_REFERENCE_DIR to the shared reference directory)`);
  return p;
}
