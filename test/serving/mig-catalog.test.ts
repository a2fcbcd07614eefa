// The MIG catalog (constructs/catalog/mig.ts) against the GPU Operator v26.7.0's own mig-parted config, and against
// Karpenter's instance catalog: every layout the platform offers is one mig-manager applies to that GPU, with the
// same profile counts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findInstanceType } from "../../constructs/catalog/instance-types";
import { MIG_GPUS, migGpuOf, migSlicesPerNode, type MigGpu } from "../../constructs/catalog/mig";

interface MigPartedEntry {
  readonly "device-filter"?: string | readonly string[];
  readonly devices: string | readonly number[];
  readonly "mig-enabled": boolean;
  readonly "mig-devices"?: Record<string, number>;
}

const upstream = JSON.parse(readFileSync(join(__dirname, "../fixtures/upstream/gpu-operator-mig-parted-config.json"), "utf8"));
const configs = upstream.data["mig-configs"] as Record<string, MigPartedEntry[]>;

/** The entry of a named config mig-parted applies to a GPU: the one whose device-filter names it, else an unfiltered one. */
function entryFor(config: string, pciDeviceId: string): MigPartedEntry | undefined {
  const entries = configs[config] ?? [];
  const filters = (e: MigPartedEntry) => [e["device-filter"] ?? []].flat();
  return entries.find((e) => filters(e).includes(pciDeviceId)) ?? entries.find((e) => e["device-filter"] === undefined);
}

/** Where a catalog GPU disagrees with the upstream config. */
function disagreements(gpu: MigGpu): string[] {
  return Object.entries(gpu.layouts).flatMap(([name, layout]) => {
    const entry = entryFor(name, gpu.pciDeviceId);
    if (!entry) return [`${gpu.name} ${name}: no entry for ${gpu.pciDeviceId}`];
    if (entry.devices !== "all" || entry["mig-enabled"] !== true) return [`${gpu.name} ${name}: not MIG on all devices`];
    return JSON.stringify(entry["mig-devices"]) === JSON.stringify(Object.fromEntries(Object.entries(layout).sort())) ? [] : [`${gpu.name} ${name}: upstream ${JSON.stringify(entry["mig-devices"])}, catalog ${JSON.stringify(layout)}`];
  });
}

describe("the MIG catalog", () => {
  test("the fixture is gpu-operator v26.7.0's default-mig-parted-config, unedited (its hash matches)", () => {
    expect(upstream.source).toEqual(expect.objectContaining({ repository: "github.com/NVIDIA/gpu-operator", ref: "v26.7.0", commit: expect.stringMatching(/^[0-9a-f]{40}$/), blob: expect.stringMatching(/^[0-9a-f]{40}$/) }));
    expect(createHash("sha256").update(JSON.stringify(upstream.data)).digest("hex")).toBe(upstream.sha256);
  });

  test("every layout is the one mig-manager applies to that GPU's PCI id, profile for profile", () => {
    expect(MIG_GPUS.flatMap(disagreements)).toEqual([]);
    // A100-40GB holds four 1g.10gb instances, not the seven of the 80 GB parts: the device filter decides.
    const wrong: MigGpu = { ...MIG_GPUS[0], layouts: { "all-1g.10gb": { "1g.10gb": 7 } } };
    expect(disagreements(wrong)).toEqual(['A100-SXM4-40GB all-1g.10gb: upstream {"1g.10gb":4}, catalog {"1g.10gb":7}']);
  });

  test("its instance types have the GPU memory Karpenter's catalog gives them, and only P-family types have MIG", () => {
    const mismatched = MIG_GPUS.flatMap((g) => g.instanceTypes.filter((t) => findInstanceType(t)?.gpuMemoryMiB !== g.gpuMemoryMiB).map((t) => `${t}: ${findInstanceType(t)?.gpuMemoryMiB} != ${g.gpuMemoryMiB}`));
    expect(mismatched).toEqual([]);
    expect(MIG_GPUS.flatMap((g) => g.instanceTypes).every((t) => /^p[456]/.test(t))).toBe(true);
    for (const t of ["g5.xlarge", "g6.12xlarge", "g6e.48xlarge"]) expect(migGpuOf(t)).toBeUndefined();
  });

  test("slices per node multiply the layout by the GPUs of the type", () => {
    expect(migSlicesPerNode("p5.48xlarge", "all-1g.10gb")).toEqual({ "1g.10gb": 56 });
    expect(migSlicesPerNode("p4d.24xlarge", "all-balanced")).toEqual({ "1g.5gb": 16, "2g.10gb": 8, "3g.20gb": 8 });
    expect(() => migSlicesPerNode("p4d.24xlarge", "all-1g.18gb")).toThrow(/no MIG layout all-1g.18gb/);
  });
});
