/**
 * What FSx for Lustre accepts for a persistent SSD file system, checked at synth (environments/lib/resilience-schema.ts)
 * and again by the construct, so a bad size or throughput never reaches CreateFileSystem.
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
 */

/**
 * Deployment types the platform builds. Only PERSISTENT_2 is offered: data repository associations (automatic import
 * and export with S3), which the training storage needs, exist only on PERSISTENT_2 file systems.
 */
export const FSX_DEPLOYMENT_TYPES = ["PERSISTENT_2"] as const;
export type FsxDeploymentType = (typeof FSX_DEPLOYMENT_TYPES)[number];

/** `PerUnitStorageThroughput` (MB/s per TiB) each deployment type accepts on SSD storage. */
export const FSX_THROUGHPUT_MBPS_PER_TIB: Readonly<Record<FsxDeploymentType, readonly number[]>> = {
  PERSISTENT_2: [125, 250, 500, 1000],
};

/** SSD persistent storage: 1.2 TiB, or a multiple of 2.4 TiB. */
export function fsxCapacityProblem(storageCapacityGiB: number): string | undefined {
  if (storageCapacityGiB === 1200 || (storageCapacityGiB > 0 && storageCapacityGiB % 2400 === 0)) return undefined;
  return "must be 1200 or a multiple of 2400 GiB (SSD persistent file systems)";
}

/** The throughput rule of one deployment type, as a problem or undefined. */
export function fsxThroughputProblem(deploymentType: FsxDeploymentType, perUnitStorageThroughput: number): string | undefined {
  const allowed = FSX_THROUGHPUT_MBPS_PER_TIB[deploymentType];
  return allowed.includes(perUnitStorageThroughput) ? undefined : `must be one of ${allowed.join(", ")} MB/s per TiB for ${deploymentType}`;
}
