import { z } from "zod";
import { findInstanceType, instanceTypesOfFamily, isKnownFamily } from "../../constructs/catalog/instance-types";
import { parseCidr } from "./cidr";

/** Field types and constants shared by the sections of the environment schema (environments/lib/schema.ts). */

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


export const positiveInt = z.number().int().positive();
export const tagValue = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, "must contain only letters, digits, spaces and _.:/=+-@")
  // AWS rejects (or silently owns) tags whose key or value starts with aws: in any letter case.
  .refine((v) => !/^aws:/i.test(v), "must not start with aws: (in any letter case): AWS reserves that prefix for its own tag keys and values");

// `abort`: checks chained after a failed parse (prefix length, catalog lookups) would only add misleading noise.
export const cidr = z.string().refine((v) => parseCidr(v) !== undefined, {
  message: "must be an IPv4 CIDR like 10.0.0.0/16 whose address is aligned to its prefix",
  abort: true,
});

export const iamRoleArn = z
  .string()
  .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "must be an IAM role ARN like arn:aws:iam::123456789012:role/name");

export const instanceTypeName = z.string().refine((v) => findInstanceType(v) !== undefined, {
  message: "is not an EC2 instance type in the catalog (constructs/catalog/instance-types.generated.ts)",
  abort: true,
});

export const instanceFamily = z.string().refine((v) => isKnownFamily(v), {
  message: "is not an EC2 instance family in the catalog (constructs/catalog/instance-types.generated.ts)",
  abort: true,
});

export const gpuFamily = instanceFamily.refine((v) => instanceTypesOfFamily(v).some((t) => t.gpuCount > 0), {
  message: "is not a GPU instance family (no type of it has an NVIDIA GPU)",
});

export const cpuFamily = instanceFamily.refine((v) => instanceTypesOfFamily(v).every((t) => t.gpuCount === 0), {
  message: "is a GPU family; the CPU pool takes families without GPUs",
});

export const gpuInstanceType = instanceTypeName.refine((v) => (findInstanceType(v)?.gpuCount ?? 0) > 0, {
  message: "has no GPU",
});

export const efaInstanceType = gpuInstanceType.refine((v) => (findInstanceType(v)?.efaInterfaces ?? 0) > 0, {
  message: "does not support EFA (vpc.amazonaws.com/efa is 0 in the catalog)",
});

export const uniqueList = <T extends z.core.$ZodType>(item: T) =>
  z
    .array(item)
    .min(1)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" });

export const capacityTypes = uniqueList(z.enum(["spot", "on-demand"]));

/** A Karpenter disruption budget (`nodes` with an optional cron schedule and duration, which go together). */
export const disruptionBudget = z
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

export const amiAlias = z
  .string()
  .regex(/^al2023@(latest|v\d{8})$/, "must be al2023@vYYYYMMDD (or al2023@latest in development tier)");

export const systemNodeGroup = z
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


/** A Go-style duration of whole seconds, minutes and hours (Karpenter, Kubernetes), like 30m or 1h30m. */
export const duration = (example: string) => z.string().regex(/^([0-9]+(s|m|h))+$/, `must be a duration like ${example}`);

/** CloudWatch Logs retention in days: one of the values the API accepts. */
export const logRetentionDays = z.literal(LOG_RETENTION_DAYS);
