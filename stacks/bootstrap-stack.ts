import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { SecureBucket } from "../constructs/storage/secure-bucket";
import type { Environment } from "../environments/lib/schema";
import { EnvironmentStack } from "./environment-stack";
import { stateBucketName } from "./naming";

/** `<env>-bootstrap`: the S3 state bucket every other stack of the environment keeps its state in. */
export class BootstrapStack extends EnvironmentStack {
  readonly stateBucket: SecureBucket;

  constructor(scope: Construct, env: Environment) {
    super(scope, env, "bootstrap");
    this.stateBucket = new SecureBucket(this, "state", {
      bucketName: stateBucketName(env),
      noncurrentVersionExpirationDays: env.stateBackend.noncurrentVersionExpirationDays,
      protect: true,
    });
    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.bucketName });
  }
}
