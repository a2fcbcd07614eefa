import type { FsxDeploymentType } from "../../constructs/storage/fsx-lustre-rules";
import type { CostItem } from "./cost";
import type { ResilienceSettings } from "./resilience-schema";

/**
 * Cost lines of the training storage (issue 17), added to the ceiling by environments/lib/cost.ts: the FSx for Lustre
 * file system is provisioned, so it is billed whole every hour; Mountpoint for S3 has no charge of its own (its S3
 * storage and requests are usage-based, like the platform's other buckets), listed at $0 so the ceiling says so.
 */

/**
 * FSx for Lustre SSD storage, USD per GB-month, us-east-1, by deployment type and throughput tier (MB/s per TiB).
 * Backups ($0.05/GB-month) are usage-based and excluded.
 */
export const FSX_USD_PER_GB_MONTH: Readonly<Record<FsxDeploymentType, Readonly<Record<number, number>>>> = {
  PERSISTENT_2: { 125: 0.145, 250: 0.21, 500: 0.34, 1000: 0.6 },
};
export const FSX_PRICES_SOURCE = "aws.amazon.com/fsx/lustre/pricing (Persistent-2 SSD, us-east-1), read 2026-11";

/** The resilience section's lines of the ceiling; `hoursPerMonth` converts monthly prices. */
export function resilienceCostItems(env: { readonly name: string; readonly resilience: ResilienceSettings }, hoursPerMonth: number): CostItem[] {
  const items: CostItem[] = [];
  const fsx = env.resilience.storage.fsx;
  if (fsx) {
    const perGb = FSX_USD_PER_GB_MONTH[fsx.deploymentType][fsx.perUnitStorageThroughput];
    if (perGb === undefined) throw new Error(`environment "${env.name}": resilience.storage.fsx.perUnitStorageThroughput: no price for ${fsx.perUnitStorageThroughput}; add it to FSX_USD_PER_GB_MONTH`);
    items.push({
      key: "storage/fsx-lustre",
      usdPerHour: Math.round(((fsx.storageCapacityGiB * perGb) / hoursPerMonth) * 1000) / 1000,
      basis: `${fsx.storageCapacityGiB} GiB ${fsx.deploymentType} SSD at ${fsx.perUnitStorageThroughput} MB/s/TiB, $${perGb}/GB-month (${FSX_PRICES_SOURCE}; backups excluded)`,
    });
  }
  if (env.resilience.storage.mountpoint.enabled) {
    items.push({ key: "storage/mountpoint-s3", usdPerHour: 0, basis: "Mountpoint for S3 CSI driver: no charge; the training bucket's storage and requests are usage-based (excluded)" });
  }
  return items;
}
