// `npm run -s ci -- environments [--only <name>] [--tier <tier>] [--touched <review.json>] [--by-tier]`: what the
// workflows need to know about every environment, as JSON, read from environments/*.ts (the one source: no
// per-environment CI variables to keep by hand), development first. --touched keeps the environments whose
// synthesized stacks the review found changed; --by-tier prints GitHub step outputs, one list per tier.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvironmentError, loadEnvironments } from "../environments/lib/load";
import type { Environment } from "../environments/lib/schema";
import { platformImages, type PlatformImage } from "../stacks/foundation/delivery";
import { ciPlansKeyAlias, ciRoleArn, runnerProjectName, stackId, stateBucketName, type StackPart } from "../stacks/naming";

/** The deployment order of tiers: every development environment first, production last. */
export const TIER_ORDER = ["development", "staging", "production"] as const;

/** One environment as a workflow matrix entry. */
export interface CiEnvironment {
  readonly name: string;
  readonly tier: Environment["tier"];
  readonly account: string;
  readonly region: string;
  /** Tiers above development deploy only through a GitHub environment with required reviewers. */
  readonly requiresApproval: boolean;
  readonly stateBucket: string;
  readonly roles: { readonly pullRequest: string; readonly plan: string; readonly apply: string };
  /** KMS key alias saved plans are encrypted with between the plan and the apply job. */
  readonly plansKey: string;
  /** CodeBuild project of the in-VPC runner: jobs use `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`. */
  readonly runnerProject: string;
  /** Stacks that need only AWS APIs (any runner) and stacks that talk to the Kubernetes API (in-VPC runner only). */
  readonly cloudStacks: readonly string[];
  readonly clusterStacks: readonly string[];
  /** Images the platform builds, pushed to the environment's ECR after the cloud stacks (docs/delivery.md). */
  readonly images: readonly PlatformImage[];
  /** The branch deploys run from: the GitHub environment must allow only it. */
  readonly branch: string;
  /**
   * Stack parts in deploy stages, each planned and applied before the next is planned: a stage's plan may read
   * outputs only of earlier stages (a new output of the bootstrap stack exists only once it is applied).
   */
  readonly stages: { readonly bootstrap: readonly StackPart[]; readonly foundation: readonly StackPart[]; readonly cluster: readonly StackPart[] };
}

export function ciEnvironment(env: Environment): CiEnvironment {
  return {
    name: env.name,
    tier: env.tier,
    account: env.account.id,
    region: env.account.region,
    requiresApproval: env.tier !== "development",
    stateBucket: stateBucketName(env),
    roles: { pullRequest: ciRoleArn(env, "pr"), plan: ciRoleArn(env, "plan"), apply: ciRoleArn(env, "apply") },
    plansKey: `alias/${ciPlansKeyAlias(env)}`,
    runnerProject: runnerProjectName(env),
    cloudStacks: [stackId(env, "bootstrap"), stackId(env, "foundation")],
    clusterStacks: [stackId(env, "platform"), stackId(env, "ml"), stackId(env, "teams")],
    images: platformImages(env),
    branch: env.deploy.branch,
    stages: { bootstrap: ["bootstrap"], foundation: ["foundation"], cluster: ["platform", "ml", "teams"] },
  };
}

/** Every environment, development first, production last, by name within a tier. */
export function ciEnvironments(envs: readonly Environment[]): CiEnvironment[] {
  return [...envs].sort((a, b) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier) || a.name.localeCompare(b.name)).map(ciEnvironment);
}

/** Names of the environments with at least one changed stack in a review (`npm run review -- --json`). */
export function touchedEnvironments(review: { readonly stacks: ReadonlyArray<{ readonly stack: string; readonly status: string }> }, envs: readonly CiEnvironment[]): CiEnvironment[] {
  const changed = new Set(review.stacks.filter((s) => s.status !== "unchanged").map((s) => s.stack));
  return envs.filter((e) => [...e.cloudStacks, ...e.clusterStacks].some((s) => changed.has(s)));
}

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command !== "environments") throw new Error("usage: npm run -s ci -- environments [--only <name>] [--tier <tier>] [--touched <review.json>] [--by-tier]");
    const flag = (name: string) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
    let envs = ciEnvironments(loadEnvironments(join(__dirname, "..", "environments")));
    const only = flag("--only");
    if (only) {
      envs = envs.filter((e) => e.name === only);
      if (!envs.length) throw new Error(`no environment "${only}" (environments/${only}.ts)`);
    }
    const tier = flag("--tier");
    if (tier) envs = envs.filter((e) => e.tier === tier);
    const review = flag("--touched");
    if (review) envs = touchedEnvironments(JSON.parse(readFileSync(review, "utf8")), envs);
    // --by-tier: GitHub step outputs, one JSON list per tier (`development=[...]`).
    if (rest.includes("--by-tier")) process.stdout.write(TIER_ORDER.map((t) => `${t}=${JSON.stringify(envs.filter((e) => e.tier === t))}\n`).join(""));
    else process.stdout.write(`${JSON.stringify(envs)}\n`);
  } catch (e) {
    console.error(e instanceof EnvironmentError ? e.message : (e as Error).message);
    process.exitCode = 1;
  }
}
