import type { z } from "zod";
import { migGpuOf } from "../../constructs/catalog/mig";
import { findInstanceType } from "../../constructs/catalog/instance-types";
import { dedicatedGpuPools, gpuFlavors, type FlavorSource } from "../../constructs/tenancy/flavors";
import { deliveryGpuDemand, type DeliveryEnv } from "./delivery-schema";
import { RAY_SERVE_GPUS_PER_WORKER, rayServeMaxGpusPerPool, type RayDemandEnv } from "./ray-demand";
import { poolOfModel, servingPools, SHARED_GPU_POOL_NAME, type GpuSharing, type llmSettings, type sharedGpuPoolSettings } from "./serving-schema";
import { cohortQueues, type TeamsSettings } from "./tenancy-schema";

/**
 * The GPU ledger (issues 15 and 16): per pool and per resource unit the pool's nodes advertise (`nvidia.com/gpu`,
 * whole or time-sliced, or `nvidia.com/mig-<profile>`), every workload that may claim some at once, at its worst case:
 * Triton's models at the peak of their canaries, each vLLM model at `replicas.max`, the Ray Serve template's workers
 * at their maximum, and the Kueue queues' nominal quotas (teams, then Kubeflow Pipelines). Nothing else adds GPUs up:
 * the schema's refinement, the cost report and the review all read this module, so a pool cannot be promised twice.
 *
 * What a pool holds is in the unit its pods request: Karpenter's NodePool limit counts physical GPUs, the device
 * plugin advertises each of them `replicas` times when time-sliced, and as its MIG layout's slices under MIG.
 */

const NO_SHARING: GpuSharing = { mode: "none" };

/** What the ledger reads of an environment. */
export type LedgerEnv = FlavorSource &
  DeliveryEnv & {
    readonly compute: FlavorSource["compute"] & {
      readonly gpuSharing: Partial<Record<string, GpuSharing>>;
      readonly sharedGpuPool?: z.output<typeof sharedGpuPoolSettings>;
    };
    readonly ml: DeliveryEnv["ml"] & { readonly llm: z.output<typeof llmSettings>; readonly ray: RayDemandEnv["ml"]["ray"] };
    readonly teams: TeamsSettings;
  };

/** A pool that provides GPUs, with what bounds it. */
export interface LedgerPool {
  /** The NodePool or node group name (`node.ml-platform.io/pool`). */
  readonly name: string;
  /** `karpenter`: a NodePool `nvidia.com/gpu` limit; `node-group`: an EKS managed node group's max size x GPUs. */
  readonly kind: "karpenter" | "node-group";
  /** Physical GPUs the pool may hold. */
  readonly gpus: number;
  readonly instanceTypes: readonly string[];
  readonly sharing: GpuSharing;
  /** The field that sets the limit, and its value (a node group's max size). */
  readonly limitPath: readonly PropertyKey[];
  readonly limitValue: number;
  /** Fields that define the pool: while one of them is reported, its capacity is unknown and it is not checked. */
  readonly definedBy: ReadonlyArray<readonly PropertyKey[]>;
}

/**
 * The environment's GPU pools, in a fixed order: inference, training, EFA, shared-GPU. One function so that a new kind
 * of pool (for example one dedicated to a team) is added here and nowhere else.
 */
export function ledgerPools(env: LedgerEnv): LedgerPool[] {
  const c = env.compute;
  const sharing = (pool: string) => c.gpuSharing[pool] ?? NO_SHARING;
  const pools: LedgerPool[] = [
    {
      name: "gpu-inference",
      kind: "karpenter",
      gpus: c.gpuInferencePool.limits.gpus,
      instanceTypes: servingPools(env)[0].instanceTypes,
      sharing: sharing("gpu-inference"),
      limitPath: ["compute", "gpuInferencePool", "limits", "gpus"],
      limitValue: c.gpuInferencePool.limits.gpus,
      definedBy: [["compute", "gpuInferencePool"], ["compute", "gpuSharing", "gpu-inference"]],
    },
  ];
  if (c.gpuTrainingPool) {
    const t = c.gpuTrainingPool;
    pools.push({ name: "gpu-training", kind: "karpenter", gpus: t.limits.gpus, instanceTypes: t.instanceTypes, sharing: sharing("gpu-training"), limitPath: ["compute", "gpuTrainingPool", "limits", "gpus"], limitValue: t.limits.gpus, definedBy: [["compute", "gpuTrainingPool"], ["compute", "gpuSharing", "gpu-training"]] });
  }
  const efa = c.efa;
  const efaDefinedBy = [["compute", "efa"], ["compute", "gpuSharing", "efa-training"]];
  if (efa.mode === "karpenter") {
    pools.push({ name: "efa-training", kind: "karpenter", gpus: efa.limits.gpus, instanceTypes: efa.instanceTypes, sharing: sharing("efa-training"), limitPath: ["compute", "efa", "limits", "gpus"], limitValue: efa.limits.gpus, definedBy: efaDefinedBy });
  } else if (efa.mode === "managed-node-group") {
    const counts = efa.instanceTypes.map((t) => findInstanceType(t)?.gpuCount ?? 0);
    const fewest = counts.length ? Math.min(...counts) : 0;
    pools.push({ name: "efa-training", kind: "node-group", gpus: efa.maxSize * fewest, instanceTypes: efa.instanceTypes, sharing: sharing("efa-training"), limitPath: ["compute", "efa", "maxSize"], limitValue: efa.maxSize, definedBy: efaDefinedBy });
  }
  if (c.sharedGpuPool) {
    const s = c.sharedGpuPool;
    pools.push({ name: SHARED_GPU_POOL_NAME, kind: "karpenter", gpus: s.limits.gpus, instanceTypes: s.instanceTypes, sharing: s.sharing, limitPath: ["compute", "sharedGpuPool", "limits", "gpus"], limitValue: s.limits.gpus, definedBy: [["compute", "sharedGpuPool"]] });
  }
  // Teams' dedicated pools: whole GPUs, all of them the owner's nominal quota (cohortQueues).
  for (const d of dedicatedGpuPools(env.teams)) {
    const i = env.teams.tenants.findIndex((t) => t.name === d.owner);
    const path = ["teams", "tenants", i, "dedicatedPool"];
    pools.push({ name: d.pool.name, kind: "karpenter", gpus: d.gpuLimit, instanceTypes: d.flavors.flatMap((f) => f.instanceTypes.map((t) => t.name)), sharing: NO_SHARING, limitPath: [...path, "gpus"], limitValue: d.gpuLimit, definedBy: [path] });
  }
  return pools;
}

/** How many of `unit` one GPU of the pool gives: the fewest any of its instance types gives (0: not advertised). */
export function unitsPerGpu(pool: Pick<LedgerPool, "sharing" | "instanceTypes">, unit: string): number {
  const s = pool.sharing;
  if (s.mode === "none") return unit === "nvidia.com/gpu" ? 1 : 0;
  if (s.mode === "time-slicing") return unit === "nvidia.com/gpu" ? s.replicas : 0;
  const perGpu = pool.instanceTypes.map((t) => {
    const layout = migGpuOf(t)?.layouts[s.layouts[t] ?? ""] ?? {};
    if (s.strategy === "single") return unit === "nvidia.com/gpu" ? (Object.values(layout)[0] ?? 0) : 0;
    return layout[unit.replace(/^nvidia\.com\/mig-/, "")] ?? 0;
  });
  return perGpu.length ? Math.min(...perGpu) : 0;
}

/** How many of `unit` the pool holds at its limit. */
export function poolCapacity(pool: Pick<LedgerPool, "gpus" | "sharing" | "instanceTypes">, unit: string): number {
  return pool.gpus * unitsPerGpu(pool, unit);
}

/** Who claims GPUs. */
export type ClaimantKind = "triton" | "vllm" | "ray-serve" | "team" | "pipelines";

/** One workload's worst-case claim on one pool. */
export interface GpuClaim {
  readonly kind: ClaimantKind;
  /** `triton churn`, `vllm llama-8b`, `ray-serve`, `team vision`, `pipelines`. */
  readonly claimant: string;
  readonly pool: string;
  readonly unit: string;
  readonly units: number;
  /** How the number is reached, for people: `6 pods x 1 at the canary peak`. */
  readonly basis: string;
  /** The field a user changes to lower the claim, and its value. */
  readonly path: readonly PropertyKey[];
  readonly value: unknown;
  /** The Kueue flavor of a queue's quota. */
  readonly flavor?: string;
}

const GPU = "nvidia.com/gpu";

/** Triton: each served model's Rollout at the peak of its canary, on the inference pool. */
function tritonClaims(env: LedgerEnv): GpuClaim[] {
  const per = env.ml.triton.gpusPerReplica;
  return deliveryGpuDemand(env).perModel.map((m, i) => ({
    kind: "triton" as const,
    claimant: `triton ${m.model}`,
    pool: "gpu-inference",
    unit: GPU,
    units: m.gpus,
    basis: `${m.pods} pods x ${per} at the canary peak`,
    path: ["delivery", "models", i],
    value: m.model,
  }));
}

/** vLLM: each model at `replicas.max`, in the unit its pool advertises; none when its placement is invalid (reported on its own fields). */
function vllmClaims(env: LedgerEnv): GpuClaim[] {
  return env.ml.llm.models.flatMap((m, i): GpuClaim[] => {
    const pool = poolOfModel(env, m);
    if (!pool) return [];
    const count = m.gpu.count ?? m.tensorParallelSize;
    const s = pool.sharing;
    let unit = GPU;
    if (m.gpu.migProfile !== undefined && !(s.mode === "mig" && s.strategy === "mixed")) return [];
    if (s.mode === "mig") {
      const layout = migGpuOf(m.gpu.instanceType)?.layouts[s.layouts[m.gpu.instanceType] ?? ""];
      if (!layout) return [];
      if (s.strategy === "mixed") {
        if (m.gpu.migProfile === undefined || !(m.gpu.migProfile in layout)) return [];
        unit = `nvidia.com/mig-${m.gpu.migProfile}`;
      }
    }
    const base = { kind: "vllm" as const, claimant: `vllm ${m.name}`, pool: pool.name, unit, path: ["ml", "llm", "models", i, "replicas", "max"], value: m.replicas.max };
    return [{ ...base, units: m.replicas.max * count, basis: `${m.replicas.max} replicas x ${count}` }];
  });
}

/**
 * Ray Serve: the RayService template's GPU workers at their maximum, `ml.ray.serve.maxWorkers` (environments/lib/
 * ray-demand.ts). Ray's training templates run in the team queues, inside their quotas, and claim nothing here.
 */
export function rayServeClaims(env: LedgerEnv): GpuClaim[] {
  const workers = env.ml.ray.serve.maxWorkers;
  return Object.entries(rayServeMaxGpusPerPool(env)).map(([pool, gpus]) => ({
    kind: "ray-serve" as const,
    claimant: "ray-serve",
    pool,
    unit: GPU,
    units: gpus,
    basis: `${workers} workers x ${RAY_SERVE_GPUS_PER_WORKER}`,
    path: ["ml", "ray", "serve", "maxWorkers"],
    value: workers,
  }));
}

/** The queues' nominal quotas (what Kueue guarantees), on their flavors' pools; unknown flavors are reported by the teams rules. */
function queueClaims(env: LedgerEnv): GpuClaim[] {
  const flavors = new Map(gpuFlavors(env).map((f) => [f.name, f]));
  return cohortQueues(env.teams).flatMap((q) =>
    Object.entries(q.gpus).flatMap(([flavor, quota]): GpuClaim[] => {
      const f = flavors.get(flavor);
      // Another queue naming a team's dedicated flavor is reported by the dedicated-pool rules.
      if (!f || quota.nominal === 0 || (f.owner !== undefined && f.owner !== q.name)) return [];
      const pool = f.pool.name;
      const kind = q.path[1] === "pipelines" ? "pipelines" : "team";
      const claimant = kind === "team" ? `team ${q.name}` : "pipelines";
      return [{ kind, claimant, pool, unit: GPU, units: quota.nominal, basis: "nominal quota", path: [...q.path, flavor, "nominal"], value: quota.nominal, flavor }];
    }),
  );
}

/**
 * Every claim: the services first (they run whatever the queues do), the Ray Serve template (rarely changed) before the
 * models (often added), then the queues in file order. A pool over its limit is reported on the claim that crosses it,
 * so this order decides which field carries the message.
 */
export function gpuClaims(env: LedgerEnv): GpuClaim[] {
  return [...rayServeClaims(env), ...tritonClaims(env), ...vllmClaims(env), ...queueClaims(env)];
}

/** One pool's account of one unit. */
export interface LedgerEntry {
  readonly pool: LedgerPool;
  readonly unit: string;
  /** What the pool holds of the unit at its limit. */
  readonly capacity: number;
  readonly claims: readonly GpuClaim[];
  readonly claimed: number;
}

/** Per pool and unit (pool order, then unit order of first claim): the claims against the capacity. */
export function gpuLedger(env: LedgerEnv): LedgerEntry[] {
  const pools = ledgerPools(env);
  const claims = gpuClaims(env);
  return pools.flatMap((pool) => {
    const own = claims.filter((c) => c.pool === pool.name);
    const units = [...new Set(own.map((c) => c.unit))];
    return units.map((unit) => {
      const mine = own.filter((c) => c.unit === unit);
      return { pool, unit, capacity: poolCapacity(pool, unit), claims: mine, claimed: mine.reduce((n, c) => n + c.units, 0) };
    });
  });
}

/** A field path as the validation messages print it (`teams.tenants[0].gpus`). */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

/** How the pool's capacity in `unit` comes about, naming its limit field. */
export function capacityText(pool: LedgerPool, unit: string): string {
  const limit = `${fieldPath(pool.limitPath)} ${pool.limitValue}`;
  const physical = pool.kind === "node-group" ? `${limit} nodes, ${pool.gpus} GPUs` : `${limit} GPUs`;
  const s = pool.sharing;
  const per = unitsPerGpu(pool, unit);
  if (s.mode === "none") return physical;
  if (s.mode === "time-slicing") return `${physical} x ${per} time-slicing replicas per GPU`;
  return `${physical} x ${per} ${unit === GPU ? "MIG slices (single strategy)" : `${unit.replace(/^nvidia\.com\/mig-/, "")} slices`} per GPU`;
}

/** A claim as listed in messages: `team vision 8 (nominal quota; teams.tenants[0].gpus.gpu-training-l40s.nominal)`. */
export function claimText(c: GpuClaim): string {
  return `${c.claimant} ${c.units} (${c.basis}; ${fieldPath(c.path)})`;
}

/**
 * The one check that adds GPUs up: per pool and unit, the claims must fit what the pool holds at its limit. The issue
 * is reported on the claim that crosses the limit (in the order of {@link gpuClaims}), naming the pool,
 * its limit and every claim with its share. Pools whose own fields are already reported are not checked.
 */
export function refineGpuDemand(env: LedgerEnv, ctx: z.RefinementCtx): void {
  const reported = ctx.issues.map((i) => i.path ?? []);
  const under = (prefix: readonly PropertyKey[]) => reported.some((p) => prefix.every((k, i) => p[i] === k));
  // Triton's peak is meaningless while its scale or the canary steps are wrong.
  const tritonUnknown = under(["ml", "triton"]) || under(["delivery", "canary"]);
  for (const entry of gpuLedger(env)) {
    const { pool, unit, capacity } = entry;
    if (pool.definedBy.some(under) || !(Number.isInteger(pool.gpus) && pool.gpus > 0)) continue;
    const claims = entry.claims.filter((c) => !(c.kind === "triton" && tritonUnknown));
    let sum = 0;
    const crossing = claims.find((c) => (sum += c.units) > capacity);
    if (!crossing) continue;
    const total = claims.reduce((n, c) => n + c.units, 0);
    ctx.addIssue({
      code: "custom",
      path: [...crossing.path],
      input: crossing.value,
      message:
        `puts pool ${pool.name} over its limit: its worst-case claims add up to ${total} ${unit}, over the ${capacity} it holds (${capacityText(pool, unit)}): ` +
        `${claims.map(claimText).join(", ")}; lower one of them or raise ${fieldPath(pool.limitPath)}`,
    });
  }
}

/** One pool's account of one unit as plain data, for reports and reviews (`npm run cost -- --json`, `npm run review`). */
export interface LedgerRow {
  readonly pool: string;
  readonly unit: string;
  readonly capacity: number;
  /** How the capacity comes about, naming the limit field. */
  readonly holds: string;
  readonly claimed: number;
  readonly claims: ReadonlyArray<{ readonly claimant: string; readonly kind: ClaimantKind; readonly units: number; readonly basis: string; readonly field: string }>;
}

/** The ledger as plain rows. */
export function ledgerRows(env: LedgerEnv): LedgerRow[] {
  return gpuLedger(env).map((l) => ({
    pool: l.pool.name,
    unit: l.unit,
    capacity: l.capacity,
    holds: capacityText(l.pool, l.unit),
    claimed: l.claimed,
    claims: l.claims.map((c) => ({ claimant: c.claimant, kind: c.kind, units: c.units, basis: c.basis, field: fieldPath(c.path) })),
  }));
}
