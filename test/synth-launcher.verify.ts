import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// `npm run verify`: `npm run synth` (node scripts/synth.mjs) in a copy of the repository builds dist/ on the first
// run, skips the build while nothing changed, and rebuilds after an edit, so the synthesized output follows the
// sources. Uses `node scripts/synth.mjs` directly: npm only adds its own start-up.

const repo = resolve(__dirname, "..");

describe("npm run synth builds dist/ only when its inputs changed", () => {
  const root = mkdtempSync(join(tmpdir(), "mlp-launcher-"));
  beforeAll(() => {
    for (const entry of ["main.ts", "tsconfig.json", "package.json", "cdktf.json", "stacks", "constructs", "environments", "scripts", "charts"]) {
      cpSync(join(repo, entry), join(root, entry), { recursive: true });
    }
    symlinkSync(realpathSync(join(repo, "node_modules")), join(root, "node_modules"), "dir");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const synth = () => {
    const env = { ...process.env };
    delete env.CDKTF_OUTDIR;
    const run = spawnSync(process.execPath, ["scripts/synth.mjs"], { cwd: root, env, encoding: "utf8", timeout: 120_000 });
    expect([run.status, run.stderr]).toEqual([0, ""]);
  };
  const builtAt = () => statSync(join(root, "dist", ".build-stamp")).mtimeMs;
  const costCenter = () => {
    const stack = JSON.parse(readFileSync(join(root, "cdktf.out", "stacks", "dev-foundation", "cdk.tf.json"), "utf8"));
    return stack.provider.aws[0].default_tags[0].tags.CostCenter as string;
  };

  test("a fresh clone: the first run builds dist/ and synthesizes", () => {
    synth();
    expect(builtAt()).toBeGreaterThan(0);
    expect(costCenter()).toMatch(/\S/);
  });

  test("nothing changed: the next run reuses dist/ (no build) and writes the same output", () => {
    // The first run left the V8 code cache this run compiles from (the hook itself: code-cache tests below).
    expect(existsSync(join(root, "dist", ".code-cache"))).toBe(true);
    const before = builtAt();
    const output = readFileSync(join(root, "cdktf.out", "stacks", "prod-ml", "cdk.tf.json"), "utf8");
    synth();
    expect(builtAt()).toBe(before);
    expect(readFileSync(join(root, "cdktf.out", "stacks", "prod-ml", "cdk.tf.json"), "utf8")).toBe(output);
  });

  test("an environment file edited: the next run rebuilds and the output has the edit (failing case of the skip)", () => {
    const before = builtAt();
    const file = join(root, "environments", "dev.ts");
    const old = costCenter();
    writeFileSync(file, readFileSync(file, "utf8").replace(JSON.stringify(old), JSON.stringify("cc-edited-4242")));
    synth();
    expect(builtAt()).not.toBe(before);
    expect(costCenter()).toBe("cc-edited-4242");
  });
});

// The hook of scripts/lib/code-cache.cjs in a plain node process: modules come from the cache on the second run, and
// a module edited to the same length is compiled again rather than run from its stale cached code.
describe("V8 code cache of npm run synth", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlp-code-cache-hook-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const probe = `
    const { installCodeCache } = require(${JSON.stringify(join(repo, "scripts", "lib", "code-cache.cjs"))});
    const hook = installCodeCache(${JSON.stringify(join(dir, "cache"))});
    const value = require(${JSON.stringify(join(dir, "module.js"))}).value;
    require("cdktf");
    process.on("exit", () => console.log(JSON.stringify({ value, ...hook.stats() })));`;
  const run = () => {
    const r = spawnSync(process.execPath, ["-e", probe], { cwd: repo, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as { value: number; fromCache: number; compiled: number };
  };

  test("the first run compiles and writes the cache; the second compiles nothing", () => {
    writeFileSync(join(dir, "module.js"), "exports.value = 1;\n");
    const first = run();
    expect(first).toEqual(expect.objectContaining({ value: 1, fromCache: 0 }));
    expect(first.compiled).toBeGreaterThan(300);
    expect(run()).toEqual({ value: 1, fromCache: first.compiled, compiled: 0 });
  });

  test("failing case: a module edited to the same length runs its new code (compiled again, one module)", () => {
    writeFileSync(join(dir, "module.js"), "exports.value = 2;\n");
    const edited = run();
    expect(edited).toEqual(expect.objectContaining({ value: 2, compiled: 1 }));
  });
});
