import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "..");

/**
 * `npm run synth` end to end (scripts/build.mjs, then node dist/main.js) on a copy of the repository with one bad
 * environment file added: each must exit 1 with a message naming the file, print no stack trace and write no
 * cdktf.out. The unit suite checks the loader's messages; this proves the build does not hide or crash on them.
 */
describe("npm run synth with a bad environment file", () => {
  const copies: string[] = [];
  afterAll(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A copy of the sources with `files` added to environments/, built and synthesized as `npm run synth` does. */
  function synthWith(files: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "mlp-bad-input-"));
    copies.push(dir);
    for (const d of ["main.ts", "stacks", "constructs", "environments", "scripts", "charts"]) cpSync(join(repo, d), join(dir, d), { recursive: true });
    symlinkSync(realpathSync(join(repo, "node_modules")), join(dir, "node_modules"), "dir");
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "environments", name), text);
    const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
    const build = run(["scripts/build.mjs"]);
    const synth = build.status === 0 ? run(["dist/main.js"]) : undefined;
    return { build, synth, wrote: existsSync(join(dir, "cdktf.out")) };
  }

  const staging = () => readFileSync(join(repo, "environments", "staging.ts"), "utf8").replace('vpcCidr: "10.30.0.0/16"', 'vpcCidr: "10.95.0.0/16"');

  test("fails a file with the wrong extension instead of ignoring it", () => {
    const r = synthWith({ "research.yaml": "tier: staging\n" });
    expect(r.synth?.status).toBe(1);
    expect(r.synth?.stderr).toBe(
      "invalid environment configuration:\n  - environments/research.yaml: not an environment file, so it would be ignored: environments are TypeScript modules named <name>.ts (rename it to research.ts, or move it out of environments/)\n",
    );
    expect(r.wrote).toBe(false);
  });

  test("fails a TypeScript syntax error in the build, naming the file and line, without a stack trace", () => {
    const r = synthWith({ "research.ts": staging().replace('tier: "staging",', 'tier: "staging",,') });
    expect(r.build.status).toBe(1);
    expect(r.build.stderr).toMatch(/environments\/research\.ts:5:18:/);
    expect(r.build.stderr).toMatch(/build failed: 1 error\(s\), first in environments\/research\.ts:5\n$/);
    expect(r.build.stderr).not.toMatch(/^\s+at /m);
    expect(r.wrote).toBe(false);
  });

  test("fails a file that throws when loaded, naming the environment and the error", () => {
    const r = synthWith({ "research.ts": 'import { defineEnvironment } from "./lib/load";\nconst base: any = undefined;\nexport default defineEnvironment(base.input);\n' });
    expect(r.synth?.status).toBe(1);
    expect(r.synth?.stderr).toMatch(/^invalid environment configuration:\n {2}- environment "research": research\.js line \d+: cannot be loaded: TypeError: Cannot read properties of undefined \(reading 'input'\); /);
    expect(r.synth?.stderr).not.toMatch(/^\s+at /m);
    expect(r.wrote).toBe(false);
  });

  test("fails a .js file beside the .ts file of the same environment (one would silently replace the other)", () => {
    const r = synthWith({ "staging.js": '"use strict";\nexports.default = {};\n' });
    expect(r.build.status).toBe(1);
    expect(r.build.stderr).toBe('build failed: environments/staging.js and environments/staging.ts both define environment "staging": keep one\n');
    expect(r.wrote).toBe(false);
  });

  test("fails a key written twice (esbuild only warns about it)", () => {
    const r = synthWith({ "research.ts": staging().replace('natGateways: "one-per-az",', 'natGateways: "one-per-az",\n    natGateways: "single",') });
    expect(r.build.stderr).toMatch(/Duplicate key "natGateways"/);
    expect(r.synth?.status).toBe(1);
    expect(r.synth?.stderr).toMatch(/environment "research": network\.natGateways: got "single"; written twice in one object \(research\.js\)/);
    expect(r.wrote).toBe(false);
  });
});
