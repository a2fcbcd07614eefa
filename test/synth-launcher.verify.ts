import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
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
