import { z } from "zod";
import { findInstanceType, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import { GPU_INFERENCE_POOL, GPU_TRAINING_POOL } from "../../constructs/karpenter/pool-labels";
import { DCGM_HOST_ENGINE_INSTANCE_TYPES, hostEngineRunsOn } from "../../constructs/resilience/dcgm-host-engine";
import { gpuPools as flavorPools, type DedicatedPoolSource, type FlavorSource } from "../../constructs/tenancy/flavors";
import { FSX_DEPLOYMENT_TYPES, fsxCapacityProblem, fsxThroughputProblem } from "../../constructs/storage/fsx-lustre-rules";
import type { ComputeSettings } from "./compute-schema";
import { positiveInt } from "./fields";

/**
 * The `resilience` section (issue 17, docs/resilience.md): node health and repair, shared storage for datasets and
 * checkpoints, resumable training and capacity fallback. Every field has a default, so an environment may omit it.
 */

const reservationId = z.string().regex(/^cr-[0-9a-f]{17}$/, "must be a capacity reservation id like cr-0123456789abcdef0");

/** One reservation of the EFA instance type: its id and how many instances it holds. */
const reservation = z.strictObject({ id: reservationId, instanceCount: positiveInt });

const fsxSettings = z.strictObject({
  deploymentType: z.enum(FSX_DEPLOYMENT_TYPES).default("PERSISTENT_2"),
  /** GiB: 1200 or a multiple of 2400. */
  storageCapacityGiB: positiveInt,
  /** MB/s per TiB of storage: 125, 250, 500 or 1000 for PERSISTENT_2. */
  perUnitStorageThroughput: positiveInt,
  /** The one AZ of the file system; it must be the EFA AZ, so training traffic never crosses zones. @default - the EFA AZ */
  availabilityZone: z.string().optional(),
  /** Daily automatic backups kept this many days (0: none); production needs at least 1. @default - 7 in production, else 0 */
  automaticBackupRetentionDays: z.number().int().min(0).max(90).optional(),
  dataCompressionType: z.enum(["LZ4", "NONE"]).default("LZ4"),
});

export const resilienceSettings = z.strictObject({
  /** The eks-node-monitoring-agent add-on, whose DCGM agent is the GPU nodes' one DCGM host engine. */
  nodeMonitoring: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  /** Karpenter's nodeRepair feature gate and node_repair_config on the managed node groups. */
  nodeRepair: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  storage: z
    .strictObject({
      /** FSx for Lustre for datasets and checkpoints, linked to the training bucket. @default - none */
      fsx: fsxSettings.optional(),
      /** Mountpoint for S3: datasets read-only, and checkpoints when there is no FSx file system. */
      mountpoint: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    })
    .prefault({}),
  checkpoints: z
    .strictObject({
      /** How often jobs are expected to checkpoint (CHECKPOINT_INTERVAL_SECONDS); a node replacement loses at most this. */
      intervalMinutes: positiveInt.default(30),
      /** Whole-job restarts after application failures (JobSet failurePolicy.maxRestarts); node loss does not count. */
      maxRestarts: z.number().int().min(0).max(100).default(3),
    })
    .prefault({}),
  /**
   * Reserved EFA capacity tried before the on-demand EFA pool: Capacity Blocks first, then On-Demand Capacity
   * Reservations, each in its own weighted NodePool without the placement group. @default - on-demand only
   */
  capacityFallback: z
    .strictObject({
      capacityBlocks: z.array(reservation).default([]),
      capacityReservations: z.array(reservation).default([]),
    })
    .optional(),
});

export type ResilienceSettings = z.output<typeof resilienceSettings>;

/** The FSx file system's zone: as set, or the EFA zone (validation guarantees they agree). */
export function fsxZone(env: { readonly compute: ComputeSettings; readonly resilience: ResilienceSettings }): string | undefined {
  const fsx = env.resilience.storage.fsx;
  if (!fsx) return undefined;
  return fsx.availabilityZone ?? (env.compute.efa.mode === "disabled" ? undefined : env.compute.efa.availabilityZones[0]);
}

/** Days of FSx backups: as set, or 7 in production and none elsewhere. */
export function fsxBackupDays(env: { readonly tier: string; readonly resilience: ResilienceSettings }): number {
  return env.resilience.storage.fsx?.automaticBackupRetentionDays ?? (env.tier === "production" ? 7 : 0);
}

/**
 * The GPU pools where a pod that mounts the FSx claims may land, so each gets the FSx CSI driver's startup taint and
 * the file system's zone (issue 17.3): every GPU pool but the inference pool. The TrainJob runtimes mount the claims on
 * the GPU training and EFA pools, and `torch-distributed` with GPUs on a team's dedicated pool (docs/tenancy.md); the
 * teams' Ray templates on their dedicated pool, EFA or GPU training, and never on the inference pool while there is
 * FSx (environments/lib/ray-demand.ts), which serving keeps in every zone. Empty without FSx. A managed EFA node group
 * is in the list but takes neither (its zone is the EFA subnet's; startup taints are Karpenter's).
 */
export function fsxMountingPools(env: FlavorSource & { readonly resilience: ResilienceSettings }): string[] {
  if (!env.resilience.storage.fsx) return [];
  return flavorPools(env)
    .map((p) => p.pool.name)
    .filter((name) => name !== GPU_INFERENCE_POOL.name);
}

/** What the resilience rules read besides their own section. */
interface ResilienceContext extends FlavorSource {
  readonly tier: string;
  readonly compute: ComputeSettings;
  readonly cluster: { readonly systemNodeGroup: { readonly maxSize: number } };
  readonly resilience: ResilienceSettings;
  readonly teams: DedicatedPoolSource;
}

type Issue = (path: PropertyKey[], input: unknown, message: string) => void;

/** A GPU pool as the rules see it. */
interface GpuPool {
  /** Where its size is set: the GPU limit of a NodePool, the maxSize of a node group. */
  readonly path: PropertyKey[];
  /** Where its instance types are set. */
  readonly typesPath: PropertyKey[];
  readonly types: readonly InstanceTypeInfo[];
  readonly gpus?: number;
  readonly maxSize?: number;
}

/**
 * Every GPU pool of the environment, teams' dedicated pools included: the Kueue flavors' list (constructs/tenancy/
 * flavors.ts `gpuPools`), so a new kind of pool is added there once, with the fields that set each pool's size and types.
 */
function gpuPools(env: ResilienceContext): GpuPool[] {
  const c = env.compute;
  // The shared-GPU pool (MIG or time-sliced, compute.sharedGpuPool) has no Kueue flavor: its slices are not queued.
  const shared: GpuPool[] = c.sharedGpuPool
    ? [{ path: ["compute", "sharedGpuPool", "limits", "gpus"], typesPath: ["compute", "sharedGpuPool", "instanceTypes"], types: c.sharedGpuPool.instanceTypes.map(findInstanceType).filter((t): t is InstanceTypeInfo => t !== undefined), gpus: c.sharedGpuPool.limits.gpus }]
    : [];
  return [...flavorPools(env).map((p): GpuPool => {
    const types = p.flavors.flatMap((f) => f.instanceTypes);
    if (p.owner !== undefined) {
      const at = ["teams", "tenants", env.teams.tenants.findIndex((t) => t.name === p.owner), "dedicatedPool"];
      return { path: [...at, "gpus"], typesPath: [...at, "instanceTypes"], types, gpus: p.gpuLimit };
    }
    if (p.pool.name === GPU_INFERENCE_POOL.name) return { path: ["compute", "gpuInferencePool", "limits", "gpus"], typesPath: ["compute", "gpuInferencePool", "instanceFamilies"], types, gpus: p.gpuLimit };
    if (p.pool.name === GPU_TRAINING_POOL.name) return { path: ["compute", "gpuTrainingPool", "limits", "gpus"], typesPath: ["compute", "gpuTrainingPool", "instanceTypes"], types, gpus: p.gpuLimit };
    const efaTypes = ["compute", "efa", "instanceTypes"];
    if (c.efa.mode === "managed-node-group") return { path: ["compute", "efa", "maxSize"], typesPath: efaTypes, types, maxSize: c.efa.maxSize };
    return { path: ["compute", "efa", "limits", "gpus"], typesPath: efaTypes, types, gpus: p.gpuLimit };
  }), ...shared];
}

/** Rules of the resilience section and what it requires of the rest of the environment (issue 17, "bad input"). */
export function refineResilience(env: ResilienceContext, ctx: z.RefinementCtx): void {
  const issue: Issue = (path, input, message) => ctx.addIssue({ code: "custom", path, input, message });
  const r = env.resilience;
  const c = env.compute;
  const efaZone = c.efa.mode === "disabled" ? undefined : c.efa.availabilityZones[0];

  const fsx = r.storage.fsx;
  if (fsx) {
    const at = (f: string) => ["resilience", "storage", "fsx", f];
    const throughput = fsxThroughputProblem(fsx.deploymentType, fsx.perUnitStorageThroughput);
    if (throughput) issue(at("perUnitStorageThroughput"), fsx.perUnitStorageThroughput, throughput);
    const capacity = fsxCapacityProblem(fsx.storageCapacityGiB);
    if (capacity) issue(at("storageCapacityGiB"), fsx.storageCapacityGiB, capacity);
    if (fsx.availabilityZone !== undefined ? fsx.availabilityZone !== efaZone : efaZone === undefined) {
      issue(
        at("availabilityZone"),
        fsx.availabilityZone ?? "(the EFA zone)",
        efaZone
          ? `has no EFA subnet: the file system must sit in the EFA availability zone (${efaZone}), so training traffic stays in one AZ`
          : "has no EFA subnet: compute.efa is disabled, and the file system must sit in the EFA availability zone",
      );
    }
    if (env.tier === "production" && fsx.automaticBackupRetentionDays === 0) {
      issue(at("automaticBackupRetentionDays"), fsx.automaticBackupRetentionDays, "must be at least 1 in production tier (daily backups of the checkpoints)");
    }
  }

  const fallback = r.capacityFallback;
  if (fallback) {
    const at = ["resilience", "capacityFallback"];
    if (c.efa.mode !== "karpenter" || c.efa.capacityType !== "on-demand") {
      issue(at, "(set)", "needs compute.efa.mode karpenter with capacityType on-demand: the reserved pools fall back to that on-demand pool");
    }
    if (!fallback.capacityBlocks.length && !fallback.capacityReservations.length) issue(at, "(empty)", "must list at least one Capacity Block or capacity reservation");
    const ids = [...fallback.capacityBlocks, ...fallback.capacityReservations].map((x) => x.id);
    if (new Set(ids).size !== ids.length) issue([...at, "capacityReservations"], ids, "must not repeat a reservation id");
  }

  if (r.nodeMonitoring.enabled) {
    for (const pool of gpuPools(env)) {
      // Types without GPUs are the compute rules' to reject; here only GPU types the host engine skips.
      const outside = pool.types.filter((t) => t.gpuCount > 0 && !hostEngineRunsOn(t)).map((t) => t.name);
      if (outside.length) {
        issue(pool.typesPath, outside, `includes types the node monitoring agent's DCGM host engine does not run on (${DCGM_HOST_ENGINE_INSTANCE_TYPES.length} supported, amd64 only): no GPU health or DCGM metrics there`);
      }
    }
  }

  if (env.tier === "production" && r.nodeRepair.enabled) {
    const tooSmall = (nodes: number) => nodes < 2;
    const why = "node repair replaces a pool's only node and leaves it with no capacity until the replacement joins; production pools need room for at least two nodes";
    for (const pool of gpuPools(env)) {
      if (pool.maxSize !== undefined) {
        if (tooSmall(pool.maxSize)) issue(pool.path, pool.maxSize, `is below 2 with resilience.nodeRepair.enabled: ${why}`);
        continue;
      }
      if (!pool.types.length) continue; // no known GPU type: the compute and teams rules report it
      const largest = Math.max(...pool.types.map((t) => t.gpuCount));
      const nodes = Math.floor((pool.gpus ?? 0) / largest);
      if (tooSmall(nodes)) issue(pool.path, pool.gpus, `holds ${nodes} node(s) of ${largest} GPUs with resilience.nodeRepair.enabled: ${why}`);
    }
    if (tooSmall(env.cluster.systemNodeGroup.maxSize)) issue(["cluster", "systemNodeGroup", "maxSize"], env.cluster.systemNodeGroup.maxSize, `is below 2 with resilience.nodeRepair.enabled: ${why}`);
    if (fallback) {
      for (const kind of ["capacityBlocks", "capacityReservations"] as const) {
        const total = fallback[kind].reduce((n, x) => n + x.instanceCount, 0);
        if (fallback[kind].length && tooSmall(total)) issue(["resilience", "capacityFallback", kind], total, `hold ${total} instance(s) with resilience.nodeRepair.enabled: ${why}`);
      }
    }
  }
}
