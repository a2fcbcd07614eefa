import { z } from "zod";
import { positiveInt } from "./fields";
import { ingressSettings } from "./ingress-schema";
import { llmSettings, raySettings } from "./serving-schema";

/** RDS instance classes are `db.<family>.<size>`; the API rejects anything else at apply time, so check early. */
const rdsInstanceClass = z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, "must be an RDS instance class like db.t4g.medium or db.m7g.large");

/** Feast project names become DynamoDB table-name prefixes (`<project>.<feature view>`) and IAM resource patterns. */
export const FEAST_PROJECT_RE = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * ML services (issue 4): data-store sizes, Triton autoscaling and optional ingress. Every field has a default
 * so an environment can omit the whole block; production rules are enforced in the superRefine below.
 */
export const mlSettings = z.strictObject({
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
      /**
       * Feature views (of the users' feature repository) that get an online table `<project>.<view>`. Terraform creates
       * the tables with point-in-time recovery and the platform key; `feast apply` cannot create or delete tables, so a
       * view missing here fails `feast apply` with AccessDenied on CreateTable. @default - none
       */
      featureViews: z
        .array(z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, "must be a feature view name DynamoDB accepts in a table name (A-Z a-z 0-9 _ . -, at most 200 characters)"))
        .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
        .default([]),
    })
    .prefault({}),
  /** In-cluster Services always; optionally one HTTPS load balancer in front of the UIs and APIs (ingress-schema.ts). */
  ingress: ingressSettings,
  /** vLLM models and the Ray templates (environments/lib/serving-schema.ts). */
  llm: llmSettings,
  ray: raySettings,
});


export type MlSettings = z.output<typeof mlSettings>;

/** Rules across ML fields, and what production requires of them. */
export function refineMl(env: { readonly tier: string; readonly ml: MlSettings }, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["ml", ...path], input, message });
  const { mlflowDatabase: db, triton, ingress } = env.ml;
  if (db.maxAllocatedStorageGiB < db.allocatedStorageGiB) issue(["mlflowDatabase", "maxAllocatedStorageGiB"], db.maxAllocatedStorageGiB, `must be at least allocatedStorageGiB (${db.allocatedStorageGiB})`);
  if (triton.maxReplicas < triton.minReplicas) issue(["triton", "maxReplicas"], triton.maxReplicas, `must be at least minReplicas (${triton.minReplicas})`);
  if (env.tier !== "production") return;
  if (!db.multiAz) issue(["mlflowDatabase", "multiAz"], db.multiAz, "must be true in production tier (a standby in a second AZ)");
  if (db.backupRetentionDays < 7) issue(["mlflowDatabase", "backupRetentionDays"], db.backupRetentionDays, "must be at least 7 in production tier");
  if (ingress.scheme === "internet-facing") issue(["ingress", "scheme"], ingress.scheme, "must be internal in production tier (the ML UIs have no authentication of their own)");
}
