import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/** The repository root (this file lives in test/helpers/). */
const REPO_ROOT = resolve(__dirname, "../..");

/**
 * The read-only reference data (upstream CRDs, chart values, IAM policies): `ML_PLATFORM_REFERENCE_DIR` when set,
 * else `<repo>/../shared/reference`. It is never copied into the repository.
 */
export function referenceDir(): string {
  const fromEnv = process.env.ML_PLATFORM_REFERENCE_DIR;
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(REPO_ROOT, fromEnv);
  return resolve(REPO_ROOT, "..", "shared", "reference");
}

/** Absolute path of a file or directory in the reference data. */
export function referencePath(relPath: string): string {
  return join(referenceDir(), relPath);
}

/** Whether a reference file or directory is present. */
export function referenceAvailable(relPath: string): boolean {
  return existsSync(referencePath(relPath));
}

/** The relative paths among `relPaths` that are missing. */
export function missingReference(relPaths: readonly string[]): string[] {
  return relPaths.filter((p) => !referenceAvailable(p));
}

/** True on CI (`CI` set to anything but empty, "0" or "false"), where missing reference data is an error. */
export function onCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** What a block that needs reference data should do: run, skip locally, or fail on CI. */
export type ReferenceGate = { readonly mode: "run" } | { readonly mode: "skip" | "fail"; readonly message: string };

/** Decides how a block needing `relPaths` runs here (see describeWithReference). */
export function referenceGate(relPaths: readonly string[]): ReferenceGate {
  const missing = missingReference(relPaths);
  if (!missing.length) return { mode: "run" };
  const message = `reference data missing under ${referenceDir()}: ${missing.join(", ")} (set ML_PLATFORM_REFERENCE_DIR to the shared reference directory)`;
  return onCi() ? { mode: "fail", message: `${message}; CI requires it` } : { mode: "skip", message };
}

/**
 * `describe` that needs reference data. With every path present it is a plain describe. Locally, missing data skips
 * the block and says which files are missing and where they were looked for; on CI the block fails instead,
 * because a green CI run must not silently have skipped the checks against upstream data.
 */
export function describeWithReference(name: string, relPaths: readonly string[], fn: () => void): void {
  const gate = referenceGate(relPaths);
  if (gate.mode === "run") {
    describe(name, fn);
  } else if (gate.mode === "fail") {
    describe(name, () => {
      test("has its reference data", () => {
        throw new Error(gate.message);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${gate.message}`);
    // The body is not evaluated: collecting its tests may already read the missing files.
    describe.skip(name, () => test.skip(gate.message, () => undefined));
  }
}
