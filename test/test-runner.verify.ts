import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// `npm run verify`: `npm test` (scripts/test.mjs) runs tsc and jest side by side and fails when either fails. Runs in
// a copy of the repository, on one small test file (jest arguments pass through), so each run costs one tsc.

const repo = resolve(__dirname, "..");

describe("npm test fails when the type-check or a test fails", () => {
  const root = mkdtempSync(join(tmpdir(), "mlp-test-runner-"));
  beforeAll(() => {
    for (const entry of ["main.ts", "tsconfig.json", "package.json", "jest.config.js", "stacks", "constructs", "environments", "scripts", "charts", "test"]) {
      cpSync(join(repo, entry), join(root, entry), { recursive: true });
    }
    symlinkSync(realpathSync(join(repo, "node_modules")), join(root, "node_modules"), "dir");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const npmTest = () => {
    const run = spawnSync(process.execPath, ["scripts/test.mjs", "test/build-inputs.test.ts"], { cwd: root, encoding: "utf8", timeout: 180_000 });
    return { status: run.status, output: run.stdout + run.stderr };
  };

  test("a clean tree passes: jest's result, then tsc's", () => {
    const run = npmTest();
    expect(run.output).toContain("Tests:");
    expect(run.output).toContain("tsc --noEmit -p .: no type errors");
    expect(run.status).toBe(0);
  });

  test("a type error fails the run even though every test passes, and tsc's error is printed", () => {
    writeFileSync(join(root, "test", "zz-type-error.ts"), 'export const n: number = "not a number";\n');
    try {
      const run = npmTest();
      expect(run.output).toMatch(/test\/zz-type-error\.ts\(1,14\): error TS2322/);
      expect(run.output).toMatch(/Tests:\s+\d+ passed/);
      expect(run.status).not.toBe(0);
    } finally {
      unlinkSync(join(root, "test", "zz-type-error.ts"));
    }
  });

  test("a failing test fails the run although the type-check passes", () => {
    writeFileSync(join(root, "test", "build-inputs.test.ts"), 'test("fails", () => expect(1).toBe(2));\n');
    const run = npmTest();
    expect(run.output).toContain("tsc --noEmit -p .: no type errors");
    expect(run.output).toMatch(/Tests:\s+1 failed/);
    expect(run.status).not.toBe(0);
  });
});
