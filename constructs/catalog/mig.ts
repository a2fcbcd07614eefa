import { findInstanceType } from "./instance-types";

/**
 * MIG (Multi-Instance GPU) of the GPUs in the EC2 types that have it, for the shared-GPU pools: which named MIG
 * layouts each GPU accepts and how many instances of each profile one GPU holds under them.
 *
 * Source: the `default-mig-parted-config` ConfigMap the NVIDIA GPU Operator v26.7.0 creates for its mig-manager
 * (github.com/NVIDIA/gpu-operator, assets/state-mig-manager/0400_configmap.yaml at v26.7.0, commit 10ee5b36), whose
 * comments name the GPUs each config is for and whose `device-filter`s carry the PCI device ids. Only configs the
 * file attributes to a GPU are listed, and none of the `+me` (media extension) profiles: the device plugin renames
 * `+` in resource names, and no platform workload needs them. test/serving/mig-catalog.test.ts checks every entry
 * against the committed copy of that file (test/fixtures/upstream/gpu-operator-mig-parted-config.json).
 *
 * GPU memory is cross-checked with Karpenter's instance catalog (`gpuMemoryMiB`), which names the GPU model of each
 * type. MIG exists on A100, H100, H200, B200 and B300, so on p4d, p4de, p5, p5e, p5en and p6 only; g5 (A10G),
 * g6 (L4) and g6e (L40S) have none.
 */

/** A MIG layout: instances per GPU of each profile (`1g.10gb` means 1 compute slice, 10 GB). */
export type MigLayout = Readonly<Record<string, number>>;

/** One MIG-capable GPU model. */
export interface MigGpu {
  /** The GPU as NVIDIA names it. */
  readonly name: string;
  /** PCI device id as mig-parted's `device-filter` spells it (device id, then vendor 10DE). */
  readonly pciDeviceId: string;
  /** GPU memory as Karpenter's catalog has it for these types (`karpenter.k8s.aws/instance-gpu-memory`). */
  readonly gpuMemoryMiB: number;
  /** EC2 instance types with this GPU. */
  readonly instanceTypes: readonly string[];
  /** Named layouts of the upstream config that apply to this GPU, resolved to its profile counts. */
  readonly layouts: Readonly<Record<string, MigLayout>>;
}

/** The MIG-capable GPUs of EC2, by GPU model. */
export const MIG_GPUS: readonly MigGpu[] = [
  {
    name: "A100-SXM4-40GB",
    pciDeviceId: "0x20B010DE",
    gpuMemoryMiB: 40960,
    instanceTypes: ["p4d.24xlarge"],
    layouts: {
      "all-1g.5gb": { "1g.5gb": 7 },
      "all-1g.10gb": { "1g.10gb": 4 },
      "all-2g.10gb": { "2g.10gb": 3 },
      "all-3g.20gb": { "3g.20gb": 2 },
      "all-4g.20gb": { "4g.20gb": 1 },
      "all-7g.40gb": { "7g.40gb": 1 },
      "all-balanced": { "1g.5gb": 2, "2g.10gb": 1, "3g.20gb": 1 },
    },
  },
  {
    name: "A100-SXM4-80GB",
    pciDeviceId: "0x20B210DE",
    gpuMemoryMiB: 81920,
    instanceTypes: ["p4de.24xlarge"],
    layouts: {
      "all-1g.10gb": { "1g.10gb": 7 },
      "all-1g.20gb": { "1g.20gb": 4 },
      "all-2g.20gb": { "2g.20gb": 3 },
      "all-3g.40gb": { "3g.40gb": 2 },
      "all-4g.40gb": { "4g.40gb": 1 },
      "all-7g.80gb": { "7g.80gb": 1 },
      "all-balanced": { "1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1 },
    },
  },
  {
    name: "H100-SXM5-80GB",
    pciDeviceId: "0x233010DE",
    gpuMemoryMiB: 81920,
    instanceTypes: ["p5.4xlarge", "p5.48xlarge"],
    layouts: {
      "all-1g.10gb": { "1g.10gb": 7 },
      "all-1g.20gb": { "1g.20gb": 4 },
      "all-2g.20gb": { "2g.20gb": 3 },
      "all-3g.40gb": { "3g.40gb": 2 },
      "all-4g.40gb": { "4g.40gb": 1 },
      "all-7g.80gb": { "7g.80gb": 1 },
      "all-balanced": { "1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1 },
    },
  },
  {
    name: "H200-141GB",
    pciDeviceId: "0x233510DE",
    gpuMemoryMiB: 144384,
    instanceTypes: ["p5e.48xlarge", "p5en.48xlarge"],
    layouts: {
      "all-1g.18gb": { "1g.18gb": 7 },
      "all-1g.35gb": { "1g.35gb": 4 },
      "all-2g.35gb": { "2g.35gb": 3 },
      "all-3g.71gb": { "3g.71gb": 2 },
      "all-4g.71gb": { "4g.71gb": 1 },
      "all-7g.141gb": { "7g.141gb": 1 },
      "all-balanced": { "1g.18gb": 2, "2g.35gb": 1, "3g.71gb": 1 },
    },
  },
  {
    name: "B200",
    pciDeviceId: "0x290110DE",
    gpuMemoryMiB: 183359,
    instanceTypes: ["p6-b200.48xlarge"],
    layouts: {
      "all-1g.23gb": { "1g.23gb": 7 },
      "all-balanced": { "1g.23gb": 2, "2g.45gb": 1, "3g.90gb": 1 },
    },
  },
  {
    name: "B300",
    pciDeviceId: "0x318210DE",
    gpuMemoryMiB: 275040,
    instanceTypes: ["p6-b300.48xlarge"],
    layouts: {
      "all-1g.34gb": { "1g.34gb": 7 },
      "all-1g.67gb": { "1g.67gb": 4 },
      "all-2g.67gb": { "2g.67gb": 3 },
      "all-3g.135gb": { "3g.135gb": 2 },
      "all-4g.135gb": { "4g.135gb": 1 },
      "all-7g.269gb": { "7g.269gb": 1 },
      "all-balanced": { "1g.34gb": 2, "2g.67gb": 1, "3g.135gb": 1 },
    },
  },
];

/** The MIG GPU of an instance type, or undefined when the type has no MIG-capable GPU. */
export function migGpuOf(instanceType: string): MigGpu | undefined {
  return MIG_GPUS.find((g) => g.instanceTypes.includes(instanceType));
}

/** Extended resource the device plugin advertises for one MIG profile under the `mixed` strategy. */
export function migResource(profile: string): string {
  return `nvidia.com/mig-${profile}`;
}

/** GPUs of an instance type (from the catalog). */
export function gpusOf(instanceType: string): number {
  return findInstanceType(instanceType)?.gpuCount ?? 0;
}

/** MIG instances of each profile one node of the type offers under a named layout. */
export function migSlicesPerNode(instanceType: string, layoutName: string): Record<string, number> {
  const gpu = migGpuOf(instanceType);
  const layout = gpu?.layouts[layoutName];
  if (!gpu || !layout) throw new Error(`${instanceType}: no MIG layout ${layoutName} (constructs/catalog/mig.ts)`);
  return Object.fromEntries(Object.entries(layout).map(([profile, n]) => [profile, n * gpusOf(instanceType)]));
}
