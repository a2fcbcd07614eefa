import { z } from "zod";
import { AVAILABILITY_ZONES } from "../../constructs/catalog/availability-zones.generated";
import { allocateSubnets, parseCidr } from "./cidr";
import { computeSettings, refineCompute } from "./compute-schema";
import { deliverySettings, refineDelivery } from "./delivery-schema";
import { deploySettings, isWholeInternet } from "./deploy-schema";
import { refineGpuDemand } from "./gpu-demand";
import { cidr, iamRoleArn, KUBERNETES_VERSIONS, logRetentionDays, positiveInt, REGIONS, systemNodeGroup, tagValue, TIERS, uniqueList } from "./fields";
import { refineIngress } from "./ingress-schema";
import { mlSettings, refineMl } from "./ml-schema";
import { observabilitySettings, refineObservability } from "./observability-schema";
import { refineResilience, resilienceSettings } from "./resilience-schema";
import { refineTeams, teamsSettings } from "./tenancy-schema";
import { refineServing } from "./serving-schema";

export { KUBERNETES_VERSIONS, LOG_RETENTION_DAYS, REGIONS, TIERS } from "./fields";
export { FEAST_PROJECT_RE } from "./ml-schema";

/**
 * The schema of one environment file (`environments/<name>.ts`). Sections live beside it: fields.ts (shared field
 * types), compute-schema.ts, ml-schema.ts, observability-schema.ts and deploy-schema.ts; rules that compare
 * environments with each other are in consistency.ts. Unknown keys are errors everywhere (strict objects).
 *
 * The tier drives the rules that differ by environment: production forbids a public API endpoint, requires pinned
 * node AMIs, protects data stores and turns a cost ceiling over budget into an error.
 */
export const environmentSchema = z
  .strictObject({
    tier: z.enum(TIERS),
    account: z.strictObject({
      id: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
      region: z.enum(REGIONS),
    }),
    tags: z.strictObject({ Project: tagValue, Team: tagValue, CostCenter: tagValue }),
    /**
     * Monthly budget for the worst-case On-Demand ceiling (`npm run cost`): over it, synth fails in production
     * tier and warns elsewhere. @default - no budget check
     */
    budget: z.strictObject({ monthlyUsd: z.number().positive() }).optional(),
    network: z.strictObject({
      vpcCidr: cidr.refine((v) => {
        const p = parseCidr(v)?.prefix ?? 0;
        return p >= 16 && p <= 20;
      }, "must have a prefix length between /16 and /20"),
      availabilityZones: z
        .array(z.string())
        .min(2, "must list at least 2 availability zones (EKS requires subnets in two AZs)")
        .max(6)
        .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" }),
      natGateways: z.enum(["single", "one-per-az"]),
      privateSubnetPrefixLength: z.number().int().min(16).max(24).default(19),
      publicSubnetPrefixLength: z.number().int().min(20).max(28).default(24),
      flowLogRetentionDays: logRetentionDays.default(90),
    }),
    cluster: z.strictObject({
      kubernetesVersion: z.enum(KUBERNETES_VERSIONS),
      /**
       * CIDRs of people's networks allowed to reach a public API endpoint; empty means a private endpoint only.
       * Not in production tier, never 0.0.0.0/0; CI reaches the private endpoint through the in-VPC runner.
       */
      publicAccessCidrs: z.array(cidr).default([]),
      /** People's roles with cluster-admin access entries (break-glass, platform admins). */
      adminRoleArns: uniqueList(iamRoleArn),
      logRetentionDays: logRetentionDays.default(90),
      systemNodeGroup,
    }),
    compute: computeSettings,
    stateBackend: z
      .strictObject({
        /** @default - `mlp-tfstate-<env>-<account>` */
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
          .optional(),
        noncurrentVersionExpirationDays: positiveInt.default(90),
      })
      .default({ noncurrentVersionExpirationDays: 90 }),
    /** Who deploys the environment and how CI reaches its private API endpoint (environments/lib/deploy-schema.ts). */
    deploy: deploySettings,
    ml: mlSettings.prefault({}),
    /** Prometheus, Alertmanager, Grafana, alert thresholds and SLOs (see environments/lib/observability-schema.ts). */
    observability: observabilitySettings.prefault({}),
    /** Teams sharing the GPUs: namespaces, access, quotas and queues (see environments/lib/tenancy-schema.ts). */
    teams: teamsSettings.prefault({}),
    /** Model versions Triton serves and how they reach users (see environments/lib/delivery-schema.ts). */
    delivery: deliverySettings.prefault({}),
    /** Node health and repair, training storage, resumable jobs, capacity fallback (environments/lib/resilience-schema.ts). */
    resilience: resilienceSettings.prefault({}),
  })
  .superRefine((env, ctx) => {
    const region = env.account.region;
    const zones = AVAILABILITY_ZONES[region] ?? [];
    env.network.availabilityZones.forEach((az, i) => {
      if (!zones.includes(az)) {
        ctx.addIssue({ code: "custom", path: ["network", "availabilityZones", i], input: az, message: `must be an availability zone of ${region} (${zones.join(", ")}; constructs/catalog/availability-zones.generated.ts)` });
      }
    });
    const vpc = parseCidr(env.network.vpcCidr);
    const n = env.network.availabilityZones.length;
    if (vpc && !allocateSubnets(vpc, [...Array(n).fill(env.network.privateSubnetPrefixLength), ...Array(n).fill(env.network.publicSubnetPrefixLength)])) {
      ctx.addIssue({
        code: "custom",
        path: ["network", "privateSubnetPrefixLength"],
        input: env.network.privateSubnetPrefixLength,
        message: `${n} private /${env.network.privateSubnetPrefixLength} and ${n} public /${env.network.publicSubnetPrefixLength} subnets do not fit in ${env.network.vpcCidr}`,
      });
    }
    env.cluster.publicAccessCidrs.forEach((c, i) => {
      const path = ["cluster", "publicAccessCidrs", i];
      if (env.tier === "production") {
        ctx.addIssue({ code: "custom", path, input: c, message: "must be empty in production tier: the API endpoint stays private (deploy through the in-VPC runner or an SSM port forward)" });
      } else if (isWholeInternet(c)) {
        ctx.addIssue({ code: "custom", path, input: c, message: "must not open the API endpoint to the whole internet; list your networks' CIDRs" });
      }
    });
    refineCompute(env, ctx);
    refineMl(env, ctx);
    refineIngress(env, ctx);
    refineObservability(env, ctx);
    refineServing(env, ctx);
    refineDelivery(env, ctx);
    refineResilience(env, ctx);
    refineTeams(env, ctx);
    // Last: the GPU ledger skips what the rules above already reported (pools, Triton's scale, canary steps).
    refineGpuDemand(env, ctx);
  });

/** What an environment file exports: the input form, with optional fields left out. */
export type EnvironmentInput = z.input<typeof environmentSchema>;

/** A validated environment with defaults applied, plus its name (the file name). */
export type Environment = z.output<typeof environmentSchema> & { readonly name: string };
