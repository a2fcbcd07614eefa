import { CodeconnectionsConnection } from "@cdktf/provider-aws/lib/codeconnections-connection";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { CiIdentities } from "../constructs/deploy/ci-identities";
import { AlertmanagerReceiverSecrets } from "../constructs/observability/alertmanager";
import { SecureBucket } from "../constructs/storage/secure-bucket";
import type { Environment } from "../environments/lib/schema";
import { EnvironmentStack } from "./environment-stack";
import { ciPlansKeyAlias, ciRoleName, namePrefix, stateBucketName } from "./naming";

/**
 * `<env>-bootstrap`: what the environment's other stacks and its pipeline stand on, and what outlives a destroy of
 * the environment: the S3 state bucket, the CI identities (GitHub OIDC roles), the GitHub connection of the in-VPC
 * runner, and the Alertmanager receiver secrets whose values people set by hand. A person applies it first (see
 * `npm run stacks -- bootstrap <env>`: the state starts local and moves into the bucket it created); afterwards it
 * is planned and applied like the others, except that CI may not change its own roles.
 */
export class BootstrapStack extends EnvironmentStack {
  readonly stateBucket: SecureBucket;
  readonly ci: CiIdentities;
  /** CodeBuild's GitHub connection; created PENDING, a person completes the GitHub App handshake once. */
  readonly githubConnection: CodeconnectionsConnection;
  readonly alertReceivers: AlertmanagerReceiverSecrets;

  constructor(scope: Construct, env: Environment) {
    super(scope, env, "bootstrap");
    const prefix = namePrefix(env);
    const protect = env.tier === "production";
    this.stateBucket = new SecureBucket(this, "state", {
      bucketName: stateBucketName(env),
      noncurrentVersionExpirationDays: env.stateBackend.noncurrentVersionExpirationDays,
      protect: true,
    });
    this.ci = new CiIdentities(this, "ci", {
      namePrefix: prefix,
      roleNames: { pr: ciRoleName(env, "pr"), plan: ciRoleName(env, "plan"), apply: ciRoleName(env, "apply") },
      environment: env.name,
      accountId: env.account.id,
      githubRepository: env.deploy.githubRepository,
      branch: env.deploy.branch,
      oidcProvider: env.deploy.githubOidcProvider,
      plansKeyAlias: ciPlansKeyAlias(env),
      protect,
    });
    this.githubConnection = new CodeconnectionsConnection(this, "github-connection", { name: `${prefix}-github`, providerType: "GitHub" });
    this.alertReceivers = new AlertmanagerReceiverSecrets(this, "alertmanager-receivers", {
      receivers: env.observability.alertmanager.receivers,
      secretNamePrefix: prefix,
      recoveryWindowInDays: protect ? 30 : 7,
      protect,
    });
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output("state_bucket", this.stateBucket.bucketName, "S3 bucket holding every stack's state of this environment");
    output("ci_pull_request_role_arn", this.ci.pullRequest.roleArn, "Role of pull-request plans (read-only, no cluster access)");
    output("ci_plan_role_arn", this.ci.plan.roleArn, "Role of plans from the deploy branch (read-only, cluster read)");
    output("ci_apply_role_arn", this.ci.apply.roleArn, "Role of applies from the protected GitHub environment");
    output("github_connection_arn", this.githubConnection.arn, "CodeBuild's GitHub connection: complete the handshake once in the console");
  }
}
