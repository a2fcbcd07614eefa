import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { findInstanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import type { CostItem } from "./cost";
import type { Environment } from "./schema";
import { gpusPerReplica, poolOfModel } from "./serving-schema";

/**
 * The serving pieces in the cost report (issue 15): the shared-GPU pool's ceiling (a line of the total, priced like the
 * other pools: the dearest fill of its GPU limit), and a breakdown that is already inside the pools' ceilings and
 * therefore not added again: each vLLM model at its maximum (replicas x its share of a node) and the Ray templates'
 * largest training cluster.
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

/** What each model and the Ray training template cost at their maximum (informational: inside the pools above). */
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
    const c = env.compute;
    const workers = env.ml.ray.maxWorkers;
    if (c.efa.mode !== "disabled" || c.gpuTrainingPool) {
      const pool = c.efa.mode !== "disabled" ? "efa-training" : "gpu-training";
      const types = (c.efa.mode !== "disabled" ? c.efa.instanceTypes : c.gpuTrainingPool!.instanceTypes).map((n) => findInstanceType(n)!);
      // A worker takes all GPUs of the smallest type: one node each, priced at the dearest type (upper bound).
      const dearest = types.reduce((a, b) => (price(b) > price(a) ? b : a));
      items.push({ key: "ray/training-cluster", usdPerHour: round(workers * price(dearest)), basis: `${workers} GPU workers max on ${pool}, one ${dearest.name} each at $${price(dearest)}/h (upper bound)` });
    } else {
      // No training pool (development): one-GPU workers on the inference pool, which fit its smallest GPU type.
      const types = c.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f)).filter((t) => t.gpuCount > 0 && t.arch === "amd64" && t.name in EC2_ON_DEMAND_USD_PER_HOUR);
      const cheapest = types.reduce((a, b) => (price(b) < price(a) ? b : a));
      items.push({ key: "ray/training-cluster", usdPerHour: round(workers * price(cheapest)), basis: `${workers} one-GPU workers max on gpu-inference, from one ${cheapest.name} each at $${price(cheapest)}/h` });
    }
  }
  return items;
}
