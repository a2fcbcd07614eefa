import { z } from "zod";
import { EXPERIMENT_ARM_REPLICAS, peakPods } from "../../constructs/delivery/canary";

/**
 * The `delivery` section (issue 14): which registered models Triton serves, how a new version reaches users (canary
 * steps, the analysis that rolls it back, an optional A/B experiment), where its version comes from (an MLflow alias
 * promoted automatically in development, a version pinned in this file and reviewed elsewhere), and input capture and
 * drift monitoring. Every field but `models` has a default; docs/delivery.md describes the path end to end.
 */

/**
 * MLflow's own rules for alias names (mlflow/utils/validation.py `_validate_model_alias_name`): alphanumerics, `_` and
 * `-`, at most 255 characters, not `latest` in any case, and not `v<digits>` (reserved for version references).
 */
export const MLFLOW_ALIAS_RE = /^[A-Za-z0-9_-]{1,255}$/;

const alias = z
  .string()
  .regex(MLFLOW_ALIAS_RE, "must be an MLflow alias: letters, digits, _ and - only (at most 255), as MLflow rejects anything else")
  .refine((a) => a.toLowerCase() !== "latest", { message: "must not be latest: MLflow reserves it (in any case)" })
  .refine((a) => !/^[vV]\d+$/.test(a), { message: "must not look like v<number>: MLflow reserves those for version references" });

/** Becomes `triton-<name>` Kubernetes objects and hosts, and Triton's model directory name. */
const modelName = z.string().regex(/^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/, "must be a lowercase model name like churn (a-z, 0-9, -; at most 24 characters): it names Kubernetes objects, IAM roles and a host");

const step = z.strictObject({
  /** Share of the traffic the new version gets at this step (percent). */
  weight: z.number().int().min(1, "must be at least 1 (percent of the traffic)").max(100, "must be at most 100 (percent of the traffic)"),
  /** How long the weight is held while the analysis runs. */
  pauseMinutes: z.number().int().min(1).max(1440).default(5),
});

const model = z.strictObject({
  name: modelName,
  /** The registered model in the environment's MLflow and the alias whose version is served. @default - none: versions are published by hand */
  registry: z
    .strictObject({
      model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$/, "must be a registered model name of letters, digits, _ . - (at most 256 characters)"),
      alias,
    })
    .optional(),
  /**
   * `automatic`: a CronJob follows the alias and promotes each version it names (development tier only). `reviewed`:
   * the served version is `version` below, changed by a pull request. @default "reviewed"
   */
  promotion: z.enum(["automatic", "reviewed"]).default("reviewed"),
  /** The version served (MLflow version number, also Triton's). Required with reviewed promotion. */
  version: z.number().int().min(1).optional(),
  /** An A/B experiment before the canary steps: both versions side by side for a fixed time. @default - none */
  experiment: z
    .strictObject({
      /** Percent of the traffic each arm (the current and the new version) gets through the load balancer. */
      weight: z.number().int().min(1).max(50, "must be at most 50: two arms share the traffic"),
      durationMinutes: z.number().int().min(5).max(10080),
    })
    .optional(),
});

export const deliverySettings = z.strictObject({
  canary: z
    .strictObject({
      steps: z.array(step).min(1).max(10).default([
        { weight: 10, pauseMinutes: 5 },
        { weight: 25, pauseMinutes: 5 },
        { weight: 50, pauseMinutes: 10 },
      ]),
    })
    .prefault({}),
  /** Thresholds of the canary analysis, measured on the canary's own pods; a failed measurement beyond `failureLimit` aborts. */
  analysis: z
    .strictObject({
      intervalMinutes: z.number().int().min(1).max(60).default(1),
      failureLimit: z.number().int().min(0).max(10).default(1),
      /**
       * Requests (success and failure) the canary must serve in the analysis's 2-minute window before it is judged;
       * below it a measurement is Inconclusive, not failed (docs/delivery.md "Minimum traffic").
       */
      minRequests: z.number().int().min(1).max(1_000_000).default(100),
      /** Quiet (Inconclusive) measurements per metric before the rollout pauses for a human. */
      inconclusiveLimit: z.number().int().min(0).max(100).default(2),
      /** Fraction of requests that succeed (0-1). */
      minSuccessRate: z.number().gt(0).default(0.99),
      maxP99LatencyMs: z.number().int().min(1).max(600_000).default(500),
      maxQueueMs: z.number().int().min(1).max(600_000).default(100),
      /** Abort while a sustained input-drift alert fires for the model. */
      blockOnDrift: z.boolean().default(true),
    })
    .prefault({}),
  /** Triton traces every Nth inference request with its input and output tensors; a sidecar ships them to S3. */
  capture: z.strictObject({ sampleEvery: z.number().int().min(1).max(1_000_000).default(100) }).prefault({}),
  /** Input drift per model: the last `currentHours` of captured inputs against the `referenceDays` before them. */
  drift: z
    .strictObject({
      intervalMinutes: z.number().int().min(5).max(1440).default(60),
      currentHours: z.number().int().min(1).max(168).default(24),
      referenceDays: z.number().int().min(1).max(90).default(7),
      /** Share of input columns that drifted (0-1) above which the model counts as drifting. */
      threshold: z.number().gt(0).max(1).default(0.5),
      /** How long drift must last before the alert fires (and, with blockOnDrift, blocks promotion). */
      forMinutes: z.number().int().min(1).max(10080).default(120),
    })
    .prefault({}),
  /** The models Triton serves, one Rollout each. @default - none */
  models: z.array(model).max(20).default([]),
});

export type DeliverySettings = z.output<typeof deliverySettings>;
export type DeliveredModel = DeliverySettings["models"][number];

/** What the refinement reads besides `delivery`. */
export interface DeliveryEnv {
  readonly tier: string;
  readonly delivery: DeliverySettings;
  readonly ml: { readonly triton: { readonly maxReplicas: number; readonly gpusPerReplica: number }; readonly ingress: { readonly enabled: boolean } };
}

/**
 * GPUs the models' Rollouts hold at their peak, all at once (one change may move several versions); the GPU ledger
 * (environments/lib/gpu-demand.ts) adds them to the inference pool's other claims.
 */
export function deliveryGpuDemand(env: DeliveryEnv): { gpus: number; perModel: Array<{ model: string; pods: number; gpus: number }> } {
  const { maxReplicas, gpusPerReplica } = env.ml.triton;
  const perModel = env.delivery.models.map((m) => {
    const pods = peakPods(maxReplicas, env.delivery.canary.steps, { trafficRouted: env.ml.ingress.enabled, experimentPods: m.experiment ? 2 * EXPERIMENT_ARM_REPLICAS : 0 });
    return { model: m.name, pods, gpus: pods * gpusPerReplica };
  });
  return { gpus: perModel.reduce((a, m) => a + m.gpus, 0), perModel };
}

/** Rules across delivery fields and with the rest of the environment (their GPUs: environments/lib/gpu-demand.ts). */
export function refineDelivery(env: DeliveryEnv, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["delivery", ...path], input, message });
  const d = env.delivery;
  d.canary.steps.forEach((s, i) => {
    if (i > 0 && s.weight <= d.canary.steps[i - 1].weight) issue(["canary", "steps", i, "weight"], s.weight, `must be greater than the step before (${d.canary.steps[i - 1].weight}): weights only increase`);
  });
  if (d.analysis.minSuccessRate > 1) issue(["analysis", "minSuccessRate"], d.analysis.minSuccessRate, "cannot be met: a success rate is a fraction of requests, at most 1");
  const seen = new Set<string>();
  d.models.forEach((m, i) => {
    if (seen.has(m.name)) issue(["models", i, "name"], m.name, "must be unique: each model is one Rollout");
    seen.add(m.name);
    if (m.promotion === "automatic") {
      if (!m.registry) issue(["models", i, "promotion"], m.promotion, "needs registry (the MLflow model and alias to follow): automatic promotion without a registry has nothing to promote");
      if (env.tier !== "development") issue(["models", i, "promotion"], m.promotion, `must be reviewed in ${env.tier} tier: the served version is pinned in this file and changed by a pull request`);
      if (m.version !== undefined) issue(["models", i, "version"], m.version, "must not be set with automatic promotion: the served version is the one the alias names");
    } else if (m.version === undefined) {
      issue(["models", i, "version"], m.version, "is required with reviewed promotion: pin the version to serve (the MLflow version number)");
    }
  });
}
