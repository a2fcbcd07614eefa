import type { InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import { EFA_TRAINING_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL } from "../../constructs/karpenter/pool-labels";
import { maxGpus } from "../../constructs/tenancy/cohort";
import { gpuFlavors, type GpuFlavor } from "../../constructs/tenancy/flavors";
import type { Environment } from "./schema";
import { cohortQueues } from "./tenancy-schema";

/**
 * The GPUs the Ray templates hold outside the queues (issue 15): the RayService in namespace `ray` is serving, not a
 * queued job, so its GPUs are a reservation on the inference pool, which the per-pool GPU-demand check adds to the
 * other serving workloads (vLLM, Triton). The training templates (RayJob, RayCluster) run in team namespaces through
 * the team's queue, inside its quota (teamRayWorkers: where, and how many), and reserve nothing on a pool.
 */

/** GPUs each Ray Serve worker requests (a whole GPU of the inference pool). */
export const RAY_SERVE_GPUS_PER_WORKER = 1;

/** The pool the RayService's workers run on. */
export const RAY_SERVE_POOL = "gpu-inference";

/** What ray-demand reads of an environment. */
export interface RayDemandEnv {
  readonly ml: { readonly ray: { readonly enabled: boolean; readonly serve: { readonly maxWorkers: number } } };
}

/**
 * The most GPUs the RayService takes per pool (pool name → GPUs): its workers at Ray's autoscaler maximum; nothing when
 * Ray is off. The head runs on the general pool without a GPU.
 */
export function rayServeMaxGpusPerPool(env: RayDemandEnv): Record<string, number> {
  const ray = env.ml.ray;
  return ray.enabled ? { [RAY_SERVE_POOL]: ray.serve.maxWorkers * RAY_SERVE_GPUS_PER_WORKER } : {};
}

/**
 * Shared pools Ray training workers prefer, best first: EFA, then the GPU training pool, then one GPU of the inference
 * pool. A team's own dedicated pool comes before all of them: it is paid for whether it runs or not.
 */
const WORKER_POOLS = [EFA_TRAINING_POOL.name, GPU_TRAINING_POOL.name, GPU_INFERENCE_POOL.name];

/**
 * Rank of a flavor for a team's Ray workers (lower is better; -1: its own dedicated pool; undefined: never). Not the
 * inference pool when there is FSx: the workers would mount its claims there, and that pool stays in every zone for
 * serving rather than take FSx's zone pin and startup taint (resilience-schema.ts `fsxMountingPools`).
 */
function workerRank(f: GpuFlavor, team: string, fsx: boolean): number | undefined {
  if (f.owner !== undefined) return f.owner === team ? -1 : undefined;
  if (fsx && f.pool.name === GPU_INFERENCE_POOL.name) return undefined;
  const i = WORKER_POOLS.indexOf(f.pool.name);
  return i < 0 ? undefined : i;
}

/** Where a team's Ray training workers run: one flavor its queue lists, what a worker takes and how many there are. */
export interface TeamRayWorkers {
  readonly flavor: GpuFlavor;
  /** The flavor's amd64 instance types (the Ray images used are amd64). */
  readonly instanceTypes: readonly InstanceTypeInfo[];
  readonly gpusPerWorker: number;
  readonly efaInterfacesPerWorker: number;
  readonly replicas: number;
}

/**
 * A team's Ray training workers: on the team's dedicated pool when it has one, else on the most training-capable
 * flavor its queue lists (EFA, GPU training, inference but not with FSx), the first that can hold one worker; a whole
 * node of the flavor's smallest type per worker on a training pool, one GPU on the inference pool;
 * `ml.ray.trainingWorkers` replicas, fewer when the queue can never hold that many (a gang Kueue could never admit
 * would wait forever). Undefined when Ray is off or no flavor of the queue can hold one worker.
 */
export function teamRayWorkers(env: Environment, team: string): TeamRayWorkers | undefined {
  if (!env.ml.ray.enabled) return undefined;
  const cohort = cohortQueues(env.teams);
  const own = cohort.find((q) => q.name === team)?.gpus ?? {};
  const fsx = env.resilience.storage.fsx !== undefined;
  const candidates = gpuFlavors(env)
    .filter((f) => own[f.name] && workerRank(f, team, fsx) !== undefined)
    .sort((a, b) => workerRank(a, team, fsx)! - workerRank(b, team, fsx)!);
  for (const flavor of candidates) {
    const instanceTypes = flavor.instanceTypes.filter((t) => t.arch === "amd64");
    if (!instanceTypes.length) continue;
    const gpusPerWorker = flavor.pool.name === GPU_INFERENCE_POOL.name ? 1 : Math.min(...instanceTypes.map((t) => t.gpuCount));
    const efaInterfacesPerWorker = flavor.pool.name === EFA_TRAINING_POOL.name ? Math.min(...instanceTypes.map((t) => t.efaInterfaces)) : 0;
    const replicas = Math.min(env.ml.ray.trainingWorkers, Math.floor(maxGpus(cohort, team, flavor.name) / gpusPerWorker));
    if (replicas >= 1) return { flavor, instanceTypes, gpusPerWorker, efaInterfacesPerWorker, replicas };
  }
  return undefined;
}
