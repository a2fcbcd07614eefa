import { App, Fn, type AppConfig, type TerraformStack } from "cdktf";

/**
 * The cdktf App of this project. Cross-stack references arrive in the consuming stack through
 * `terraform_remote_state`, whose outputs cdktf always marks sensitive; a plan would then show every value that
 * crosses a stack (cluster endpoint, subnet ids, bucket names, the NodePool and MLflow chart values built from them)
 * as `(sensitive value)`. No value that crosses a stack here is secret (secrets travel as Secrets Manager ARNs and
 * reach pods through External Secrets), so the consumer reads each one through `nonsensitive()` and plans show it.
 * A test lists every cross-stack output and checks that none carries a secret.
 */
export class PlatformApp extends App {
  constructor(config?: AppConfig) {
    super(config);
  }

  crossStackReference(fromStack: TerraformStack, toStack: TerraformStack, identifier: string): string {
    return Fn.nonsensitive(super.crossStackReference(fromStack, toStack, identifier));
  }
}
