import { instanceTypesOfFamily, findInstanceType, type InstanceTypeInfo } from "../catalog/instance-types";
import { EFA_TRAINING_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, POOL_LABEL, teamPool, type PodToleration, type PoolPlacement } from "../karpenter/pool-labels";

/**
 * Kueue ResourceFlavors of the platform's GPU pools: one per GPU type within the pool that provides it, named
 * `<pool>-<gpu>` (`gpu-training-l40s`, `efa-training-h100`). A flavor's node labels are the pool's label and, on
 * Karpenter pools, Karpenter's `karpenter.k8s.aws/instance-gpu-name` well-known label; its tolerations are the pool's
 * taints, so a workload Kueue admits on a flavor lands on that pool's nodes of that GPU type without naming either.
 * Teams' quotas name these flavors; pure functions of the environment's compute section (validation uses them too).
 */

/** Karpenter's well-known node label with the GPU's model name (lower case, as the catalog's `gpuName`). */
export const GPU_NAME_LABEL = "karpenter.k8s.aws/instance-gpu-name";

/** One GPU type within one pool. */
export interface GpuFlavor {
  /** `<pool>-<gpu>`: the ResourceFlavor's name and the key teams' quotas use. */
  readonly name: string;
  readonly pool: PoolPlacement;
  /** Karpenter's GPU name (`l4`, `a10g`, `l40s`, `a100`, `h100`, ...). */
  readonly gpuName: string;
  /** The pool's instance types with this GPU. */
  readonly instanceTypes: readonly InstanceTypeInfo[];
  /** Labels a node of this flavor carries (ResourceFlavor `nodeLabels`). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** The pool's taints, tolerated (ResourceFlavor `tolerations`). */
  readonly tolerations: readonly PodToleration[];
  /** The team whose dedicated pool this is: only its ClusterQueue lists the flavor. @default - a shared pool */
  readonly owner?: string;
}

/** A pool that provides GPUs, with the GPUs its limit lets Kueue's quotas promise. */
export interface GpuPool {
  readonly pool: PoolPlacement;
  /** `karpenter`: a NodePool with an `nvidia.com/gpu` limit; `node-group`: an EKS managed node group (max size x GPUs). */
  readonly kind: "karpenter" | "node-group";
  /** The NodePool's `nvidia.com/gpu` limit, or the node group's max size times the fewest GPUs of its types. */
  readonly gpuLimit: number;
  readonly flavors: readonly GpuFlavor[];
  /** The team whose dedicated pool this is (`teams.tenants[].dedicatedPool`). @default - shared by the cohort */
  readonly owner?: string;
}

/** The teams' dedicated pools as the flavors read them (`teams.tenants[].dedicatedPool`). */
export interface DedicatedPoolSource {
  readonly tenants: ReadonlyArray<{ readonly name: string; readonly dedicatedPool?: { readonly instanceTypes: readonly string[]; readonly gpus: number } }>;
}

/**
 * The parts of an environment the flavors derive from: the validated compute section. What else claims the pools' GPUs
 * (served models, vLLM, Ray Serve) is added up with the queues' quotas in environments/lib/gpu-demand.ts.
 */
export interface FlavorSource {
  readonly compute: {
    readonly gpuInferencePool: { readonly instanceFamilies: readonly string[]; readonly limits: { readonly gpus: number } };
    readonly gpuTrainingPool?: { readonly instanceTypes: readonly string[]; readonly limits: { readonly gpus: number } };
    readonly efa:
      | { readonly mode: "disabled" }
      | { readonly mode: "karpenter"; readonly instanceTypes: readonly string[]; readonly limits: { readonly gpus: number } }
      | { readonly mode: "managed-node-group"; readonly instanceTypes: readonly string[]; readonly maxSize: number };
  };
  /** @default - no team-dedicated pools */
  readonly teams?: DedicatedPoolSource;
}

function flavorsOf(pool: PoolPlacement, types: readonly InstanceTypeInfo[], labelGpu: boolean): GpuFlavor[] {
  const gpuTypes = types.filter((t) => t.gpuCount > 0 && t.gpuName);
  const names = [...new Set(gpuTypes.map((t) => t.gpuName))].sort();
  if (!labelGpu) {
    // A managed node group's nodes carry no per-type GPU label: one flavor for the group, named by its GPU types.
    return names.length ? [{ name: `${pool.name}-${names.join("-")}`, pool, gpuName: names.join("-"), instanceTypes: gpuTypes, nodeLabels: { [POOL_LABEL]: pool.name }, tolerations: pool.tolerations }] : [];
  }
  return names.map((gpu) => ({
    name: `${pool.name}-${gpu}`,
    pool,
    gpuName: gpu,
    instanceTypes: gpuTypes.filter((t) => t.gpuName === gpu),
    nodeLabels: { [POOL_LABEL]: pool.name, [GPU_NAME_LABEL]: gpu },
    tolerations: pool.tolerations,
  }));
}

const known = (names: readonly string[]) => names.map(findInstanceType).filter((t): t is InstanceTypeInfo => t !== undefined);

/** The GPU pools of an environment and their flavors, in a fixed order (inference, training, EFA). */
export function gpuPools(env: FlavorSource): GpuPool[] {
  const c = env.compute;
  const inference = c.gpuInferencePool.instanceFamilies.flatMap((f) => [...instanceTypesOfFamily(f)]);
  const pools: GpuPool[] = [
    {
      pool: GPU_INFERENCE_POOL,
      kind: "karpenter",
      gpuLimit: c.gpuInferencePool.limits.gpus,
      flavors: flavorsOf(GPU_INFERENCE_POOL, inference, true),
    },
  ];
  if (c.gpuTrainingPool) {
    pools.push({ pool: GPU_TRAINING_POOL, kind: "karpenter", gpuLimit: c.gpuTrainingPool.limits.gpus, flavors: flavorsOf(GPU_TRAINING_POOL, known(c.gpuTrainingPool.instanceTypes), true) });
  }
  if (c.efa.mode === "karpenter") {
    pools.push({ pool: EFA_TRAINING_POOL, kind: "karpenter", gpuLimit: c.efa.limits.gpus, flavors: flavorsOf(EFA_TRAINING_POOL, known(c.efa.instanceTypes), true) });
  } else if (c.efa.mode === "managed-node-group") {
    const types = known(c.efa.instanceTypes);
    const fewest = types.length ? Math.min(...types.map((t) => t.gpuCount)) : 0;
    pools.push({ pool: EFA_TRAINING_POOL, kind: "node-group", gpuLimit: c.efa.maxSize * fewest, flavors: flavorsOf(EFA_TRAINING_POOL, types, false) });
  }
  pools.push(...(env.teams ? dedicatedGpuPools(env.teams) : []));
  return pools;
}

/** The team-dedicated pools, in the teams' order: one Karpenter pool each, whose flavors only the owner may list. */
export function dedicatedGpuPools(teams: DedicatedPoolSource): GpuPool[] {
  return teams.tenants.flatMap((t) => {
    if (!t.dedicatedPool) return [];
    const pool = teamPool(t.name);
    const flavors = flavorsOf(pool, known(t.dedicatedPool.instanceTypes), true).map((f) => ({ ...f, owner: t.name }));
    return [{ pool, kind: "karpenter" as const, gpuLimit: t.dedicatedPool.gpus, flavors, owner: t.name }];
  });
}

/** Every GPU flavor of an environment, in pool order, then by GPU name. */
export function gpuFlavors(env: FlavorSource): GpuFlavor[] {
  return gpuPools(env).flatMap((p) => p.flavors);
}
