// `npm run -s ci -- environments [--tier <tier>]`: what the workflows need to know about every environment, as JSON,
// read from environments/*.ts (the one source: no per-environment CI variables to keep by hand), development first.
import { join } from "node:path";
import { EnvironmentError, loadEnvironments } from "../environments/lib/load";
import type { Environment } from "../environments/lib/schema";
import { ciRoleArn, runnerProjectName, stackId, stateBucketName } from "../stacks/naming";

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
  /** CodeBuild project of the in-VPC runner: jobs use `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`. */
  readonly runnerProject: string;
  /** Stacks that need only AWS APIs (any runner) and stacks that talk to the Kubernetes API (in-VPC runner only). */
  readonly cloudStacks: readonly string[];
  readonly clusterStacks: readonly string[];
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
    runnerProject: runnerProjectName(env),
    cloudStacks: [stackId(env, "bootstrap"), stackId(env, "foundation")],
    clusterStacks: [stackId(env, "platform"), stackId(env, "ml")],
  };
}

/** Every environment, development first, production last, by name within a tier. */
export function ciEnvironments(envs: readonly Environment[]): CiEnvironment[] {
  return [...envs].sort((a, b) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier) || a.name.localeCompare(b.name)).map(ciEnvironment);
}

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command !== "environments") throw new Error("usage: npm run -s ci -- environments [--tier <tier>]");
    const tier = rest.includes("--tier") ? rest[rest.indexOf("--tier") + 1] : undefined;
    const all = ciEnvironments(loadEnvironments(join(__dirname, "..", "environments")));
    process.stdout.write(`${JSON.stringify(tier ? all.filter((e) => e.tier === tier) : all)}\n`);
  } catch (e) {
    console.error(e instanceof EnvironmentError ? e.message : (e as Error).message);
    process.exitCode = 1;
  }
}
