import { CodeconnectionsConnection } from "@cdktf/provider-aws/lib/codeconnections-connection";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { CiIdentities } from "../constructs/deploy/ci-identities";
import { OidcClientSecret } from "../constructs/ml/ingress-auth";
import { AlertmanagerReceiverSecrets } from "../constructs/observability/alertmanager";
import { KmsKey } from "../constructs/security/kms-key";
import { ACCESS_LOG_PREFIX, AccessLogBucket } from "../constructs/storage/access-log-bucket";
import { SecureBucket } from "../constructs/storage/secure-bucket";
import type { Environment } from "../environments/lib/schema";
import { EnvironmentStack } from "./environment-stack";
import { bucketName, ciPlansKeyAlias, ciRoleName, dataEventsTrailName, grafanaAdminSecretName, namePrefix, roleBoundaryName, stateBucketName, stateKeyAlias } from "./naming";

/**
 * `<env>-bootstrap`: what the environment's other stacks and its pipeline stand on, and what outlives a destroy of
 * the environment: the S3 state bucket and its key, the key of the environment's Secrets Manager secrets, the CI identities (GitHub OIDC roles), the GitHub connection of the in-VPC
 * runner, and the Alertmanager receiver secrets whose values people set by hand. A person applies it first (see
 * `npm run stacks -- bootstrap <env>`: the state starts local and moves into the bucket it created); afterwards it
 * is planned and applied like the others, except that CI may not change its own roles.
 */
export class BootstrapStack extends EnvironmentStack {
  /** Encrypts the state bucket (SSE-KMS); every stack's backend names it by alias. */
  readonly stateKey: KmsKey;
  /** Encrypts the environment's Secrets Manager secrets (Alertmanager receivers here, Grafana's in the platform stack). */
  readonly secretsKey: KmsKey;
  readonly stateBucket: SecureBucket;
  /**
   * Production only: S3 server access logs of the state and data buckets and the data-events trail's files. Here
   * because it must exist before the state bucket logs into it, and outlive the environment like the state.
   */
  readonly accessLogs?: AccessLogBucket;
  readonly ci: CiIdentities;
  /** CodeBuild's GitHub connection; created PENDING, a person completes the GitHub App handshake once. */
  readonly githubConnection: CodeconnectionsConnection;
  readonly alertReceivers: AlertmanagerReceiverSecrets;
  /** The client secret of the load balancer's OIDC login (set by hand), when the environment's UIs use one. */
  readonly ingressOidcClient?: OidcClientSecret;

  constructor(scope: Construct, env: Environment) {
    super(scope, env, "bootstrap");
    const prefix = namePrefix(env);
    const protect = env.tier === "production";
    const { id: accountId, region } = env.account;
    // Protected in every tier, like the bucket: without the key no stack's state can be read.
    this.stateKey = new KmsKey(this, "state-key", { accountId, alias: stateKeyAlias(env), description: `Terraform state of ${prefix}`, protect: true });
    this.secretsKey = new KmsKey(this, "secrets-key", { accountId, alias: `${prefix}-secrets`, description: `Secrets Manager secrets of ${prefix}`, protect });
    if (protect) {
      this.accessLogs = new AccessLogBucket(this, "access-logs", {
        bucketName: bucketName(env, "access-logs"),
        accountId,
        region,
        sourceBucketPatterns: [`${prefix}-*`, stateBucketName(env)],
        trailNames: [dataEventsTrailName(env)],
        retentionDays: env.cluster.logRetentionDays,
        protect,
      });
    }
    this.stateBucket = new SecureBucket(this, "state", {
      bucketName: stateBucketName(env),
      encryptionKey: this.stateKey,
      accessLogs: this.accessLogs ? { bucketName: this.accessLogs.bucketName, prefix: ACCESS_LOG_PREFIX } : undefined,
      noncurrentVersionExpirationDays: env.stateBackend.noncurrentVersionExpirationDays,
      protect: true,
    });
    this.ci = new CiIdentities(this, "ci", {
      namePrefix: prefix,
      roleNames: { pr: ciRoleName(env, "pr"), plan: ciRoleName(env, "plan"), apply: ciRoleName(env, "apply") },
      environment: env.name,
      accountId: env.account.id,
      region,
      roleBoundaryName: roleBoundaryName(env),
      managedSecrets: { names: [grafanaAdminSecretName(env)], kmsKeyArn: this.secretsKey.keyArn },
      githubRepository: env.deploy.githubRepository,
      branch: env.deploy.branch,
      oidcProvider: env.deploy.githubOidcProvider,
      plansKeyAlias: ciPlansKeyAlias(env),
      protect,
      fsxDataRepositories: env.resilience.storage.fsx !== undefined,
    });
    // Plans read state, so the read-only roles decrypt with the state key, and only through S3 (ReadOnlyAccess has no
    // kms:Decrypt). The apply role's PowerUserAccess includes KMS.
    for (const role of [this.ci.pullRequest, this.ci.plan]) {
      role.addToPolicy(
        { Sid: "ReadState", Effect: "Allow", Action: ["kms:Decrypt"], Resource: this.stateKey.keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } } },
        "state-key",
      );
    }
    this.githubConnection = new CodeconnectionsConnection(this, "github-connection", { name: `${prefix}-github`, providerType: "GitHub" });
    this.alertReceivers = new AlertmanagerReceiverSecrets(this, "alertmanager-receivers", {
      receivers: env.observability.alertmanager.receivers,
      secretNamePrefix: prefix,
      recoveryWindowInDays: protect ? 30 : 7,
      protect,
      kmsKeyArn: this.secretsKey.keyArn,
    });
    if (env.ml.ingress.enabled && env.ml.ingress.auth?.type === "oidc") {
      this.ingressOidcClient = new OidcClientSecret(this, "ingress-oidc-client", {
        secretName: `${prefix}/ingress/oidc-client`,
        kmsKeyArn: this.secretsKey.keyArn,
        recoveryWindowInDays: protect ? 30 : 7,
        protect,
      });
    }
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output("state_bucket", this.stateBucket.bucketName, "S3 bucket holding every stack's state of this environment");
    output("ci_pull_request_role_arn", this.ci.pullRequest.roleArn, "Role of pull-request plans (read-only, no cluster access)");
    output("ci_plan_role_arn", this.ci.plan.roleArn, "Role of plans from the deploy branch (read-only, cluster read)");
    output("ci_apply_role_arn", this.ci.apply.roleArn, "Role of applies from the protected GitHub environment");
    output("github_connection_arn", this.githubConnection.arn, "CodeBuild's GitHub connection: complete the handshake once in the console");
  }
}
