import { z } from "zod";
import { EFA_NETWORK_CARDS, efaLayoutKey, hasEfaLayout } from "../../constructs/catalog/efa-layouts";
import { findInstanceType, instanceTypesOfFamily, isKnownFamily } from "../../constructs/catalog/instance-types";
import { allocateSubnets, parseCidr } from "./cidr";
import { observabilitySettings, refineObservability } from "./observability-schema";

/** Kubernetes versions this platform is tested against (EKS standard support, Karpenter 1.14 compatible). */
export const KUBERNETES_VERSIONS = ["1.34", "1.35", "1.36"] as const;

/** Commercial-partition regions that offer EKS, EFA-capable GPU instances and Pod Identity. */
export const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-2",
  "eu-west-1",
  "eu-central-1",
  "eu-north-1",
  "ap-northeast-1",
  "ap-southeast-2",
] as const;

/** Retention values CloudWatch Logs accepts (a subset: anything else is rejected by the API). */
export const LOG_RETENTION_DAYS = [7, 14, 30, 60, 90, 180, 365, 400, 545, 731, 1827, 3653] as const;

/**
 * How strict the platform is with an environment. Rules that depend on it:
 * production forbids a public API endpoint open to 0.0.0.0/0, requires pinned node AMIs, deletion
 * protection on data stores, and turns a cost ceiling over budget into an error.
 */
export const TIERS = ["development", "staging", "production"] as const;

const positiveInt = z.number().int().positive();
const tagValue = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, "must contain only letters, digits, spaces and _.:/=+-@");

// `abort`: checks chained after a failed parse (prefix length, catalog lookups) would only add misleading noise.
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, {
  message: "must be an IPv4 CIDR like 10.0.0.0/16 whose address is aligned to its prefix",
  abort: true,
});

const iamRoleArn = z
  .string()
  .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "must be an IAM role ARN like arn:aws:iam::123456789012:role/name");

const instanceTypeName = z.string().refine((v) => findInstanceType(v) !== undefined, {
  message: "is not an EC2 instance type in the catalog (constructs/catalog/instance-types.generated.ts)",
  abort: true,
});

const instanceFamily = z.string().refine((v) => isKnownFamily(v), {
  message: "is not an EC2 instance family in the catalog (constructs/catalog/instance-types.generated.ts)",
  abort: true,
});

const gpuFamily = instanceFamily.refine((v) => instanceTypesOfFamily(v).some((t) => t.gpuCount > 0), {
  message: "is not a GPU instance family (no type of it has an NVIDIA GPU)",
});

const cpuFamily = instanceFamily.refine((v) => instanceTypesOfFamily(v).every((t) => t.gpuCount === 0), {
  message: "is a GPU family; the CPU pool takes families without GPUs",
});

const gpuInstanceType = instanceTypeName.refine((v) => (findInstanceType(v)?.gpuCount ?? 0) > 0, {
  message: "has no GPU",
});

const efaInstanceType = gpuInstanceType.refine((v) => (findInstanceType(v)?.efaInterfaces ?? 0) > 0, {
  message: "does not support EFA (vpc.amazonaws.com/efa is 0 in the catalog)",
});

const uniqueList = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .min(1)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" });

const capacityTypes = uniqueList(z.enum(["spot", "on-demand"]));

/** A Karpenter disruption budget (`nodes` with an optional cron schedule and duration, which go together). */
const disruptionBudget = z
  .strictObject({
    nodes: z.string().regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, "must be a count like 1 or a percentage like 10%"),
    schedule: z.string().min(1).optional(),
    duration: z
      .string()
      .regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 30m or 8h")
      .optional(),
    reasons: z.array(z.enum(["Underutilized", "Empty", "Drifted"])).optional(),
  })
  .refine((b) => (b.schedule === undefined) === (b.duration === undefined), {
    message: "schedule and duration must be set together",
  });

const amiAlias = z
  .string()
  .regex(/^al2023@(latest|v\d{8})$/, "must be al2023@vYYYYMMDD (or al2023@latest in development tier)");

const systemNodeGroup = z
  .strictObject({
    instanceTypes: uniqueList(
      instanceTypeName.refine((v) => findInstanceType(v)?.arch === "amd64" && findInstanceType(v)?.gpuCount === 0, {
        message: "must be an x86_64 type without GPUs (the system node group runs AL2023_x86_64_STANDARD)",
      }),
    ),
    minSize: z.number().int().min(1),
    maxSize: positiveInt,
    desiredSize: positiveInt,
    diskSizeGiB: z.number().int().min(20).max(16384).default(50),
  })
  .superRefine((g, ctx) => {
    // Reported on desiredSize with the bounds, so the message shows the numbers instead of a truncated object.
    if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
      ctx.addIssue({ code: "custom", path: ["desiredSize"], input: g.desiredSize, message: `must satisfy minSize <= desiredSize <= maxSize (minSize ${g.minSize}, maxSize ${g.maxSize})` });
    }
  });

const efaSettings = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("disabled") }),
  z.strictObject({
    /** Karpenter NodePool with an EC2NodeClass that declares the EFA interfaces. */
    mode: z.literal("karpenter"),
    instanceTypes: uniqueList(efaInstanceType),
    /** EFA traffic does not cross AZs: one AZ (and one subnet) per EFA pool. */
    availabilityZones: z.array(z.string()).length(1, "EFA pools must stay in exactly one availability zone"),
    capacityType: z.enum(["on-demand", "reserved"]),
    /** On-Demand Capacity Reservation or Capacity Block ids, required with capacityType reserved. */
    capacityReservationIds: z.array(z.string().regex(/^cr-[0-9a-f]{17}$/, "must be a capacity reservation id like cr-0123456789abcdef0")).optional(),
    placementGroup: z.boolean().default(true),
    limits: z.strictObject({ gpus: positiveInt }),
    /** How long an empty EFA node is kept for the next job (WhenEmpty consolidation). */
    consolidateAfter: z.string().regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 30m").default("30m"),
    /** How long draining may wait for `karpenter.sh/do-not-disrupt` jobs before nodes are forcibly removed. */
    terminationGracePeriod: z.string().regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 24h").default("24h"),
  }),
  z.strictObject({
    /** EKS managed node group with a launch template that declares the EFA interfaces. */
    mode: z.literal("managed-node-group"),
    instanceTypes: uniqueList(efaInstanceType),
    availabilityZones: z.array(z.string()).length(1, "EFA node groups must stay in exactly one availability zone"),
    minSize: z.number().int().min(0),
    maxSize: positiveInt,
    desiredSize: z.number().int().min(0),
    /** A Capacity Block reservation: node group capacity type CAPACITY_BLOCK. */
    capacityBlockReservationId: z.string().regex(/^cr-[0-9a-f]{17}$/, "must be a capacity reservation id like cr-0123456789abcdef0").optional(),
    placementGroup: z.boolean().default(true),
  }),
]);

/** RDS instance classes are `db.<family>.<size>`; the API rejects anything else at apply time, so check early. */
const rdsInstanceClass = z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, "must be an RDS instance class like db.t4g.medium or db.m7g.large");

/** Feast project names become DynamoDB table-name prefixes (`<project>.<feature view>`) and IAM resource patterns. */
export const FEAST_PROJECT_RE = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * ML services (issue 4): data-store sizes, Triton autoscaling and optional ingress. Every field has a default
 * so an environment can omit the whole block; production rules are enforced in the superRefine below.
 */
const mlSettings = z.strictObject({
  /** RDS PostgreSQL behind MLflow's tracking server and model registry. */
  mlflowDatabase: z
    .strictObject({
      instanceClass: rdsInstanceClass.default("db.t4g.small"),
      allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
      /** Storage autoscaling ceiling; must be at least allocatedStorageGiB. */
      maxAllocatedStorageGiB: z.number().int().min(20).max(65536).default(100),
      backupRetentionDays: z.number().int().min(1).max(35).default(7),
      /** A standby in a second AZ; required in production tier. */
      multiAz: z.boolean().default(false),
    })
    .prefault({}),
  triton: z
    .strictObject({
      /** At least 1: KEDA scales on queue time, which is 0 (never activates) while no replica serves. */
      minReplicas: z.number().int().min(1, "must be at least 1: the queue-time signal cannot wake Triton from zero replicas").default(1),
      maxReplicas: positiveInt.default(2),
      /** Scale out when the average queue time per request exceeds this many microseconds. */
      targetQueueMicroseconds: z.number().int().min(100).max(60_000_000).default(50_000),
      gpusPerReplica: z.number().int().min(1).max(8).default(1),
      cpu: z.string().regex(/^[0-9]+(\.[0-9]+)?$|^[0-9]+m$/, "must be a Kubernetes CPU quantity like 2 or 1500m").default("2"),
      memoryGiB: z.number().int().min(1).max(2048).default(8),
    })
    .prefault({}),
  feast: z
    .strictObject({
      /**
       * Feast project; DynamoDB tables are named `<project>.<feature view>`, so environments sharing an account
       * need distinct projects. @default - `mlp_<env>` with dashes as underscores
       */
      project: z.string().regex(FEAST_PROJECT_RE, "must start with a lowercase letter and contain only a-z, 0-9 and _ (at most 40 characters)").optional(),
    })
    .prefault({}),
  /** In-cluster Services always; optionally one AWS Load Balancer Controller ALB in front of the UIs and APIs. */
  ingress: z
    .strictObject({
      enabled: z.boolean().default(false),
      scheme: z.enum(["internal", "internet-facing"]).default("internal"),
      /** Source CIDRs allowed by the load balancer's security group. @default - the VPC CIDR */
      allowedCidrs: z.array(cidr).min(1).optional(),
    })
    .prefault({}),
});

/** The shape of an environment file's default export (before defaults are applied). */
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
      flowLogRetentionDays: z.literal(LOG_RETENTION_DAYS).default(90),
    }),
    cluster: z.strictObject({
      kubernetesVersion: z.enum(KUBERNETES_VERSIONS),
      /** CIDRs allowed to reach the public API endpoint; empty means a private endpoint only. */
      publicAccessCidrs: z.array(cidr).default([]),
      adminRoleArns: uniqueList(iamRoleArn),
      logRetentionDays: z.literal(LOG_RETENTION_DAYS).default(90),
      systemNodeGroup,
    }),
    compute: z.strictObject({
      /** Node image for every Karpenter EC2NodeClass. */
      amiAlias,
      cpuPool: z.strictObject({
        instanceFamilies: uniqueList(cpuFamily),
        capacityTypes,
        limits: z.strictObject({ cpu: positiveInt, memoryGiB: positiveInt }),
      }),
      gpuInferencePool: z.strictObject({
        instanceFamilies: uniqueList(gpuFamily),
        capacityTypes,
        limits: z.strictObject({ gpus: positiveInt, cpu: positiveInt }),
        consolidateAfter: z.string().regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 5m").default("5m"),
        budgets: z.array(disruptionBudget).default([{ nodes: "10%" }]),
      }),
      gpuTrainingPool: z
        .strictObject({
          instanceTypes: uniqueList(gpuInstanceType),
          capacityTypes: uniqueList(z.enum(["on-demand", "reserved"])),
          limits: z.strictObject({ gpus: positiveInt }),
          consolidateAfter: z.string().regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 30m").default("30m"),
          terminationGracePeriod: z.string().regex(/^([0-9]+(s|m|h))+$/, "must be a duration like 24h").default("24h"),
          /** On-Demand Capacity Reservation or Capacity Block ids, required when capacityTypes includes reserved. */
          capacityReservationIds: z.array(z.string().regex(/^cr-[0-9a-f]{17}$/, "must be a capacity reservation id like cr-0123456789abcdef0")).optional(),
        })
        .optional(),
      efa: efaSettings,
    }),
    stateBackend: z
      .strictObject({
        /** @default - `mlp-tfstate-<env>-<account>-<region>` */
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
          .optional(),
        noncurrentVersionExpirationDays: positiveInt.default(90),
      })
      .default({ noncurrentVersionExpirationDays: 90 }),
    ml: mlSettings.prefault({}),
    /** Prometheus, Alertmanager, Grafana, alert thresholds and SLOs (see environments/lib/observability-schema.ts). */
    observability: observabilitySettings.prefault({}),
  })
  .superRefine((env, ctx) => {
    const region = env.account.region;
    env.network.availabilityZones.forEach((az, i) => {
      if (!new RegExp(`^${region}[a-z]$`).test(az)) {
        ctx.addIssue({ code: "custom", path: ["network", "availabilityZones", i], input: az, message: `must be an availability zone of ${region} (like ${region}a)` });
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
    if (env.tier === "production") {
      env.cluster.publicAccessCidrs.forEach((c, i) => {
        if (parseCidr(c)?.prefix === 0) {
          ctx.addIssue({ code: "custom", path: ["cluster", "publicAccessCidrs", i], input: c, message: "must not open the API endpoint to the whole internet in production tier" });
        }
      });
    }
    if (env.tier !== "development" && env.compute.amiAlias.endsWith("@latest")) {
      ctx.addIssue({ code: "custom", path: ["compute", "amiAlias"], input: env.compute.amiAlias, message: `must be pinned to al2023@vYYYYMMDD in ${env.tier} tier (@latest is allowed only in development)` });
    }
    const efa = env.compute.efa;
    if (efa.mode !== "disabled") {
      const az = efa.availabilityZones[0];
      if (!env.network.availabilityZones.includes(az)) {
        ctx.addIssue({ code: "custom", path: ["compute", "efa", "availabilityZones", 0], input: az, message: `must be one of the VPC's availability zones (${env.network.availabilityZones.join(", ")})` });
      }
    }
    if (efa.mode === "karpenter" && efa.capacityType === "reserved" && !efa.capacityReservationIds?.length) {
      ctx.addIssue({ code: "custom", path: ["compute", "efa", "capacityReservationIds"], input: efa.capacityReservationIds, message: "must list at least one reservation id when capacityType is reserved" });
    }
    if (efa.mode === "managed-node-group") {
      if (efa.capacityBlockReservationId !== undefined && efa.placementGroup) {
        ctx.addIssue({
          code: "custom",
          path: ["compute", "efa", "placementGroup"],
          input: efa.placementGroup,
          message: "must be false with a Capacity Block: a cluster placement group breaks Capacity Block launches (InsufficientInstanceCapacity)",
        });
      }
      const layouts = new Set(efa.instanceTypes.map((t) => findInstanceType(t)?.efaInterfaces));
      if (layouts.size > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["compute", "efa", "instanceTypes"],
          input: efa.instanceTypes,
          message: "must share one EFA interface layout: one launch template cannot serve types with different EFA interface counts",
        });
      }
      if (!(efa.minSize <= efa.desiredSize && efa.desiredSize <= efa.maxSize)) {
        ctx.addIssue({ code: "custom", path: ["compute", "efa", "desiredSize"], input: efa.desiredSize, message: `must satisfy minSize <= desiredSize <= maxSize (minSize ${efa.minSize}, maxSize ${efa.maxSize})` });
      }
    }
    const ml = env.ml;
    if (ml.mlflowDatabase.maxAllocatedStorageGiB < ml.mlflowDatabase.allocatedStorageGiB) {
      ctx.addIssue({
        code: "custom",
        path: ["ml", "mlflowDatabase", "maxAllocatedStorageGiB"],
        input: ml.mlflowDatabase.maxAllocatedStorageGiB,
        message: `must be at least allocatedStorageGiB (${ml.mlflowDatabase.allocatedStorageGiB})`,
      });
    }
    if (ml.triton.maxReplicas < ml.triton.minReplicas) {
      ctx.addIssue({ code: "custom", path: ["ml", "triton", "maxReplicas"], input: ml.triton.maxReplicas, message: `must be at least minReplicas (${ml.triton.minReplicas})` });
    }
    if (env.tier === "production") {
      if (!ml.mlflowDatabase.multiAz) {
        ctx.addIssue({ code: "custom", path: ["ml", "mlflowDatabase", "multiAz"], input: ml.mlflowDatabase.multiAz, message: "must be true in production tier (a standby in a second AZ)" });
      }
      if (ml.mlflowDatabase.backupRetentionDays < 7) {
        ctx.addIssue({ code: "custom", path: ["ml", "mlflowDatabase", "backupRetentionDays"], input: ml.mlflowDatabase.backupRetentionDays, message: "must be at least 7 in production tier" });
      }
      if (ml.ingress.scheme === "internet-facing") {
        ctx.addIssue({ code: "custom", path: ["ml", "ingress", "scheme"], input: ml.ingress.scheme, message: "must be internal in production tier (the ML UIs have no authentication of their own)" });
      }
    }
    if (efa.mode !== "disabled") {
      efa.instanceTypes.forEach((t, i) => {
        if ((findInstanceType(t)?.efaInterfaces ?? 0) > 0 && !hasEfaLayout(t)) {
          ctx.addIssue({
            code: "custom",
            path: ["compute", "efa", "instanceTypes", i],
            input: t,
            message: `has no EFA network-card layout in constructs/catalog/efa-layouts.ts (supported: ${Object.keys(EFA_NETWORK_CARDS).join(", ")})`,
          });
        }
      });
      const known = efa.instanceTypes.filter((t) => hasEfaLayout(t));
      if (efa.mode === "karpenter" && new Set(known.map((t) => findInstanceType(t)?.efaInterfaces)).size > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["compute", "efa", "instanceTypes"],
          input: efa.instanceTypes,
          message: "must share one EFA interface layout: one EC2NodeClass networkInterfaces list cannot serve types with different EFA interface counts",
        });
      } else if (new Set(known.map((t) => findInstanceType(t)?.efaInterfaces)).size === 1 && new Set(known.map(efaLayoutKey)).size > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["compute", "efa", "instanceTypes"],
          input: efa.instanceTypes,
          message: "must share one EFA interface layout: these types have the same EFA interface count but on different network cards (p6-b300 card 0 is ENA-only)",
        });
      }
    }
    const training = env.compute.gpuTrainingPool;
    if (training?.capacityTypes.includes("reserved") && !training.capacityReservationIds?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["compute", "gpuTrainingPool", "capacityReservationIds"],
        input: training.capacityReservationIds,
        message: "must list at least one reservation id when capacityTypes includes reserved",
      });
    }
    if (efa.mode === "karpenter" && efa.capacityType === "reserved" && efa.placementGroup) {
      ctx.addIssue({
        code: "custom",
        path: ["compute", "efa", "placementGroup"],
        input: efa.placementGroup,
        message: "must be false with reserved capacity: a cluster placement group breaks Capacity Block and ODCR launches unless the reservation was made in that group",
      });
    }
    refineObservability(env, ctx);
  });

/** What an environment file exports: the input form, with optional fields left out. */
export type EnvironmentInput = z.input<typeof environmentSchema>;

/** A validated environment with defaults applied, plus its name (the file name). */
export type Environment = z.output<typeof environmentSchema> & { readonly name: string };
