import { z } from "zod";
import { parseCidr } from "./cidr";

/**
 * The `deploy` section of an environment: who may deploy it and how the Kubernetes API is reached.
 * - The bootstrap stack creates three CI roles that trust only GitHub's OIDC tokens of `githubRepository`:
 *   `mlp-<env>-ci-pr` (pull requests: read-only AWS, no cluster access), `mlp-<env>-ci-plan` (the deploy branch:
 *   read-only AWS plus cluster-wide read access, Secrets included, because a Helm plan reads release Secrets) and
 *   `mlp-<env>-ci-apply` (jobs of the protected GitHub environment named like this environment: deploys everything).
 * - The foundation stack creates a CodeBuild-hosted GitHub Actions runner inside the VPC (`mlp-<env>-runner`) with a
 *   443 rule to the private API endpoint; only jobs of the deploy workflow on the deploy branch are sent to it.
 * People deploy with one of `cluster.adminRoleArns`, through the runner (workflow_dispatch), an SSM port forward
 * through a system node, or, outside production, the public endpoint's allow-list `cluster.publicAccessCidrs`.
 */

/** GitHub `owner/repository` (owner: 1-39 of [A-Za-z0-9-]; repository: 1-100 of [A-Za-z0-9._-]). */
export const GITHUB_REPOSITORY_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** CodeBuild compute types a Linux container runner can use (vCPU/GiB: 2/3, 4/7, 8/15). */
export const RUNNER_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] as const;

const branchName = z
  .string()
  .regex(/^[A-Za-z0-9._/-]{1,100}$/, "must be a git branch name like main")
  .refine((b) => !b.includes("..") && !b.startsWith("/") && !b.endsWith("/") && !b.endsWith(".lock"), { message: "must be a valid git branch name" });

export const deploySettings = z.strictObject({
  /** The repository whose workflows deploy this environment; the CI roles trust only its OIDC tokens. */
  githubRepository: z.string().regex(GITHUB_REPOSITORY_RE, "must be a GitHub repository like example-org/ml-platform"),
  /**
   * The account's IAM OIDC provider for token.actions.githubusercontent.com (one per account): `create` makes this
   * environment's bootstrap stack own it (at most one environment per account may), `existing` uses the one present.
   */
  githubOidcProvider: z.enum(["create", "existing"]),
  /** Pushes to this branch deploy, and cluster stacks are planned from it before approval. @default "main" */
  branch: branchName.default("main"),
  /** The CodeBuild-hosted runner in the VPC that applies and plans the stacks that talk to the Kubernetes API. */
  runner: z
    .strictObject({
      computeType: z.enum(RUNNER_COMPUTE_TYPES).default("BUILD_GENERAL1_MEDIUM"),
      /** Days the runner's build logs are kept (CloudWatch Logs, encrypted). */
      logRetentionDays: z.number().int().positive().default(30),
    })
    .prefault({}),
});

export type DeploySettings = z.output<typeof deploySettings>;

/** Whether a CIDR opens the endpoint to the whole internet (prefix /0). */
export function isWholeInternet(cidr: string): boolean {
  return parseCidr(cidr)?.prefix === 0;
}
