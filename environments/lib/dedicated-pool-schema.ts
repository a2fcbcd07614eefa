import { z } from "zod";
import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { findInstanceType } from "../../constructs/catalog/instance-types";
import { dedicatedGpuPools } from "../../constructs/tenancy/flavors";
import { dedicatedPoolName } from "../../constructs/karpenter/pool-labels";
import { gpuInstanceType, positiveInt, uniqueList } from "./fields";

/**
 * `teams.tenants[].dedicatedPool` (issue 16 item 5, docs/tenancy.md "Dedicated GPU pools"): a Karpenter GPU pool only
 * the team's jobs run on, whose instances, root volumes and network interfaces carry the team's `Team` and
 * `CostCenter` tags. Its GPUs are the team's whole nominal quota on the pool's one Kueue flavor, lent to no one.
 *
 * No GPU sharing field: the pool advertises whole `nvidia.com/gpu`, the only resource the queues cover; MIG slices or
 * time-sliced replicas would need a sharing config and ResourceQuota rules of their own (the shared-GPU pool has them).
 */
export const dedicatedPoolSettings = z.strictObject({
  /** Instance types (with NVIDIA GPUs, all of one GPU model: the pool is one Kueue flavor). */
  instanceTypes: uniqueList(gpuInstanceType),
  /** The NodePool's `nvidia.com/gpu` limit, and the team's nominal quota on the pool. */
  gpus: positiveInt,
  /** `spot` is cheaper and may be reclaimed with two minutes' notice. @default "on-demand" */
  capacityType: z.enum(["on-demand", "spot"]).default("on-demand"),
});

export type DedicatedPoolSettings = z.output<typeof dedicatedPoolSettings>;

/** What the dedicated-pool rules read. */
interface DedicatedContext {
  readonly teams: {
    readonly tenants: ReadonlyArray<{ readonly name: string; readonly gpus: Readonly<Record<string, unknown>>; readonly dedicatedPool?: DedicatedPoolSettings }>;
    readonly pipelines: { readonly gpus: Readonly<Record<string, unknown>> };
  };
}

/**
 * Rules of the dedicated pools: one GPU model per pool, a limit that launches at least one node of every type, a price
 * for `npm run cost`, and no queue naming a dedicated flavor in its `gpus` (the owner's quota on it is the pool's
 * `gpus`; nobody else's may be anything). Returns false when it reported a problem, so the quota sums are not checked
 * against a pool that is not what its file says.
 */
export function refineDedicatedPools(env: DedicatedContext, ctx: z.RefinementCtx): boolean {
  const before = ctx.issues.length;
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
  env.teams.tenants.forEach((t, i) => {
    const dp = t.dedicatedPool;
    if (!dp) return;
    const path = ["teams", "tenants", i, "dedicatedPool"];
    const types = dp.instanceTypes.map((n) => findInstanceType(n)).filter((x) => x !== undefined);
    if (types.length !== dp.instanceTypes.length) return; // unknown types are reported by the field itself
    const models = [...new Set(types.map((x) => x.gpuName))].sort();
    if (models.length > 1) {
      issue([...path, "instanceTypes"], dp.instanceTypes, `must all have the same GPU model (got ${models.join(", ")}): the pool is one Kueue flavor ${dedicatedPoolName(t.name)}-<gpu> holding all its GPUs`);
    }
    const largest = types.reduce((a, b) => (b.gpuCount > a.gpuCount ? b : a));
    if (dp.gpus < largest.gpuCount) issue([...path, "gpus"], dp.gpus, `must be at least ${largest.gpuCount}, the GPUs of ${largest.name}: a smaller limit never launches that type`);
    dp.instanceTypes.forEach((n, j) => {
      if (EC2_ON_DEMAND_USD_PER_HOUR[n] === undefined) issue([...path, "instanceTypes", j], n, "has no On-Demand price in constructs/catalog/ec2-prices.generated.ts, so npm run cost cannot count the pool");
    });
  });

  // Only the pools well-formed above have a flavor name to look for.
  const owned = new Map(dedicatedGpuPools(env.teams).flatMap((p) => p.flavors.map((f) => [f.name, p.owner!] as const)));
  const queues = [
    ...env.teams.tenants.map((t, i) => ({ name: t.name, path: ["teams", "tenants", i, "gpus"], gpus: t.gpus })),
    { name: "pipelines", path: ["teams", "pipelines", "gpus"], gpus: env.teams.pipelines.gpus },
  ];
  for (const q of queues) {
    for (const flavor of Object.keys(q.gpus)) {
      const owner = owned.get(flavor);
      if (owner === undefined) continue;
      const why = owner === q.name ? "comes from this team's dedicatedPool: its quota there is dedicatedPool.gpus" : `is team ${owner}'s dedicated pool, which no other queue may use`;
      issue([...q.path, flavor], flavor, why);
    }
  }
  return ctx.issues.length === before;
}
