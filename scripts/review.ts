// `npm run -s review -- --base <git-ref> [outputs] [--plan-json <stack>=<file>]... [--tests <outcome>]`
// Synthesizes the base ref (in a temporary git worktree) and the working tree offline, and reports what the change
// does to every stack of every environment. Outputs (each `<file>` may be `-` for stdout; one stdout at most):
//   --markdown <file>   the pull-request comment, always within GitHub's size limit (default: to stdout)
//   --full <file>       the full report (Markdown), for an artifact
//   --json [<file>]     the machine-readable review (schema: scripts/lib/review/review.schema.json); stdout if no file
// Exits 0 whenever the review worked (whatever it found, budget breaches included), 1 when a side does not
// synthesize or an input is unreadable, 2 on a usage error. Output is written synchronously, never cut short.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildReview, fullReport, readOutdir, reviewComment, type CostChange, type Review } from "./lib/plan-diff";
import { ledgerChanges, teamCostChanges, type TeamCostsSide } from "./lib/review/teams";

class ReviewError extends Error {}
class UsageError extends Error {}

const USAGE = "usage: npm run -s review -- --base <git-ref> [--markdown <file>] [--full <file>] [--json [<file>]] [--plan-json <stack>=<file>]... [--tests success|failure|cancelled|skipped] [--full-report-url <url>]";

/** Parsed command line. */
interface Options {
  readonly base: string;
  readonly markdown?: string;
  readonly full?: string;
  readonly json?: string;
  readonly plans: Map<string, string>;
  readonly tests?: Review["tests"];
  readonly fullReportUrl?: string;
}

/** Parses the arguments; throws UsageError with the reason. */
export function parseArgs(argv: string[]): Options {
  const plans = new Map<string, string>();
  const o: { base?: string; markdown?: string; full?: string; json?: string; tests?: Review["tests"]; fullReportUrl?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || (v.startsWith("--") && v !== "-")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--base") o.base = value();
    else if (flag === "--markdown") o.markdown = value();
    else if (flag === "--full") o.full = value();
    else if (flag === "--json") o.json = argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[++i] : "-";
    else if (flag === "--full-report-url") o.fullReportUrl = value();
    else if (flag === "--tests") {
      const v = value();
      if (!["success", "failure", "cancelled", "skipped"].includes(v)) throw new UsageError(`--tests: got "${v}"; use success, failure, cancelled or skipped (a step's outcome)`);
      o.tests = v as Review["tests"];
    } else if (flag === "--plan-json") {
      const v = value();
      const eq = v.indexOf("=");
      if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--plan-json: got "${v}"; use <stack>=<file of terraform show -json>`);
      plans.set(v.slice(0, eq), v.slice(eq + 1));
    } else throw new UsageError(`unknown argument ${flag}`);
  }
  if (!o.base) throw new UsageError("--base is required");
  if (o.markdown === undefined && o.full === undefined && o.json === undefined) o.markdown = "-";
  const toStdout = [o.markdown, o.full, o.json].filter((x) => x === "-").length;
  if (toStdout > 1) throw new UsageError("only one output can go to stdout; give the others a file");
  return { ...o, base: o.base, plans };
}

/** Writes all of `text` to stdout synchronously, waiting out a full non-blocking pipe; stops quietly on EPIPE. */
function writeStdout(text: string): void {
  const buf = Buffer.from(text);
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") Atomics.wait(wait, 0, 0, 5);
      else if (code === "EPIPE") return;
      else throw e;
    }
  }
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new ReviewError(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${(r.stderr || r.stdout || String(r.error ?? "")).trim()}`);
  return r.stdout;
}

// Synthesizes without main.ts's budget gate, so a production budget breach is reported as a banner instead of
// failing the review; validation errors still fail (printed as main.ts prints them).
const SYNTH = `
const { join } = require("node:path");
const { loadEnvironments, EnvironmentError } = require(join(process.cwd(), "dist/environments/lib/load.js"));
const { buildApp } = require(join(process.cwd(), "dist/stacks/app.js"));
try { buildApp(loadEnvironments(join(process.cwd(), "dist/environments")), process.env.CDKTF_OUTDIR).synth(); }
catch (e) { if (e instanceof EnvironmentError) { console.error(e.message); process.exit(1); } throw e; }
`;

/** Builds and synthesizes a checkout into `<dir>/.review-out`; returns the output dir and dist. */
function synthesize(checkout: string, label: string): { outdir: string; dist: string } {
  if (!existsSync(join(checkout, "scripts/build.mjs"))) throw new ReviewError(`${label} does not synthesize: it has no scripts/build.mjs`);
  const outdir = join(checkout, ".review-out");
  rmSync(outdir, { recursive: true, force: true });
  try {
    run(process.execPath, ["scripts/build.mjs"], checkout);
    // Checkouts older than stacks/app.ts's buildApp synthesize through their own entry point.
    if (existsSync(join(checkout, "dist/stacks/app.js"))) run(process.execPath, ["-e", SYNTH], checkout, { CDKTF_OUTDIR: outdir });
    else run(process.execPath, ["dist/main.js"], checkout, { CDKTF_OUTDIR: outdir });
  } catch (e) {
    if (e instanceof ReviewError) throw new ReviewError(`${label} does not synthesize:\n${e.message}`);
    throw e;
  }
  return { outdir, dist: join(checkout, "dist") };
}

/** Worst-case ceilings, budgets and tiers per environment from a built checkout, when it has the cost model. */
type Ceiling = { usd: number | null; budget?: number; tier?: string; serving?: Map<string, number>; teams?: TeamCostsSide };

function ceilings(dist: string): Map<string, Ceiling> {
  const out = new Map<string, Ceiling>();
  const costJs = join(dist, "environments/lib/cost.js");
  if (!existsSync(costJs)) return out;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { costCeiling, HOURS_PER_30_DAYS } = require(costJs);
  const { loadEnvironments } = require(join(dist, "environments/lib/load.js"));
  // Checkouts from before the teams' cost model have none; the ledger came later than it (each side uses its own).
  const teamCostJs = join(dist, "environments/lib/team-cost.js");
  const teamCosts: ((env: unknown) => TeamCostsSide) | undefined = existsSync(teamCostJs) ? require(teamCostJs).teamCosts : undefined;
  /* eslint-enable @typescript-eslint/no-require-imports */
  for (const env of loadEnvironments(join(dist, "environments"))) {
    let usd: number | null = null;
    let serving: Map<string, number> | undefined;
    try {
      const c = costCeiling(env);
      usd = c.usdPer30Days;
      // Checkouts from before the serving breakdown have none.
      if (c.breakdown) serving = new Map((c.breakdown as Array<{ key: string; usdPerHour: number }>).map((i) => [i.key, Math.round(i.usdPerHour * HOURS_PER_30_DAYS * 100) / 100]));
    } catch {
      // An environment the cost model cannot price (for example an RDS class without a price) shows as n/a.
    }
    let teams: TeamCostsSide | undefined;
    try {
      teams = teamCosts?.(env);
    } catch (e) {
      // A flavor without a price: the teams' cost shows as n/a. Anything else is a bug to see, not a missing number.
      if (!(e instanceof Error && /has a price|no On-Demand price/.test(e.message))) throw e;
    }
    out.set(env.name, { usd, budget: env.budget?.monthlyUsd, tier: env.tier, serving, teams });
  }
  return out;
}

function costChanges(before: ReturnType<typeof ceilings>, after: ReturnType<typeof ceilings>): CostChange[] {
  return [...new Set([...before.keys(), ...after.keys()])].sort().map((environment) => {
    const a = after.get(environment);
    const [sb, sa] = [before.get(environment)?.serving ?? new Map<string, number>(), a?.serving ?? new Map<string, number>()];
    const serving = [...new Set([...sb.keys(), ...sa.keys()])]
      .sort()
      .filter((k) => sb.get(k) !== sa.get(k))
      .map((key) => ({ key, fromPer30Days: sb.get(key) ?? null, toPer30Days: sa.get(key) ?? null }));
    const teams = teamCostChanges(before.get(environment)?.teams, a?.teams);
    const gpuPools = ledgerChanges(before.get(environment)?.teams, a?.teams);
    return {
      environment,
      fromPer30Days: before.get(environment)?.usd ?? null,
      toPer30Days: a?.usd ?? null,
      ...(a?.budget !== undefined ? { budgetPer30Days: a.budget } : {}),
      ...(a?.tier ? { tier: a.tier } : {}),
      ...(serving.length ? { serving } : {}),
      ...(teams.length ? { teams } : {}),
      ...(gpuPools.length ? { gpuPools } : {}),
    };
  });
}

function main(argv: string[]): number {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`review: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const root = run("git", ["rev-parse", "--show-toplevel"], process.cwd()).trim();
  let sha: string;
  try {
    sha = run("git", ["rev-parse", "--verify", `${options.base}^{commit}`], root).trim();
  } catch (e) {
    process.stderr.write(`review failed: base ref ${options.base} does not exist here (${(e as Error).message.split("\n").pop()})\n`);
    return 1;
  }
  const plans = new Map<string, { file: string; text: string }>();
  for (const [stack, file] of options.plans) {
    if (!existsSync(resolve(file))) {
      process.stderr.write(`review failed: --plan-json ${stack}=${file}: no such file\n`);
      return 1;
    }
    plans.set(stack, { file, text: readFileSync(resolve(file), "utf8") });
  }
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

    const before = synthesize(baseDir, `base ${options.base} (${sha.slice(0, 12)})`);
    const after = synthesize(root, "the working tree");
    const review = buildReview({
      base: { ref: options.base, commit: sha },
      baseStacks: readOutdir(before.outdir),
      headStacks: readOutdir(after.outdir),
      cost: costChanges(ceilings(before.dist), ceilings(after.dist)),
      tests: options.tests,
      plans,
    });
    const outputs: [string | undefined, () => string][] = [
      [options.json, () => `${JSON.stringify(review, null, 2)}\n`],
      [options.full, () => `${fullReport(review)}\n`],
      [options.markdown, () => `${reviewComment(review, { fullReportUrl: options.fullReportUrl })}\n`],
    ];
    for (const [target, text] of outputs) {
      if (target === undefined) continue;
      if (target === "-") writeStdout(text());
      else writeFileSync(resolve(target), text());
    }
    return 0;
  } catch (e) {
    if (e instanceof ReviewError || (e instanceof Error && /^--plan-json|: not JSON|: no format_version/.test(e.message))) {
      process.stderr.write(`review failed: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", baseDir], { cwd: root });
    rmSync(baseDir, { recursive: true, force: true });
    rmSync(join(root, ".review-out"), { recursive: true, force: true });
  }
}

// exitCode, not process.exit(): exiting at once would drop whatever stdout has not flushed yet.
if (require.main === module) process.exitCode = main(process.argv.slice(2));
