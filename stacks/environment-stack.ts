import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, S3Backend, TerraformOutput, TerraformStack, type IAspect } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import type { Environment } from "../environments/lib/schema";
import { costTags, roleBoundaryArn, stackId, stateBucketName, stateKeyAlias, type StackPart } from "./naming";

/**
 * Puts the environment's permissions boundary on every role of a stack, whichever construct made it: the CI apply
 * role may create and change roles only with it (constructs/deploy/ci-identities.ts).
 */
class RoleBoundary implements IAspect {
  constructor(private readonly arn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof IamRole) node.permissionsBoundary = this.arn;
  }
}

/**
 * Base of every stack: one environment, one part. Configures the state backend (S3 with native locking, in the
 * environment's own state bucket, key `<env>/<part>.tfstate`, SSE-KMS with the bootstrap stack's state key) and the AWS provider pinned to the environment's
 * account with the cost tags as default tags. The bootstrap stack creates that bucket, so its very first apply runs
 * with a local-state override and then moves its state into the bucket (scripts/stacks.ts, `bootstrap`).
 */
export class EnvironmentStack extends TerraformStack {
  readonly env: Environment;
  readonly part: StackPart;
  readonly aws: AwsProvider;

  constructor(scope: Construct, env: Environment, part: StackPart) {
    super(scope, stackId(env, part));
    this.env = env;
    this.part = part;
    const backend = new S3Backend(this, {
      bucket: stateBucketName(env),
      key: `${env.name}/${part}.tfstate`,
      region: env.account.region,
      encrypt: true,
      // With `encrypt` alone the backend writes every state object with SSE-S3, overriding the bucket's default key.
      kmsKeyId: `alias/${stateKeyAlias(env)}`,
    });
    // S3 native locking (Terraform >= 1.10); S3Backend has no typed prop for it.
    backend.addOverride("use_lockfile", true);
    // S3 native locking needs Terraform 1.10; write-only attributes and ephemeral resources (Grafana's generated
    // admin password in the platform stack) need 1.11. One floor for every stack keeps the toolchain uniform.
    this.addOverride("terraform.required_version", ">= 1.11.0");
    // The bootstrap stack's roles are the CI roles themselves, which an administrator manages.
    if (part !== "bootstrap") Aspects.of(this).add(new RoleBoundary(roleBoundaryArn(env)));
    this.aws = new AwsProvider(this, "aws", {
      region: env.account.region,
      allowedAccountIds: [env.account.id],
      defaultTags: [{ tags: costTags(env) }],
    });
  }

  /**
   * cdktf hands every cross-stack value to the consuming stack through an output of this stack that it marks
   * sensitive, so a plan of this stack, and of the consumer, shows NodePool, MLflow and ingress values built from it
   * as `(sensitive value)`. No value that crosses a stack here is secret (secrets cross as Secrets Manager ARNs and
   * reach pods through External Secrets; a test lists every cross-stack output), so the outputs are plain.
   */
  registerOutgoingCrossStackReference(identifier: string): TerraformOutput {
    const output = super.registerOutgoingCrossStackReference(identifier);
    output.sensitive = false;
    return output;
  }
}
