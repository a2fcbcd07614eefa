import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { findInstanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import type { CostItem } from "./cost";
import type { Environment } from "./schema";
import { RAY_SERVE_GPUS_PER_WORKER, RAY_SERVE_POOL, rayServeMaxGpusPerPool, teamRayWorkers } from "./ray-demand";
import { gpusPerReplica, poolOfModel } from "./serving-schema";

/**
 * The serving pieces in the cost report (issue 15): the shared-GPU pool's ceiling (a line of the total, priced like the
 * other pools: the dearest fill of its GPU limit), and a breakdown that is already inside the pools' ceilings and
 * therefore not added again: each vLLM model at its maximum (replicas x its share of a node), the RayService at its
 * maximum, and each team's Ray training template (inside the team's queue quota).
 */

function price(t: InstanceTypeInfo): number {
  const p = EC2_ON_DEMAND_USD_PER_HOUR[t.name];
  if (p === undefined) throw new Error(`no On-Demand price for ${t.name} in constructs/catalog/ec2-prices.generated.ts`);
  return p;
}

const round = (usd: number) => Math.round(usd * 1000) / 1000;

/** Lines of the ceiling the serving pieces add (the shared-GPU pool). */
export function servingCostItems(env: Environment, poolCeiling: (key: string, types: readonly InstanceTypeInfo[], limits: { gpus: number }) => CostItem): CostItem[] {
  const shared = env.compute.sharedGpuPool;
  if (!shared) return [];
  return [poolCeiling("nodepool/shared-gpu", shared.instanceTypes.map((n) => findInstanceType(n)!), { gpus: shared.limits.gpus })];
}

/** What each model and the Ray templates cost at their maximum (informational: inside the pools and queues above). */
export function servingBreakdown(env: Environment): CostItem[] {
  const items: CostItem[] = env.ml.llm.models.map((m) => {
    const type = findInstanceType(m.gpu.instanceType)!;
    const gpus = gpusPerReplica(env, m);
    const perReplica = price(type) * (gpus / type.gpuCount);
    const pool = poolOfModel(env, m)?.name ?? "?";
    const unit = m.gpu.migProfile ? `${m.gpu.count ?? m.tensorParallelSize} x MIG ${m.gpu.migProfile} (${round(gpus)} GPU)` : `${round(gpus)} GPU`;
    return {
      key: `llm/${m.name}`,
      usdPerHour: round(perReplica * m.replicas.max),
      basis: `${m.replicas.max} replicas max x ${unit} of ${type.name} (${pool}) at $${price(type)}/h for ${type.gpuCount} GPUs = $${round(perReplica)}/h each; min ${m.replicas.min}`,
    };
  });
  if (env.ml.ray.enabled) {
    // Ray Serve's workers at their maximum, each on its own node of the cheapest inference type (what Karpenter
    // launches for a one-GPU pod): a reservation on the inference pool, like the models above.
    const serve = rayServeMaxGpusPerPool(env)[RAY_SERVE_POOL] / RAY_SERVE_GPUS_PER_WORKER;
    const inference = env.compute.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f)).filter((t) => t.gpuCount > 0 && t.arch === "amd64" && t.name in EC2_ON_DEMAND_USD_PER_HOUR);
    const cheapest = inference.reduce((a, b) => (price(b) < price(a) ? b : a));
    items.push({ key: "ray/serve", usdPerHour: round(serve * price(cheapest)), basis: `RayService: ${serve} one-GPU Serve workers max on ${RAY_SERVE_POOL}, from one ${cheapest.name} each at $${price(cheapest)}/h` });
    // A team's RayJob or RayCluster runs inside its queue's quota (priced in the team lines): shown for who pays, each
    // worker on its own node of the cheapest type of its flavor that holds it (what Karpenter launches for it).
    for (const t of env.teams.tenants) {
      const w = teamRayWorkers(env, t.name);
      if (!w) continue;
      const node = w.instanceTypes.filter((x) => x.gpuCount >= w.gpusPerWorker && x.name in EC2_ON_DEMAND_USD_PER_HOUR).reduce((a, b) => (price(b) < price(a) ? b : a));
      items.push({ key: `ray/training/${t.name}`, usdPerHour: round(w.replicas * price(node)), basis: `a RayJob or RayCluster of ${w.replicas} workers x ${w.gpusPerWorker} GPU on ${w.flavor.name}, one ${node.name} each at $${price(node)}/h, inside queue ${t.name}'s quota` });
    }
  }
  return items;
}
