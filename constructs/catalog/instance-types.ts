import { INSTANCE_ROWS } from "./instance-types.generated";

/** One EC2 instance type as Karpenter models it (AL2023 allocatable figures). */
export interface InstanceTypeInfo {
  readonly name: string;
  readonly family: string;
  readonly arch: string;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly gpuCount: number;
  readonly gpuName: string;
  readonly gpuMemoryMiB: number;
  /** Maximum EFA interfaces (`vpc.amazonaws.com/efa`); 0 when the type has no EFA. */
  readonly efaInterfaces: number;
  readonly maxPods: number;
  readonly localNvmeGiB: number;
}

const byName = new Map<string, InstanceTypeInfo>();
const byFamily = new Map<string, InstanceTypeInfo[]>();
for (const [name, arch, vcpu, memoryMiB, gpuCount, gpuName, gpuMemoryMiB, efaInterfaces, maxPods, localNvmeGiB] of INSTANCE_ROWS) {
  const family = name.slice(0, name.indexOf("."));
  const info: InstanceTypeInfo = { name, family, arch, vcpu, memoryMiB, gpuCount, gpuName, gpuMemoryMiB, efaInterfaces, maxPods, localNvmeGiB };
  byName.set(name, info);
  const members = byFamily.get(family) ?? [];
  members.push(info);
  byFamily.set(family, members);
}

/** The catalog entry for an instance type, or undefined when the type is unknown. */
export function findInstanceType(name: string): InstanceTypeInfo | undefined {
  return byName.get(name);
}

/** The catalog entry for an instance type; throws when it is unknown (callers validate first). */
export function instanceType(name: string): InstanceTypeInfo {
  const info = byName.get(name);
  if (!info) throw new Error(`unknown instance type "${name}"`);
  return info;
}

/** Every instance type of a family (for example `g6e`), or an empty list for an unknown family. */
export function instanceTypesOfFamily(family: string): readonly InstanceTypeInfo[] {
  return byFamily.get(family) ?? [];
}

/** True when the family exists in the catalog. */
export function isKnownFamily(family: string): boolean {
  return byFamily.has(family);
}
