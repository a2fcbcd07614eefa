import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const repo = resolve(__dirname, "..");

interface JestJson {
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
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true" };
  delete env.ML_PLATFORM_REFERENCE_DIR;
  delete env.JEST_WORKER_ID;
  return env;
}

/** Runs the unit suite's jest (jest.config.js, never the verify config) in `cwd`, optionally on some files only. */
function runJest(cwd: string, out: string, only: string[] = []): { status: number | null; output: string; json?: JestJson } {
  const r = spawnSync("npx", ["jest", "-c", "jest.config.js", "--ci", "--json", `--outputFile=${out}`, ...only], { cwd, env: cleanEnv(), encoding: "utf8", timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: r.stdout + r.stderr, json: existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as JestJson) : undefined };
}

/** Why a jest run is not "every unit test file ran and every test passed": empty when it is. */
function unitRunProblems(run: ReturnType<typeof runJest>, unitFiles: readonly string[]): string[] {
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
 * A clone with nothing beside it: the repository's files (tracked and new ones git does not ignore, as they are in
 * the working tree now) in a temp dir with no ../shared, node_modules symlinked. The unit suite (`npm test`: tsc,
 * then jest with jest.config.js, never this verify suite) must pass there with CI=true and no
 * ML_PLATFORM_REFERENCE_DIR, and skip nothing: every check reads the oracles committed in test/oracles.
 */
describe("a fresh clone runs the whole unit suite without the reference data", () => {
  const root = mkdtempSync(join(tmpdir(), "mlp-fresh-"));
  const clone = join(root, "repo");
  let files: string[] = [];

  beforeAll(() => {
    const ls = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" });
    if (ls.status !== 0) throw new Error(`git ls-files: ${ls.stderr}`);
    // A tracked file deleted in the working tree is not part of the next commit either.
    files = [...new Set(ls.stdout.split("\0").filter(Boolean))].filter((f) => f !== "node_modules" && existsSync(join(repo, f)));
    for (const f of files) {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      copyFileSync(join(repo, f), join(clone, f));
    }
    symlinkSync(realpathSync(join(repo, "node_modules")), join(clone, "node_modules"), "dir");
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("nothing beside the copy: no ../shared, no reference directory in the environment", () => {
    expect(existsSync(join(clone, "..", "shared"))).toBe(false);
    expect(cleanEnv().ML_PLATFORM_REFERENCE_DIR).toBeUndefined();
    expect(files).toEqual(expect.arrayContaining(["package.json", "test/oracles/index.json", "scripts/generate-oracles.mjs"]));
  });

  test("tsc passes and jest runs every unit test with none failed, skipped, pending or todo", () => {
    const tsc = spawnSync("npx", ["tsc", "--noEmit", "-p", "."], { cwd: clone, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
    expect([tsc.status, tsc.stdout + tsc.stderr]).toEqual([0, ""]);
    const unitFiles = files.filter((f) => f.startsWith("test/") && f.endsWith(".test.ts"));
    const run = runJest(clone, join(root, "jest.json"));
    expect(unitRunProblems(run, unitFiles)).toEqual([]);
    expect(run.json!.numTotalTests).toBeGreaterThan(700);
  }, 600_000);

  test("the judgement fails a run with a skipped test or a missing test file", () => {
    writeFileSync(join(clone, "test", "zz-skipped.test.ts"), 'test("runs", () => expect(1).toBe(1));\ntest.skip("is skipped", () => undefined);\n');
    const run = runJest(clone, join(root, "jest-skipped.json"), ["test/zz-skipped.test.ts"]);
    expect(unitRunProblems(run, ["test/zz-skipped.test.ts", "test/oracles.test.ts"])).toEqual([
      "pending: test/zz-skipped.test.ts is skipped",
      "pending tests: 1",
      "test files that did not run: test/oracles.test.ts",
    ]);
  });
});
