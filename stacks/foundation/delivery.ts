import type { Construct } from "constructs";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { ImageRepositories } from "../../constructs/delivery/image-repository";
import type { Environment } from "../../environments/lib/schema";
import { namePrefix } from "../naming";

/**
 * The foundation's part of safe model delivery (docs/delivery.md): the ECR repositories of the images the platform
 * builds (the drift monitor), which outlive the cluster stacks and must hold the image before the ML stack runs it.
 */
export function foundationDelivery(scope: Construct, env: Environment): ImageRepositories {
  return new ImageRepositories(scope, "images", {
    accountId: env.account.id,
    region: env.account.region,
    namePrefix: namePrefix(env),
    images: Object.keys(IMAGE_TAGS),
    protect: env.tier === "production",
  });
}
