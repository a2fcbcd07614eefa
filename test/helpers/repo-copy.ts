import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The repository this test code belongs to. */
export const REPO = resolve(__dirname, "../..");

export interface JestJson {
  success: boolean;
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string }> }>;
}

/** The environment of a CI run on a clone: CI=true, no reference directory, not inside this jest. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true" };
  delete env.ML_PLATFORM_REFERENCE_DIR;
  delete env.JEST_WORKER_ID;
  return env;
}

/** Runs the unit suite's jest (jest.config.js, never the verify config) in `cwd`, optionally on some files only. */
export function runJest(cwd: string, out: string, only: string[] = []): { status: number | null; output: string; json?: JestJson } {
  const r = spawnSync("npx", ["jest", "-c", "jest.config.js", "--ci", "--json", `--outputFile=${out}`, ...only], { cwd, env: cleanEnv(), encoding: "utf8", timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: r.stdout + r.stderr, json: existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as JestJson) : undefined };
}

/** Why a jest run is not "every unit test file ran and every test passed": empty when it is. */
export function unitRunProblems(run: ReturnType<typeof runJest>, unitFiles: readonly string[]): string[] {
  const r = run.json;
  if (!r) return [`jest wrote no results (exit ${run.status}): ${run.output.slice(-2000)}`];
  const rel = (name: string) => name.slice(name.indexOf("/test/") + 1);
  const problems = r.testResults.flatMap((s) => s.assertionResults.filter((a) => a.status !== "passed").map((a) => `${a.status}: ${rel(s.name)} ${a.fullName}`));
  if (!r.success || run.status !== 0) problems.push(`jest failed (exit ${run.status})`);
  for (const [what, n] of [["failed suites", r.numFailedTestSuites], ["suites with runtime errors", r.numRuntimeErrorTestSuites], ["failed tests", r.numFailedTests], ["pending tests", r.numPendingTests], ["todo tests", r.numTodoTests]] as const) {
    if (n) problems.push(`${what}: ${n}`);
  }
  const ran = new Set(r.testResults.map((s) => rel(s.name)));
  const missing = unitFiles.filter((f) => !ran.has(f)).sort();
  if (missing.length) problems.push(`test files that did not run: ${missing.join(", ")}`);
  const extra = [...ran].filter((f) => !unitFiles.includes(f)).sort();
  if (extra.length) problems.push(`unexpected test files ran: ${extra.join(", ")}`);
  return problems;
}

/**
 * Copies the repository's files (tracked, and new ones git does not ignore, as they are in the working tree now) into
 * `dest` with node_modules symlinked: a clone with nothing beside it. Returns the copied paths.
 */
export function copyRepository(dest: string): string[] {
  const ls = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8" });
  if (ls.status !== 0) throw new Error(`git ls-files: ${ls.stderr}`);
  // A tracked file deleted in the working tree is not part of the next commit either.
  const files = [...new Set(ls.stdout.split("\0").filter(Boolean))].filter((f) => f !== "node_modules" && existsSync(join(REPO, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(REPO, f), join(dest, f));
  }
  symlinkSync(realpathSync(join(REPO, "node_modules")), join(dest, "node_modules"), "dir");
  return files;
}
