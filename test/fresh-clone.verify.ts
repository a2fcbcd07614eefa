import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, copyRepository, runJest, unitRunProblems } from "./helpers/repo-copy";

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
    files = copyRepository(clone);
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
