import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, copyRepository, runJest, unitRunProblems } from "./helpers/repo-copy";

/**
 * Forking is one file: a team copies environments/staging.ts to environments/team-a.ts and changes, in that file
 * only, what the README's fork checklist says a copy must not share (here its VPC range, cost center and alert
 * channel). The copy synthesizes, the whole unit suite passes with it, and the workflows pick it up.
 */
describe("forking staging into team-a, end to end in a copy of the repository", () => {
  const root = mkdtempSync(join(tmpdir(), "mlp-fork-"));
  const clone = join(root, "repo");
  let files: string[] = [];
  const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: clone, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
  const staging = () => readFileSync(join(clone, "environments", "staging.ts"), "utf8");

  beforeAll(() => {
    files = copyRepository(clone);
    expect(node(["scripts/build.mjs"]).status).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("an unedited copy is rejected before anything is written: it would share staging's VPC range", () => {
    writeFileSync(join(clone, "dist", "environments", "team-a.js"), readFileSync(join(clone, "dist", "environments", "staging.js")));
    const synth = node(["dist/main.js"]);
    rmSync(join(clone, "dist", "environments", "team-a.js"));
    expect(synth.status).toBe(1);
    expect(synth.stderr).toContain('environment "team-a": network.vpcCidr: got "10.30.0.0/16"; overlaps environment "staging" (10.30.0.0/16) in account 111122223333 us-east-1');
    expect(existsSync(join(clone, "cdktf.out"))).toBe(false);
  });

  test("the copy with its own range, cost center and channel synthesizes its four stacks", () => {
    const copy = staging()
      .replace('vpcCidr: "10.30.0.0/16"', 'vpcCidr: "10.50.0.0/16"')
      .replace('CostCenter: "ml-stg-4200"', 'CostCenter: "ml-team-a-5100"')
      .replace('channel: "#ml-platform-staging-alerts"', 'channel: "#team-a-alerts"');
    expect(copy.match(/10\.50\.0\.0\/16|ml-team-a-5100|#team-a-alerts/g)).toHaveLength(3);
    writeFileSync(join(clone, "environments", "team-a.ts"), copy);
    expect(node(["scripts/build.mjs"]).status).toBe(0);
    const synth = node(["dist/main.js"]);
    expect([synth.status, synth.stderr]).toEqual([0, ""]);
    expect(readdirSync(join(clone, "cdktf.out", "stacks")).filter((s) => s.startsWith("team-a-")).sort()).toEqual(["team-a-bootstrap", "team-a-foundation", "team-a-ml", "team-a-platform", "team-a-teams"]);
  });

  test("the workflows pick it up (npm run ci), with its own roles and runner", () => {
    const ci = node(["dist/scripts/ci.js", "environments", "--only", "team-a"]);
    expect(ci.status).toBe(0);
    expect(JSON.parse(ci.stdout)).toEqual([
      expect.objectContaining({ name: "team-a", tier: "staging", requiresApproval: true, runnerProject: "mlp-team-a-runner", roles: expect.objectContaining({ apply: "arn:aws:iam::111122223333:role/mlp-team-a-ci-apply" }) }),
    ]);
  });

  test("the whole unit suite passes with the fork in place, nothing skipped", () => {
    const tsc = spawnSync("npx", ["tsc", "--noEmit", "-p", "."], { cwd: clone, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
    expect([tsc.status, tsc.stdout + tsc.stderr]).toEqual([0, ""]);
    const unitFiles = files.filter((f) => f.startsWith("test/") && f.endsWith(".test.ts"));
    expect(unitRunProblems(runJest(clone, join(root, "jest.json")), unitFiles)).toEqual([]);
  }, 600_000);
});
