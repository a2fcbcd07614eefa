import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SYNTH_PATCHES_VAR } from "../scripts/lib/synth-runtime";
import { diffDirs, filesUnder } from "./helpers/dir-diff";

// `npm run verify`: the cdktf runtime patches of scripts/lib/synth-runtime.ts only drop work. A full synthesis of
// every environment with them (the `npm run synth` path) writes the same bytes as cdktf unpatched.

const repo = resolve(__dirname, "..");

describe("cdktf runtime patches change nothing in cdktf.out", () => {
  const tmp = mkdtempSync(join(tmpdir(), "mlp-runtime-"));
  const dist = join(tmp, "dist");
  const node = (args: string[], env: Record<string, string> = {}) => {
    const base = { ...process.env };
    delete base[SYNTH_PATCHES_VAR];
    return spawnSync(process.execPath, args, { cwd: tmp, env: { ...base, ...env }, encoding: "utf8", timeout: 120_000 });
  };

  beforeAll(() => {
    symlinkSync(realpathSync(join(repo, "node_modules")), join(tmp, "node_modules"), "dir");
    const build = node([join(repo, "scripts", "build.mjs"), "--outdir", dist]);
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("every environment synthesizes to the same bytes with and without the patches", () => {
    const patched = node([join(dist, "main.js")], { CDKTF_OUTDIR: join(tmp, "patched") });
    const unpatched = node([join(dist, "main.js")], { CDKTF_OUTDIR: join(tmp, "unpatched"), [SYNTH_PATCHES_VAR]: "off" });
    expect([patched.status, patched.stderr, unpatched.status, unpatched.stderr]).toEqual([0, "", 0, ""]);
    expect(filesUnder(join(tmp, "patched"))).toEqual(expect.arrayContaining(["manifest.json", "stacks/prod-ml/cdk.tf.json"]));
    expect(diffDirs(join(tmp, "patched"), join(tmp, "unpatched"))).toEqual([]);
  });

  test("dist/main.js is one bundle with every patch in force: of node_modules only cdktf's zip helper loads separately", () => {
    const probe = `
      process.on("exit", () => console.log(JSON.stringify({
        runtime: globalThis[Symbol.for("ml-platform.synthRuntime")],
        modules: Object.keys(require.cache).filter((f) => f.includes("/node_modules/")),
      })));
      require(${JSON.stringify(join(dist, "main.js"))});`;
    const run = node(["-e", probe], { CDKTF_OUTDIR: join(tmp, "probe") });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    const { runtime, modules } = JSON.parse(run.stdout) as { runtime: object; modules: string[] };
    expect(runtime).toEqual({ tokenStackTracesDisabled: true, archiverDeferred: true, tokenResolutionSpedUp: true });
    // archiver/index.js: synth-runtime's stand-in in the require cache (the real module loads only if called).
    expect(modules.map((f) => f.replace(/.*\/node_modules\//, "")).sort()).toEqual(["archiver/index.js", "cdktf/lib/errors.js", "cdktf/lib/private/fs.js"]);
  });

  test("synthesizing again over that output (a deployed stack's .terraform inside) writes the same files, keeps .terraform", () => {
    const terraformDir = join(tmp, "patched", "stacks", "prod-ml", ".terraform");
    mkdirSync(terraformDir);
    writeFileSync(join(terraformDir, "environment"), "default");
    const again = node([join(dist, "main.js")], { CDKTF_OUTDIR: join(tmp, "patched") });
    expect([again.status, again.stderr]).toEqual([0, ""]);
    expect(readFileSync(join(terraformDir, "environment"), "utf8")).toBe("default");
    rmSync(terraformDir, { recursive: true });
    expect(diffDirs(join(tmp, "patched"), join(tmp, "unpatched"))).toEqual([]);
    expect(existsSync(join(tmp, "patched", "stacks", "prod-ml", "assets"))).toBe(true);
  });

  // Loads cdktf after the patches, reports whether archiver was loaded, then zips a directory as an ARCHIVE asset.
  const archiveProbe = (outdir: string) => `
    const { synthRuntime } = require(${JSON.stringify(join(dist, "scripts/lib/synth-runtime.js"))});
    const { App, TerraformStack, TerraformAsset, AssetType } = require("cdktf");
    const loaded = Object.keys(require.cache).some((p) => p.includes("/archiver-utils/"));
    const app = new App({ outdir: ${JSON.stringify(outdir)}, stackTraces: false });
    const stack = new TerraformStack(app, "s");
    const asset = new TerraformAsset(stack, "chart", { path: ${JSON.stringify(join(repo, "charts"))}, type: AssetType.ARCHIVE });
    app.synth();
    console.log(JSON.stringify({ synthRuntime, loaded, zip: ${JSON.stringify(outdir)} + "/stacks/s/" + asset.path }));`;

  test("archiver is not loaded with cdktf, and an ARCHIVE asset is still zipped (by cdktf's child process)", () => {
    const run = node(["-e", archiveProbe(join(tmp, "archive"))]);
    expect(run.stderr).toBe("");
    const result = JSON.parse(run.stdout) as { synthRuntime: object; loaded: boolean; zip: string };
    expect(result.synthRuntime).toEqual({ tokenStackTracesDisabled: true, archiverDeferred: true, tokenResolutionSpedUp: true });
    expect(result.loaded).toBe(false);
    expect(readFileSync(result.zip).subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004");
  });

  test(`failing case: with ${SYNTH_PATCHES_VAR}=off cdktf loads archiver as it does by default`, () => {
    const run = node(["-e", archiveProbe(join(tmp, "archive-off"))], { [SYNTH_PATCHES_VAR]: "off" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ synthRuntime: { tokenStackTracesDisabled: false, archiverDeferred: false, tokenResolutionSpedUp: false }, loaded: true }));
  });
});
