import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";
import { KmsKey } from "../security/kms-key";

/** Tagged images kept per repository; older ones expire (a running pod keeps its node's copy). */
export const KEPT_IMAGES = 10;

export interface ImageRepositoriesProps {
  readonly accountId: string;
  readonly region: string;
  /** `mlp-<env>`: repositories are `<prefix>/<image>`, the key `alias/<prefix>-images`. */
  readonly namePrefix: string;
  /** The images the platform builds (images/<name>/). */
  readonly images: readonly string[];
  /** prevent_destroy on the key and repositories. @default false */
  readonly protect?: boolean;
}

/** A repository's URI: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<image>` (known at synth time). */
export function imageRepositoryUri(accountId: string, region: string, namePrefix: string, image: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com/${namePrefix}/${image}`;
}

/**
 * The ECR repositories of the images the platform builds itself (the drift monitor), one per image: encrypted with
 * their own customer managed key (ECR holds a grant on it; pushing and pulling need no KMS permission), scanned on
 * push, tags immutable (a tag is the content hash of the image's directory, so a tag never moves), the newest
 * KEPT_IMAGES tagged images kept and untagged layers expired after a day. In the foundation stack: the deploy
 * workflow pushes after the foundation's apply and before the ML stack's pods pull.
 */
export class ImageRepositories extends Construct {
  readonly key: KmsKey;
  readonly repositories: Record<string, EcrRepository> = {};

  constructor(scope: Construct, id: string, props: ImageRepositoriesProps) {
    super(scope, id);
    const protect = props.protect ?? false;
    this.key = new KmsKey(this, "key", { accountId: props.accountId, alias: `${props.namePrefix}-images`, description: `Container images ${props.namePrefix} builds (ECR)`, protect });
    for (const image of props.images) {
      const repo = new EcrRepository(this, `repository-${image}`, {
        name: `${props.namePrefix}/${image}`,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: this.key.keyArn }],
        // Outside production an environment is torn down and built again; its images are rebuilt from the repository.
        forceDelete: !protect,
        lifecycle: protect ? { preventDestroy: true } : undefined,
      });
      new EcrLifecyclePolicy(this, `lifecycle-${image}`, {
        repository: repo.name,
        policy: JSON.stringify({
          rules: [
            { rulePriority: 1, description: "untagged layers expire after a day", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }, action: { type: "expire" } },
            { rulePriority: 2, description: `keep the ${KEPT_IMAGES} newest images`, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: KEPT_IMAGES }, action: { type: "expire" } },
          ],
        }),
      });
      this.repositories[image] = repo;
    }
  }
}
