import type { Environment } from "../environments/lib/schema";

/** Prefix of every physical name: `mlp-<env>`. A fork gets its own names because the env name differs. */
export function namePrefix(env: Environment): string {
  return `mlp-${env.name}`;
}

export function clusterName(env: Environment): string {
  return namePrefix(env);
}

/** Globally unique S3 bucket name for one purpose: `mlp-<env>-<purpose>-<account>` (at most 63 characters). */
export function bucketName(env: Environment, purpose: string): string {
  const name = `${namePrefix(env)}-${purpose}-${env.account.id}`;
  if (name.length > 63) throw new Error(`environment "${env.name}": bucket name ${name} is longer than 63 characters; shorten the purpose "${purpose}"`);
  return name;
}

export function stateBucketName(env: Environment): string {
  return env.stateBackend.bucket ?? `mlp-tfstate-${env.name}-${env.account.id}`;
}

/**
 * Alias (without `alias/`) of the key that encrypts the state bucket. Backends name it by alias: the key's ARN only
 * exists after the bootstrap stack's first apply, and backend blocks cannot hold references.
 */
export function stateKeyAlias(env: Environment): string {
  return `${namePrefix(env)}-tfstate`;
}

/** The production CloudTrail trail of S3 data events on the ML data buckets. */
export function dataEventsTrailName(env: Environment): string {
  return `${namePrefix(env)}-data-events`;
}

/** The cost-allocation tags every billable resource carries (Environment derives from the name). */
export function costTags(env: Environment): Record<string, string> {
  return { Project: env.tags.Project, Team: env.tags.Team, CostCenter: env.tags.CostCenter, Environment: env.name };
}

/** The CI roles of an environment (bootstrap stack): pull-request plans, deploy-branch plans, protected applies. */
export const CI_ROLE_KINDS = ["pr", "plan", "apply"] as const;
export type CiRoleKind = (typeof CI_ROLE_KINDS)[number];

export function ciRoleName(env: Environment, kind: CiRoleKind): string {
  return `${namePrefix(env)}-ci-${kind}`;
}

export function ciRoleArn(env: Environment, kind: CiRoleKind): string {
  return `arn:aws:iam::${env.account.id}:role/${ciRoleName(env, kind)}`;
}

/** Alias of the KMS key saved plans are encrypted with (bootstrap stack). */
export function ciPlansKeyAlias(env: Environment): string {
  return `${namePrefix(env)}-ci-plans`;
}

/**
 * The permissions boundary every role of the foundation, platform and ML stacks carries (bootstrap stack): the apply
 * role may create and change roles only with it, so no role it makes can do more in IAM than the boundary allows.
 */
export function roleBoundaryName(env: Environment): string {
  return `${namePrefix(env)}-role-boundary`;
}

export function roleBoundaryArn(env: Environment): string {
  return `arn:aws:iam::${env.account.id}:policy/${roleBoundaryName(env)}`;
}

/** Grafana's admin credential in Secrets Manager (platform stack; its version is refreshed by every plan). */
export function grafanaAdminSecretName(env: Environment): string {
  return `${namePrefix(env)}/grafana/admin`;
}

/** The CodeBuild project of the environment's in-VPC GitHub Actions runner. */
export function runnerProjectName(env: Environment): string {
  return `${namePrefix(env)}-runner`;
}

/** Stack ids: `<env>-<part>`; they are also the state key `<env>/<part>.tfstate`. */
export type StackPart = "bootstrap" | "foundation" | "platform" | "ml" | "teams";

export function stackId(env: Environment, part: StackPart): string {
  return `${env.name}-${part}`;
}
