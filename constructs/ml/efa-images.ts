import { IMAGE_TAGS } from "../delivery/image-tags.generated";
import { imageRepositoryUri } from "../delivery/image-repository";

/**
 * The images the platform builds for NCCL workloads on the EFA pool (images/torch-efa, images/ray-efa): the plain
 * PyTorch and Ray GPU images plus the EFA user space from the AWS EFA installer. Built and pushed by the deploy
 * workflow like every image under images/, only in environments with an EFA pool (stacks/foundation/delivery.ts).
 * Why built here rather than an AWS Deep Learning Container: docs/resilience.md "Training image on EFA".
 */

/** The images that exist for the EFA pool only (with images/nccl-tests, the fabric check's). */
export const EFA_ONLY_IMAGES = ["nccl-tests", "torch-efa", "ray-efa"] as const;

/**
 * What the EFA installer ships, from its release notes (EC2 user guide, "Elastic Fabric Adapter release notes", 1.50.0
 * of 2026-08-21), and what the plugin supports (aws-ofi-nccl v1.21.1 RELEASENOTES.md: tested with NCCL 2.31.2-1 and
 * libfabric 2.6.0amzn1.0, backward compatible with NCCL 2.17.1 and later; CUDA 13 since v1.17.0, commit 0ecdc995).
 */
export const EFA_INSTALLER = {
  version: "1.50.0",
  libfabric: "2.6.0amzn1.0",
  rdmaCore: "64.0",
  awsOfiNccl: "1.21.1",
  /** The oldest NCCL the plugin supports. */
  minNccl: "2.17.1",
} as const;

/**
 * images/torch-efa: the base is the plain runtimes' TORCH_IMAGE (constructs/ml/kubeflow-trainer.ts). PyTorch 2.13 for
 * CUDA 13.0 bundles NCCL 2.29.7 (the nvidia-nccl-cu13 wheel; pytorch/pytorch RELEASE.md compatibility matrix, as
 * PR #190386 recorded), inside the plugin's range and a version its 1.19 and 1.20 series were tested with.
 */
export const TORCH_EFA_VERSIONS = { base: "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime", pytorch: "2.13.0", cuda: "13.0", nccl: "2.29.7", efaInstaller: EFA_INSTALLER.version } as const;

/** images/ray-efa: the Ray templates' GPU image (RAY_GPU_IMAGE in constructs/serving/ray-templates.ts) plus the same installer. */
export const RAY_EFA_VERSIONS = { base: "rayproject/ray:2.52.0-py312-gpu", efaInstaller: EFA_INSTALLER.version } as const;

/** The PyTorch EFA image in the environment's ECR (`<prefix>/torch-efa`), at its content tag. */
export function torchEfaImage(accountId: string, region: string, namePrefix: string): string {
  return `${imageRepositoryUri(accountId, region, namePrefix, "torch-efa")}:${IMAGE_TAGS["torch-efa"]}`;
}

/**
 * The Ray EFA image in the environment's ECR (`<prefix>/ray-efa`), at its content tag: what Ray workers on the EFA pool
 * should run, with `efaEnv(instanceTypes, "pytorch")` (constructs/ml/efa-environment.ts) in their environment.
 */
export function rayEfaImage(accountId: string, region: string, namePrefix: string): string {
  return `${imageRepositoryUri(accountId, region, namePrefix, "ray-efa")}:${IMAGE_TAGS["ray-efa"]}`;
}
