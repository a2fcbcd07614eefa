import { z } from "zod";
import { dedicatedGpuPools, gpuPools, type FlavorSource } from "../../constructs/tenancy/flavors";
import { dedicatedPoolSettings, refineDedicatedPools } from "./dedicated-pool-schema";
import { RESERVED_TEAM_NAMES, TEAM_NAME_RE } from "../../constructs/tenancy/names";
import { iamRoleArn, positiveInt, tagValue } from "./fields";
import { LABEL_VALUE_RE } from "./observability-schema";

/**
 * The `teams` section (issue 16, docs/tenancy.md): the ML teams sharing the cluster's GPUs, each with its namespace,
 * members, GPU quota per flavor (`<pool>-<gpu>`, see constructs/tenancy/flavors.ts), borrowing and lending limits and
 * fair-sharing weight; the shared queue of Kubeflow Pipelines' pods; and the thresholds of the queue alerts. Adding a
 * team is one entry here. Quotas are checked against the pools at synth: per pool, the nominal quotas of every queue
 * plus what the served models (Triton at its canaries' peak, vLLM, Ray Serve) may hold stay within the NodePool's GPU
 * limit (environments/lib/gpu-demand.ts, the one place that adds GPUs up).
 */

/** One flavor's quota of a queue, in GPUs (Kueue ClusterQueue `nominalQuota`, `borrowingLimit`, `lendingLimit`). */
const flavorQuota = z.strictObject({
  /** GPUs the queue is guaranteed (lent to others while unused, reclaimed by preemption when needed). */
  nominal: z.number().int().min(0),
  /** GPUs it may use beyond `nominal` from others' unused quota. @default - as much as the cohort lends */
  borrowingLimit: z.number().int().min(0).optional(),
  /** GPUs of its unused `nominal` others may borrow. @default - all of it */
  lendingLimit: z.number().int().min(0).optional(),
});

/** GPU quotas keyed by flavor name (`gpu-training-l40s`); a flavor not listed is not usable by the queue. */
const gpuQuotas = z.record(z.string(), flavorQuota).default({});

/** Fair-sharing weight of a queue in the cohort (ClusterQueue `fairSharing.weight`). */
const priority = z.number().min(0.1).max(100).default(1);

/** An IAM role a team member assumes (an IAM Identity Center permission-set role keeps its `aws-reserved/...` path). */
const memberArn = iamRoleArn.refine((v) => !/:role\/aws-service-role\//.test(v), { message: "must not be a service-linked role (EKS access entries do not accept them)" });

/** One team: a namespace, a ClusterQueue, an IAM role for its pods, access for its members. */
export const teamSettings = z.strictObject({
  /** Namespace, ClusterQueue and RBAC group name; the IAM role is `mlp-<env>-team-<name>`. */
  name: z.string().regex(TEAM_NAME_RE, "must be a lowercase DNS label of at most 30 characters (a-z, 0-9, -; starts with a letter)"),
  /** Cost center (namespace label `cost-center`, like the AWS cost tag `CostCenter`). */
  costCenter: tagValue.refine((v) => LABEL_VALUE_RE.test(v), { message: "must also be a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 . _ -, alphanumeric at both ends)" }),
  /** IAM roles of its people; each gets namespace-scoped access to the team's namespace only. @default - none */
  members: z
    .array(memberArn)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
    .default([]),
  gpus: gpuQuotas,
  priority,
  /**
   * CPU and memory the team's pods may request besides what the nodes of its GPU quota hold (the namespace's
   * ResourceQuota adds those, see docs/tenancy.md).
   */
  resources: z.strictObject({ cpu: positiveInt.default(32), memoryGiB: positiveInt.default(128) }).prefault({}),
  /** A GPU pool of the team's own, tagged with its cost center (environments/lib/dedicated-pool-schema.ts). @default - none */
  dedicatedPool: dedicatedPoolSettings.optional(),
});

export const teamsSettings = z.strictObject({
  /** The teams sharing the cluster. @default - none (the cohort holds only the pipelines queue) */
  tenants: z.array(teamSettings).default([]),
  /** Kubeflow Pipelines' shared queue (its pods run in `kubeflow`). @default - no GPU quota, weight 1 */
  pipelines: z.strictObject({ gpus: gpuQuotas, priority }).prefault({}),
  alerts: z
    .strictObject({
      /** A team's workloads pending this long while the cohort has unused GPU quota. */
      pendingMinutes: z.number().int().min(5).max(1440).default(30),
      /** A ClusterQueue using its whole borrowing limit this long. */
      borrowingLimitHours: z.number().int().min(1).max(168).default(4),
    })
    .prefault({}),
});

export type TeamSettings = z.output<typeof teamSettings>;
export type TeamsSettings = z.output<typeof teamsSettings>;
export type FlavorQuota = z.output<typeof flavorQuota>;

/** What the teams rules read besides the section. */
type TeamsContext = Omit<FlavorSource, "teams"> & { readonly cluster: { readonly adminRoleArns: readonly string[] }; readonly teams: TeamsSettings };

/** One queue's quotas with the path of its `gpus` field. */
interface QueueQuotas {
  readonly name: string;
  readonly path: PropertyKey[];
  readonly gpus: Readonly<Record<string, FlavorQuota>>;
}

/**
 * Every queue of the cohort with its quotas: the teams in file order, then the pipelines queue. A team with a dedicated
 * pool also holds that pool's flavor: nominal the pool's whole GPU limit, lending limit 0 (the team pays for it, so
 * nobody else's job may sit on it, and reclaiming it would mean preempting them first).
 */
export function cohortQueues(teams: TeamsSettings): QueueQuotas[] {
  const dedicated = new Map(dedicatedGpuPools(teams).map((p) => [p.owner!, p] as const));
  const own = (team: string) => Object.fromEntries((dedicated.get(team)?.flavors ?? []).map((f) => [f.name, { nominal: dedicated.get(team)!.gpuLimit, lendingLimit: 0 }]));
  return [
    ...teams.tenants.map((t, i) => ({ name: t.name, path: ["teams", "tenants", i, "gpus"], gpus: { ...t.gpus, ...own(t.name) } })),
    { name: "pipelines", path: ["teams", "pipelines", "gpus"], gpus: teams.pipelines.gpus },
  ];
}

/** Rules across the section and the compute pools: names, members, flavors, lending and borrowing limits. */
export function refineTeams(env: TeamsContext, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
  const tenants = env.teams.tenants;
  const admins = new Set(env.cluster.adminRoleArns);
  tenants.forEach((t, i) => {
    const first = tenants.findIndex((x) => x.name === t.name);
    if (first !== i) issue(["teams", "tenants", i, "name"], t.name, `must be unique among the teams (teams.tenants[${first}] has it)`);
    if (RESERVED_TEAM_NAMES.includes(t.name)) issue(["teams", "tenants", i, "name"], t.name, `must not be a platform namespace or queue (${RESERVED_TEAM_NAMES.join(", ")})`);
    t.members.forEach((m, j) => {
      const path = ["teams", "tenants", i, "members", j];
      if (admins.has(m)) issue(path, m, "is one of cluster.adminRoleArns, which already have a cluster-admin access entry (one entry per principal)");
      else if (/:role\/mlp-[a-z0-9-]+-ci-(pr|plan|apply)$/.test(m)) issue(path, m, "is a CI role of the platform, which has its own access entry");
    });
  });

  // Flavors derive from the pools: with the compute section already wrong, checks against them would only repeat that
  // problem in other words. What the quotas add up to with the pools' other claims is checked in gpu-demand.ts.
  const upstream = ctx.issues.some((i) => i.path?.[0] === "compute");
  if (!refineDedicatedPools(env, ctx) || upstream) return;
  const pools = gpuPools(env);
  const flavorPool = new Map(pools.flatMap((p) => p.flavors.map((f) => [f.name, p] as const)));
  const queues = cohortQueues(env.teams);
  for (const q of queues) {
    for (const [flavor, quota] of Object.entries(q.gpus)) {
      if (!flavorPool.has(flavor)) {
        issue([...q.path, flavor], flavor, `no pool of this environment provides this GPU type; quotas name a flavor <pool>-<gpu> (this environment's: ${[...flavorPool.keys()].join(", ")})`);
      } else if (quota.lendingLimit !== undefined && quota.lendingLimit > quota.nominal) {
        issue([...q.path, flavor, "lendingLimit"], quota.lendingLimit, `must be at most nominal (${quota.nominal}): a queue lends only its own quota`);
      }
    }
  }

  // A borrowing limit above everything the cohort holds of a flavor says something the cluster can never do.
  const cohortSize = new Map<string, number>();
  for (const q of queues) for (const [flavor, quota] of Object.entries(q.gpus)) cohortSize.set(flavor, (cohortSize.get(flavor) ?? 0) + quota.nominal);
  for (const q of queues) {
    for (const [flavor, quota] of Object.entries(q.gpus)) {
      const size = cohortSize.get(flavor) ?? 0;
      if (flavorPool.has(flavor) && quota.borrowingLimit !== undefined && quota.borrowingLimit > size) {
        issue([...q.path, flavor, "borrowingLimit"], quota.borrowingLimit, `is above the cohort's size for ${flavor} (${size} GPUs of nominal quota across all queues)`);
      }
    }
  }
}
