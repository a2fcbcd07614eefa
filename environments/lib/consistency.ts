import { feastProject } from "../../stacks/ml-settings";
import { stateBucketName } from "../../stacks/naming";
import { parseCidr } from "./cidr";
import type { Environment } from "./schema";

/**
 * Rules that compare environment files with each other: what a copied file must not share with its parent.
 * Each problem names the environment, the field, the value and the environment it collides with.
 */
export function consistencyProblems(envs: readonly Environment[]): string[] {
  const problems: string[] = [];
  const sorted = [...envs].sort((a, b) => a.name.localeCompare(b.name));
  const where = (e: Environment) => `account ${e.account.id} ${e.account.region}`;

  // Two VPCs with overlapping ranges in one account and region can never be peered or share a transit gateway,
  // and a copied file keeps its parent's range unless someone changes it.
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(0, i)) {
      if (a.account.id !== b.account.id || a.account.region !== b.account.region) continue;
      if (overlaps(a.network.vpcCidr, b.network.vpcCidr)) {
        problems.push(
          `environment "${a.name}": network.vpcCidr: got "${a.network.vpcCidr}"; overlaps environment "${b.name}" (${b.network.vpcCidr}) in ${where(a)}: give each environment of an account and region its own range`,
        );
      }
    }
  }

  // The GitHub OIDC provider is one per account: two bootstrap stacks creating it would collide.
  const creators = new Map<string, Environment[]>();
  for (const e of sorted) if (e.deploy.githubOidcProvider === "create") creators.set(e.account.id, [...(creators.get(e.account.id) ?? []), e]);
  for (const [account, list] of creators) {
    for (const e of list.slice(1)) {
      problems.push(
        `environment "${e.name}": deploy.githubOidcProvider: got "create"; environment "${list[0].name}" already creates the GitHub OIDC provider of account ${account} (one per account): use "existing"`,
      );
    }
  }
  problems.push(...productionAccountProblems(sorted), ...sharedNameProblems(sorted), ...namePrefixProblems(sorted));
  return problems;
}

/**
 * IAM grants of an environment match its physical names by prefix (`mlp-<env>-*`: the CI apply role manages those
 * roles). An environment named `<other>-<suffix>` in the same account would fall under the other's prefix, so the
 * other environment's pipeline could change its roles.
 */
function namePrefixProblems(sorted: readonly Environment[]): string[] {
  const problems: string[] = [];
  for (const e of sorted) {
    const parent = sorted.find((p) => p !== e && p.account.id === e.account.id && e.name.startsWith(`${p.name}-`));
    if (parent) {
      problems.push(
        `environment "${e.name}": name: got "${e.name}"; starts with "${parent.name}-", and environment "${parent.name}" in account ${e.account.id} manages every role named mlp-${parent.name}-*: rename it (for example "${e.name.replace(/-/g, "")}") or give it an account of its own`,
      );
    }
  }
  return problems;
}

/**
 * An account that holds a production environment is a production account: a development or staging environment
 * beside it would share its IAM, quotas and blast radius under weaker rules (public API endpoint, @latest AMIs, no
 * deletion protection). Usually a copied file whose tier was lowered but whose account id was kept.
 */
function productionAccountProblems(sorted: readonly Environment[]): string[] {
  const problems: string[] = [];
  for (const e of sorted) {
    if (e.tier === "production") continue;
    const owners = sorted.filter((p) => p.tier === "production" && p.account.id === e.account.id).map((p) => `"${p.name}"`);
    if (owners.length) {
      problems.push(
        `environment "${e.name}": tier: got "${e.tier}"; account ${e.account.id} is a production account (environment ${owners.join(", ")}): give this environment an account of its own, or make it production tier`,
      );
    }
  }
  return problems;
}

/**
 * Names two environments must not share: the state bucket (S3 names are global, and each bootstrap stack creates
 * its bucket) and, within one account and region, the Feast project (its DynamoDB tables are `<project>.<view>`).
 * A fork that keeps its parent's explicit `stateBackend.bucket` or `ml.feast.project` trips these.
 */
function sharedNameProblems(sorted: readonly Environment[]): string[] {
  const problems: string[] = [];
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(0, i)) {
      if (stateBucketName(a) === stateBucketName(b)) {
        problems.push(
          `environment "${a.name}": stateBackend.bucket: got "${stateBucketName(a)}"; environment "${b.name}" uses the same state bucket (S3 bucket names are global and each environment's bootstrap stack creates its own): remove the field to get mlp-tfstate-${a.name}-${a.account.id}`,
        );
      }
      if (a.account.id === b.account.id && a.account.region === b.account.region && feastProject(a) === feastProject(b)) {
        problems.push(
          `environment "${a.name}": ml.feast.project: got "${feastProject(a)}"; environment "${b.name}" uses the same Feast project in account ${a.account.id} ${a.account.region}, so both would write the same DynamoDB tables (<project>.<feature view>): give each its own project`,
        );
      }
    }
  }
  return problems;
}

/** Whether two IPv4 CIDRs share any address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const end = (c: { base: number; prefix: number }) => c.base + 2 ** (32 - c.prefix);
  return x.base < end(y) && y.base < end(x);
}
