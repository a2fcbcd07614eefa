import { z } from "zod";
import { MIG_GPUS, migGpuOf } from "../../constructs/catalog/mig";
import { findInstanceType, instanceTypesOfFamily } from "../../constructs/catalog/instance-types";
import { capacityTypes, duration, gpuInstanceType, positiveInt, uniqueList } from "./fields";

/**
 * LLM serving, Ray and GPU sharing (issue 15; docs/serving.md): `compute.gpuSharing` (per pool: none, time-slicing or
 * MIG), the optional `compute.sharedGpuPool` (a MIG/time-sliced pool of its own), `ml.llm` (vLLM models behind one
 * router) and `ml.ray` (the Ray templates). Rules across sections are in `refineServing`.
 */

/** Pools whose GPUs can be shared (the EFA pool is listed so that asking for it is rejected with a reason). */
export const SHAREABLE_POOLS = ["gpu-inference", "gpu-training", "efa-training"] as const;
export type ShareablePool = (typeof SHAREABLE_POOLS)[number];

/** Name of the optional shared-GPU pool (NodePool, EC2NodeClass, `node.ml-platform.io/pool` label). */
export const SHARED_GPU_POOL_NAME = "shared-gpu";

/** How one pool's GPUs are shared. */
export const gpuSharing = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("none") }),
  z.strictObject({
    /** The device plugin advertises each GPU `replicas` times (no memory or fault isolation between pods). */
    mode: z.literal("time-slicing"),
    replicas: z.number().int().min(2, "must be at least 2 (1 means no sharing)").max(16),
  }),
  z.strictObject({
    /** MIG instances made by the GPU Operator's mig-manager before the device plugin advertises them. */
    mode: z.literal("mig"),
    /** `single`: every slice is advertised as `nvidia.com/gpu`; `mixed`: as `nvidia.com/mig-<profile>`. */
    strategy: z.enum(["single", "mixed"]),
    /** Instance type → named layout of the GPU Operator's mig-parted config (constructs/catalog/mig.ts). */
    layouts: z.record(z.string(), z.string()),
  }),
]);
export type GpuSharing = z.output<typeof gpuSharing>;

/** `compute.gpuSharing`: sharing per existing pool, keyed by pool name. @default - no sharing anywhere */
export const gpuSharingSettings = z
  .strictObject({ "gpu-inference": gpuSharing.optional(), "gpu-training": gpuSharing.optional(), "efa-training": gpuSharing.optional() })
  .prefault({});

/** `compute.sharedGpuPool`: a Karpenter pool of MIG-capable (p4d/p5 class) or other GPU types whose GPUs are shared. */
export const sharedGpuPoolSettings = z.strictObject({
  instanceTypes: uniqueList(gpuInstanceType),
  capacityTypes,
  limits: z.strictObject({ gpus: positiveInt }),
  consolidateAfter: duration("10m").default("10m"),
  sharing: gpuSharing,
});

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,22}[a-z0-9])?$/, "must be a lowercase DNS label of at most 24 characters starting with a letter (it names the Deployment, Service and IAM role)");
const cpuQuantity = z.string().regex(/^[0-9]+(\.[0-9]+)?$|^[0-9]+m$/, "must be a Kubernetes CPU quantity like 4 or 1500m");

/** One model served by vLLM. */
export const llmModel = z.strictObject({
  name: dnsLabel,
  /** The name clients send as `model` (vLLM `--served-model-name`), for example `meta-llama/Llama-3.1-8B-Instruct`. */
  modelId: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, "must be a model name of letters, digits and . _ - / :"),
  /**
   * Where the weights are: a key prefix under `llm-weights/` of the environment's model bucket (safetensors, config
   * and tokenizer files, as `hf download` writes them); vLLM streams them from S3 (`--load-format runai_streamer`).
   */
  weights: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*[A-Za-z0-9]$/, "must be a key prefix under llm-weights/ (no s3://, no leading or trailing /)")
    .refine((v) => !v.split("/").some((p) => p === ".." || p === "." || p === ""), "must not contain empty, . or .. segments"),
  gpu: z.strictObject({
    /** Instance type the replicas run on (one node per replica); it must belong to a serving pool. */
    instanceType: gpuInstanceType,
    /** GPUs per replica. @default - tensorParallelSize */
    count: positiveInt.optional(),
    /** A MIG profile (`1g.10gb`) of a pool with MIG `mixed`: the replica requests `nvidia.com/mig-<profile>`. */
    migProfile: z.string().regex(/^[0-9]g\.[0-9]+gb$/, "must be a MIG profile like 1g.10gb").optional(),
  }),
  tensorParallelSize: positiveInt.default(1),
  maxModelLen: z.number().int().min(256).max(1_048_576),
  replicas: z.strictObject({ min: z.number().int().min(0), max: positiveInt }),
  cpu: cpuQuantity.default("4"),
  memoryGiB: z.number().int().min(4).max(2048).default(32),
  /** /dev/shm for tensor-parallel workers (NCCL), counted in the memory limit. */
  shmGiB: z.number().int().min(1).max(256).default(8),
  /** Fraction of the whole GPU vLLM reserves at start; on a time-sliced pool at most 1 / the pool's replicas. */
  gpuMemoryUtilization: z.number().min(0.1).max(0.98).default(0.9),
  autoscaling: z
    .strictObject({
      /** Scale out when more than this many requests wait per replica (`vllm:num_requests_waiting`, primary). */
      waitingPerReplica: z.number().int().min(1).max(1000).default(4),
      /** Scale out when the average KV-cache usage passes this percentage (`vllm:kv_cache_usage_perc`, secondary). */
      kvCacheUsagePercent: z.number().int().min(10).max(99).default(80),
    })
    .prefault({}),
});
export type LlmModel = z.output<typeof llmModel>;

/** `ml.llm`: vLLM models behind the production-stack router. */
export const llmSettings = z
  .strictObject({
    router: z
      .strictObject({
        replicas: z.number().int().min(1).max(10).default(1),
        routingLogic: z.enum(["roundrobin", "session", "prefixaware"]).default("roundrobin"),
        /** Request header naming the session (`--session-key`); required by, and only meaningful with, `session`. */
        sessionKey: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, "must be an HTTP header name of letters, digits and -").optional(),
      })
      .prefault({}),
    models: z.array(llmModel).default([]),
    /** LLM SLO alert thresholds (docs/serving.md). */
    alerts: z
      .strictObject({
        timeToFirstTokenP99Seconds: z.number().min(0.05).max(120).default(2),
        interTokenLatencyP99Seconds: z.number().min(0.005).max(10).default(0.1),
        waitingRequests: z.number().int().min(1).max(10000).default(20),
        kvCacheUsagePercent: z.number().int().min(50).max(100).default(95),
        forMinutes: z.number().int().min(1).max(1440).default(10),
      })
      .prefault({}),
  })
  .prefault({});

/** `ml.ray`: the Ray templates (docs/serving.md "Ray"). */
export const raySettings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * GPU workers of the training templates (RayJob, RayCluster) in each team namespace: a fixed gang Kueue admits at
     * once (one node each on a training pool), lowered for a team whose queue can never hold that many.
     */
    trainingWorkers: z.number().int().min(1).max(64).default(2),
    /** The RayService on the inference pool: one-GPU Serve workers from one up to `maxWorkers` (Ray's autoscaler). */
    serve: z.strictObject({ maxWorkers: z.number().int().min(1).max(64).default(2) }).prefault({}),
  })
  .prefault({});

/** What the serving rules read. */
interface ServingContext {
  readonly tier: string;
  readonly compute: {
    readonly gpuInferencePool: { readonly instanceFamilies: readonly string[]; readonly limits: { readonly gpus: number } };
    readonly gpuTrainingPool?: { readonly instanceTypes: readonly string[]; readonly limits: { readonly gpus: number } };
    readonly efa: { readonly mode: string };
    readonly gpuSharing: Partial<Record<ShareablePool, GpuSharing>>;
    readonly sharedGpuPool?: z.output<typeof sharedGpuPoolSettings>;
  };
  readonly ml: {
    readonly triton: { readonly maxReplicas: number; readonly gpusPerReplica: number };
    readonly llm: z.output<typeof llmSettings>;
  };
}

/** A serving pool's instance types and sharing, as the rules and the stacks see it. */
export interface ServingPool {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  readonly gpuLimit: number;
  readonly sharing: GpuSharing;
  /** Path of the pool's sharing setting, for messages. */
  readonly sharingPath: readonly PropertyKey[];
  readonly limitPath: readonly PropertyKey[];
}

const NO_SHARING: GpuSharing = { mode: "none" };

/** The pools vLLM may run on: the GPU inference pool and, when configured, the shared-GPU pool. */
export function servingPools(env: Pick<ServingContext, "compute">): ServingPool[] {
  const c = env.compute;
  const inferenceTypes = c.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f).filter((t) => t.gpuCount > 0 && t.arch === "amd64").map((t) => t.name));
  const pools: ServingPool[] = [
    { name: "gpu-inference", instanceTypes: inferenceTypes, gpuLimit: c.gpuInferencePool.limits.gpus, sharing: c.gpuSharing["gpu-inference"] ?? NO_SHARING, sharingPath: ["compute", "gpuSharing", "gpu-inference"], limitPath: ["compute", "gpuInferencePool", "limits", "gpus"] },
  ];
  if (c.sharedGpuPool) {
    pools.push({ name: SHARED_GPU_POOL_NAME, instanceTypes: c.sharedGpuPool.instanceTypes, gpuLimit: c.sharedGpuPool.limits.gpus, sharing: c.sharedGpuPool.sharing, sharingPath: ["compute", "sharedGpuPool", "sharing"], limitPath: ["compute", "sharedGpuPool", "limits", "gpus"] });
  }
  return pools;
}

/** The pool a model runs on: the shared-GPU pool when its type is there, else the inference pool if it has it. */
export function poolOfModel(env: Pick<ServingContext, "compute">, model: Pick<LlmModel, "gpu">): ServingPool | undefined {
  const pools = servingPools(env);
  return pools.find((p) => p.name === SHARED_GPU_POOL_NAME && p.instanceTypes.includes(model.gpu.instanceType)) ?? pools.find((p) => p.instanceTypes.includes(model.gpu.instanceType));
}

/** GPUs (physical, or a fraction for slices) one replica uses. */
export function gpusPerReplica(env: Pick<ServingContext, "compute">, model: Pick<LlmModel, "gpu" | "tensorParallelSize">): number {
  const count = model.gpu.count ?? model.tensorParallelSize;
  const pool = poolOfModel(env, model);
  if (!pool || pool.sharing.mode === "none") return count;
  if (pool.sharing.mode === "time-slicing") return count / pool.sharing.replicas;
  const layout = migGpuOf(model.gpu.instanceType)?.layouts[pool.sharing.layouts[model.gpu.instanceType] ?? ""] ?? {};
  const profile = model.gpu.migProfile ?? Object.keys(layout)[0];
  return count / (layout[profile] ?? 1);
}

const MIG_TYPES = MIG_GPUS.flatMap((g) => g.instanceTypes);

/** Rules of GPU sharing, the shared pool and the models (their fit in the pools' limits: environments/lib/gpu-demand.ts). */
export function refineServing(env: ServingContext, ctx: z.RefinementCtx): void {
  const issue = (path: readonly PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: [...path], input, message });
  const c = env.compute;
  const router = env.ml.llm.router;
  // production-stack vllm-stack-0.1.12 src/vllm_router/parsers/parser.py validate_args raises without --session-key.
  if (router.routingLogic === "session" && router.sessionKey === undefined) {
    issue(["ml", "llm", "router", "routingLogic"], router.routingLogic, "needs ml.llm.router.sessionKey (the request header that identifies a session): the router exits at start without --session-key");
  }
  if (router.routingLogic !== "session" && router.sessionKey !== undefined) {
    issue(["ml", "llm", "router", "sessionKey"], router.sessionKey, `is only used by routingLogic "session" (got "${router.routingLogic}")`);
  }
  const existing: Record<ShareablePool, readonly string[] | undefined> = {
    "gpu-inference": servingPools(env)[0].instanceTypes,
    "gpu-training": c.gpuTrainingPool?.instanceTypes,
    "efa-training": c.efa.mode === "disabled" ? undefined : [],
  };
  for (const pool of SHAREABLE_POOLS) {
    const sharing = c.gpuSharing[pool];
    if (!sharing || sharing.mode === "none") continue;
    const path = ["compute", "gpuSharing", pool, "mode"];
    if (pool === "efa-training") {
      issue(path, sharing.mode, "EFA training pools share no GPUs: their multi-node jobs need whole GPUs and the EFA devices of the node (time-slicing only where no EFA training runs)");
    } else if (!existing[pool]) {
      issue(path, sharing.mode, `the environment has no ${pool} pool`);
    } else {
      checkSharing(existing[pool]!, sharing, ["compute", "gpuSharing", pool], issue);
    }
  }
  const shared = c.sharedGpuPool;
  if (shared) {
    if (shared.sharing.mode === "none") issue(["compute", "sharedGpuPool", "sharing", "mode"], "none", "must be mig or time-slicing: the pool exists to share GPUs");
    else checkSharing(shared.instanceTypes, shared.sharing, ["compute", "sharedGpuPool", "sharing"], issue);
    const inference = new Set(servingPools(env)[0].instanceTypes);
    shared.instanceTypes.forEach((t, i) => {
      if (inference.has(t)) issue(["compute", "sharedGpuPool", "instanceTypes", i], t, "is also a gpu-inference pool type; a model's instance type must name exactly one pool");
    });
  }
  refineModels(env, issue);
}

type Issue = (path: readonly PropertyKey[], input: unknown, message: string) => void;

/** Checks one pool's MIG settings (a pool reported here is left out of the GPU ledger's check). */
function checkSharing(types: readonly string[], sharing: GpuSharing, at: readonly PropertyKey[], issue: Issue): void {
  if (sharing.mode !== "mig") return;
  const noMig = types.filter((t) => !migGpuOf(t));
  if (noMig.length) {
    issue([...at, "mode"], "mig", `${noMig.join(", ")} ${noMig.length > 1 ? "have" : "has"} no MIG-capable GPU (MIG exists on ${MIG_TYPES.join(", ")})`);
    return;
  }
  for (const t of types) {
    const layout = sharing.layouts[t];
    const gpu = migGpuOf(t)!;
    if (layout === undefined) issue([...at, "layouts", t], layout, `every instance type of a MIG pool needs a layout (for ${gpu.name}: ${Object.keys(gpu.layouts).join(", ")})`);
    else if (!gpu.layouts[layout]) issue([...at, "layouts", t], layout, `is not a MIG layout of ${gpu.name} (${Object.keys(gpu.layouts).join(", ")})`);
    else if (sharing.strategy === "single" && Object.keys(gpu.layouts[layout]).length > 1) issue([...at, "layouts", t], layout, "mixes profiles, which the single strategy cannot advertise as one resource: use mixed, or a layout of one profile");
  }
  for (const t of Object.keys(sharing.layouts)) if (!types.includes(t)) issue([...at, "layouts", t], sharing.layouts[t], "is not an instance type of this pool");
}

/** Models against their pools (what they add up to with the pools' other claims: environments/lib/gpu-demand.ts). */
function refineModels(env: ServingContext, issue: Issue): void {
  const models = env.ml.llm.models;
  const seen = new Set<string>();
  models.forEach((m, i) => {
    const at = ["ml", "llm", "models", i];
    if (seen.has(m.name)) issue([...at, "name"], m.name, "must be unique among the models");
    seen.add(m.name);
    if (m.replicas.min > m.replicas.max) issue([...at, "replicas", "min"], m.replicas.min, `must be at most replicas.max (${m.replicas.max})`);
    if (m.replicas.min === 0 && env.tier !== "development") {
      issue([...at, "replicas", "min"], 0, `must be at least 1 in ${env.tier} tier: scale-to-zero (cold starts of minutes while a GPU node and the weights arrive) is for development only`);
    }
    const type = findInstanceType(m.gpu.instanceType)!;
    if (m.tensorParallelSize > type.gpuCount) issue([...at, "tensorParallelSize"], m.tensorParallelSize, `is larger than the ${type.gpuCount} GPUs of ${type.name} (one replica runs on one node)`);
    const count = m.gpu.count ?? m.tensorParallelSize;
    if (m.gpu.count !== undefined && m.gpu.count !== m.tensorParallelSize) issue([...at, "gpu", "count"], m.gpu.count, `must equal tensorParallelSize (${m.tensorParallelSize}): vLLM uses one GPU per tensor-parallel rank`);
    if (m.gpu.count !== undefined && count > type.gpuCount) issue([...at, "gpu", "count"], count, `is more than the ${type.gpuCount} GPUs of ${type.name}`);
    const pool = poolOfModel(env, m);
    // A family without GPUs in the inference pool is reported on its own field; the model is not to blame.
    const familiesValid = env.compute.gpuInferencePool.instanceFamilies.every((f) => instanceTypesOfFamily(f).some((t) => t.gpuCount > 0));
    if (!pool && !familiesValid) return;
    if (!pool) {
      issue([...at, "gpu", "instanceType"], m.gpu.instanceType, `is in no serving pool (gpu-inference families ${env.compute.gpuInferencePool.instanceFamilies.join(", ")}${env.compute.sharedGpuPool ? `; shared-gpu types ${env.compute.sharedGpuPool.instanceTypes.join(", ")}` : ""})`);
      return;
    }
    const s = pool.sharing;
    if (m.gpu.migProfile !== undefined && !(s.mode === "mig" && s.strategy === "mixed")) {
      issue([...at, "gpu", "migProfile"], m.gpu.migProfile, `needs a pool with MIG strategy mixed; ${pool.name} shares by ${s.mode === "mig" ? "MIG single (request whole slices as nvidia.com/gpu)" : s.mode}`);
      return;
    }
    if (s.mode === "mig") {
      const layout = migGpuOf(m.gpu.instanceType)?.layouts[s.layouts[m.gpu.instanceType] ?? ""];
      if (!layout) return; // reported on the pool
      if (m.tensorParallelSize !== 1) issue([...at, "tensorParallelSize"], m.tensorParallelSize, "must be 1 on MIG slices (MIG instances cannot run NCCL collectives together)");
      if (s.strategy === "mixed") {
        if (m.gpu.migProfile === undefined) issue([...at, "gpu", "migProfile"], undefined, `is required on a MIG mixed pool (${pool.name}: ${Object.keys(layout).join(", ")})`);
        else if (!(m.gpu.migProfile in layout)) issue([...at, "gpu", "migProfile"], m.gpu.migProfile, `is not in the ${s.layouts[m.gpu.instanceType]} layout of ${m.gpu.instanceType} (${Object.keys(layout).join(", ")})`);
      }
      return;
    }
    if (s.mode === "time-slicing" && (count !== 1 || m.tensorParallelSize !== 1)) {
      issue([...at, "tensorParallelSize"], m.tensorParallelSize, `must be 1 with one GPU on ${pool.name}, which is time-sliced (the device plugin refuses requests for more than one shared GPU)`);
    }
    // Time-slicing isolates no memory: vLLM sizes its KV cache as a fraction of the whole GPU and refuses to start
    // when less than that is free ("Free memory on device ... on startup is less than desired GPU memory
    // utilization"), so the engines that may share one GPU must fit in it together.
    if (s.mode === "time-slicing" && m.gpuMemoryUtilization > 1 / s.replicas + 1e-9) {
      issue([...at, "gpuMemoryUtilization"], m.gpuMemoryUtilization, `must be at most ${Math.floor(100 / s.replicas) / 100} on ${pool.name}, which time-slices each GPU ${s.replicas} ways: vLLM reserves this fraction of the whole GPU at start and fails when other engines on the same GPU hold the rest`);
    }
  });
  const inferenceSharing = servingPools(env)[0].sharing;
  if (inferenceSharing.mode === "time-slicing" && env.ml.triton.gpusPerReplica > 1) {
    issue(["ml", "triton", "gpusPerReplica"], env.ml.triton.gpusPerReplica, "must be 1 while gpu-inference is time-sliced (the device plugin refuses requests for more than one shared GPU)");
  }
}
