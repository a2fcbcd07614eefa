import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { brokenStaging, environmentModule } from "./helpers/environments";
import { STACK_PARTS } from "../stacks/app";

const repo = resolve(__dirname, "..");

/** Runs node with the environment of `npm run synth` minus anything that could redirect cdktf's output. */
function node(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.CDKTF_OUTDIR;
  delete env.CDKTF_CONTEXT_JSON;
  return spawnSync(process.execPath, args, { cwd, env, encoding: "utf8", timeout: 30_000 });
}

/**
 * `npm run synth` runs `node dist/main.js` from the repo root; cdktf's App writes to `cdktf.out`
 * relative to the working directory (node_modules/cdktf/lib/app.js: outdir ?? CDKTF_OUTDIR ?? "cdktf.out").
 * The test builds a fresh dist/ into a temp dir (never the repo's dist/), runs it from temp working
 * directories, and uses the repo's node_modules through a symlink.
 */
describe("synth entry (node dist/main.js)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "mlp-entry-"));
  const dist = join(tmp, "dist");

  beforeAll(() => {
    symlinkSync(realpathSync(join(repo, "node_modules")), join(tmp, "node_modules"), "dir");
    const build = node([join(repo, "scripts", "build.mjs"), "--outdir", dist], repo);
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("synthesizes every environment into <cwd>/cdktf.out when all are valid (control)", () => {
    const cwd = join(tmp, "valid");
    mkdirSync(cwd);
    const run = node([join(dist, "main.js")], cwd);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const expected = ["dev", "prod", "staging"].flatMap((env) => STACK_PARTS.map((part) => `${env}-${part}`));
    expect(readdirSync(join(cwd, "cdktf.out", "stacks")).sort()).toEqual(expected.sort());
  });

  test("fails with exit code 1, prints every problem and writes nothing when one environment is invalid", () => {
    const broken = brokenStaging((e) => {
      e.account.id = "1234";
      e.network.vpcCIDR = "10.50.0.0/16";
    });
    writeFileSync(join(dist, "environments", "broken.js"), environmentModule(broken));
    const cwd = join(tmp, "invalid");
    mkdirSync(cwd);

    const run = node([join(dist, "main.js")], cwd);

    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "invalid environment configuration:",
        '  - environment "broken": account.id: got "1234"; must be a 12-digit AWS account id',
        '  - environment "broken": network.vpcCIDR: unknown field (got "10.50.0.0/16"); check its spelling against environments/lib/schema.ts',
        "",
      ].join("\n"),
    );
    expect(existsSync(join(cwd, "cdktf.out"))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
