import type { Construct } from "constructs";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { ImageRepositories, imageRepositoryUri } from "../../constructs/delivery/image-repository";
import { EFA_ONLY_IMAGES } from "../../constructs/ml/efa-images";
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
    images: imagesOf(env),
    protect: env.tier === "production",
  });
}

/**
 * The images an environment runs: the drift monitor always; the EFA pool's images (the fabric check's nccl-tests, a
 * long CUDA build, and the PyTorch and Ray images with the EFA user space) only where there is an EFA pool.
 */
export function imagesOf(env: Environment): (keyof typeof IMAGE_TAGS)[] {
  const efaOnly: readonly string[] = EFA_ONLY_IMAGES;
  return (Object.keys(IMAGE_TAGS) as (keyof typeof IMAGE_TAGS)[]).filter((name) => !efaOnly.includes(name) || env.compute.efa.mode !== "disabled");
}

/** An image the platform builds: its ECR repository URI, content tag and build context (for the deploy workflow). */
export interface PlatformImage {
  readonly name: string;
  readonly repository: string;
  readonly tag: string;
  readonly context: string;
}

/** The images of an environment, as `npm run -s ci -- environments` lists them for the deploy workflow. */
export function platformImages(env: Environment): PlatformImage[] {
  return imagesOf(env).map((name) => ({ name, repository: imageRepositoryUri(env.account.id, env.account.region, namePrefix(env), name), tag: IMAGE_TAGS[name], context: `images/${name}` }));
}
