// `npm run review -- --base <git-ref> [--json]`: synthesizes the base ref (in a temporary git worktree) and the
// working tree offline, and prints what the change does to every stack of every environment (Markdown for a PR
// comment, or JSON). Exits 0 whenever the review worked, whatever the diff; 1 when a side does not synthesize.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { diffOutdirs, reviewMarkdown, type CostChange, type Review } from "./lib/plan-diff";

class ReviewError extends Error {}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new ReviewError(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${(r.stderr || r.stdout || String(r.error ?? "")).trim()}`);
  return r.stdout;
}

/** Builds and synthesizes a checkout into `<dir>/.review-out`; returns the output dir. */
function synthesize(checkout: string, label: string): { outdir: string; dist: string } {
  if (!existsSync(join(checkout, "scripts/build.mjs"))) throw new ReviewError(`${label} does not synthesize: it has no scripts/build.mjs`);
  const outdir = join(checkout, ".review-out");
  rmSync(outdir, { recursive: true, force: true });
  try {
    run(process.execPath, ["scripts/build.mjs"], checkout);
    run(process.execPath, ["dist/main.js"], checkout, { CDKTF_OUTDIR: outdir });
  } catch (e) {
    if (e instanceof ReviewError) throw new ReviewError(`${label} does not synthesize:\n${e.message}`);
    throw e;
  }
  return { outdir, dist: join(checkout, "dist") };
}

/** Worst-case ceilings per environment from a built checkout, when it has the cost model. */
function ceilings(dist: string): Map<string, number> {
  const out = new Map<string, number>();
  const costJs = join(dist, "environments/lib/cost.js");
  if (!existsSync(costJs)) return out;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { costCeiling } = require(costJs);
  const { loadEnvironments } = require(join(dist, "environments/lib/load.js"));
  /* eslint-enable @typescript-eslint/no-require-imports */
  for (const env of loadEnvironments(join(dist, "environments"))) out.set(env.name, costCeiling(env).usdPer30Days);
  return out;
}

function main(argv: string[]): number {
  const baseFlag = argv.indexOf("--base");
  const base = baseFlag >= 0 ? argv[baseFlag + 1] : undefined;
  if (!base) {
    console.error("usage: npm run review -- --base <git-ref> [--json]");
    return 2;
  }
  const root = run("git", ["rev-parse", "--show-toplevel"], process.cwd()).trim();
  const sha = run("git", ["rev-parse", "--verify", `${base}^{commit}`], root).trim();
  const scratch = join(root, ".review");
  const baseDir = join(scratch, `base-${sha.slice(0, 12)}`);
  mkdirSync(scratch, { recursive: true });
  try {
    rmSync(baseDir, { recursive: true, force: true });
    run("git", ["worktree", "prune"], root);
    run("git", ["worktree", "add", "--detach", "--force", baseDir, sha], root);
    // Reuse the installed dependencies when the lockfile did not change; otherwise install the base's own.
    const lock = (dir: string) => (existsSync(join(dir, "package-lock.json")) ? readFileSync(join(dir, "package-lock.json"), "utf8") : "");
    if (lock(baseDir) === lock(root) && existsSync(join(root, "node_modules"))) symlinkSync(join(root, "node_modules"), join(baseDir, "node_modules"), "dir");
    else run("npm", ["ci", "--no-audit", "--no-fund"], baseDir);

    const before = synthesize(baseDir, `base ${base} (${sha.slice(0, 12)})`);
    const after = synthesize(root, "the working tree");
    const costBefore = ceilings(before.dist);
    const costAfter = ceilings(after.dist);
    const cost: CostChange[] = [...new Set([...costBefore.keys(), ...costAfter.keys()])]
      .sort()
      .map((environment) => ({ environment, fromPer30Days: costBefore.get(environment) ?? null, toPer30Days: costAfter.get(environment) ?? null }));
    const review: Review = { base: `${base} (${sha.slice(0, 12)})`, stacks: diffOutdirs(before.outdir, after.outdir), cost };
    process.stdout.write(argv.includes("--json") ? `${JSON.stringify(review, null, 2)}\n` : `${reviewMarkdown(review)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ReviewError) {
      console.error(`review failed: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", baseDir], { cwd: root });
    rmSync(baseDir, { recursive: true, force: true });
    rmSync(join(root, ".review-out"), { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
