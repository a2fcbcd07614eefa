import { z } from "zod";

/**
 * The `observability` section of an environment (issue 5): Prometheus sizing, Alertmanager receivers, alert
 * thresholds and SLO targets, and the optional AMP remote write and OpenCost. Every field has a default, so an
 * environment can leave the whole section out; docs/observability.md lists the defaults.
 */

/** Kubernetes label values (`team`, `cost-center` on namespaces): at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
export const LABEL_VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Characters AWS allows in tag values (mirrors the tag rule of the environment schema). */
const AWS_TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const minutes = (max: number) => z.number().int().min(1).max(max);
const percent = (min: number, max: number) => z.number().min(min).max(max);

/** Prometheus TSDB retention: whole hours, days, weeks or years (Prometheus duration syntax). */
const retention = z.string().regex(/^[1-9][0-9]*(h|d|w|y)$/, "must be a Prometheus duration of whole hours, days, weeks or years like 15d");

/** Becomes part of Kubernetes object names, volume names and the Secrets Manager secret name. */
const receiverName = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, "must be a lowercase name like oncall-slack (a-z, 0-9, -; at most 32 characters)")
  .refine((v) => v !== "null", { message: 'must not be "null": that receiver drops alerts and is always present' });

/** Alert severities the platform's rules use. */
export const SEVERITIES = ["critical", "warning", "info"] as const;

const severities = z
  .array(z.enum(SEVERITIES))
  .min(1)
  .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
  .default(["critical", "warning"]);

/**
 * An Alertmanager receiver. Its URL or key lives in Secrets Manager (`<prefix>/alertmanager/<name>`, created empty by
 * Terraform and filled out of band) and reaches Alertmanager as a file, so no endpoint secret is in values or state.
 */
const receiver = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("slack"),
    name: receiverName,
    /** Slack channel the webhook posts to (the webhook's own channel when it ignores overrides). */
    channel: z.string().regex(/^#[a-z0-9][a-z0-9._-]{0,79}$/, "must be a Slack channel like #ml-platform-alerts"),
    severities,
  }),
  z.strictObject({ type: z.literal("pagerduty"), name: receiverName, severities }),
  z.strictObject({ type: z.literal("webhook"), name: receiverName, severities }),
]);

export const observabilitySettings = z.strictObject({
  prometheus: z
    .strictObject({
      /** How long samples are kept on the PVC. */
      retention: retention.default("15d"),
      /** Size of each replica's encrypted gp3 volume; Prometheus also stops at 85% of it (retentionSize). */
      volumeSizeGiB: z.number().int().min(10).max(16384).default(50),
      replicas: z.number().int().min(1).max(3).default(1),
      /** Memory request and limit of each replica. */
      memoryGiB: z.number().int().min(1).max(256).default(4),
      scrapeInterval: z.string().regex(/^[1-9][0-9]*(s|m)$/, "must be a duration in seconds or minutes like 30s").default("30s"),
    })
    .prefault({}),
  alertmanager: z
    .strictObject({
      replicas: z.number().int().min(1).max(3).default(1),
      /** Where alerts go, by severity. Empty: alerts are visible in Alertmanager and Grafana only. */
      receivers: z.array(receiver).default([]),
    })
    .prefault({}),
  /** Remote write to an Amazon Managed Service for Prometheus workspace created for this environment. */
  ampRemoteWrite: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  /** OpenCost reading this Prometheus (cost per namespace, team label, node). */
  opencost: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  slo: z
    .strictObject({
      /** Share of Triton requests that must succeed over 30 days; the error budget is 100 minus this. */
      tritonAvailabilityPercent: percent(90, 99.999).default(99.9),
      /** p99 end-to-end request latency Triton must stay under (per model). */
      tritonP99LatencyMs: z.number().int().min(1).max(600_000).default(500),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** A GPU held by a pod whose utilization stays under `utilizationPercent` for `forMinutes`. */
      gpuIdle: z.strictObject({ utilizationPercent: percent(0, 100).default(5), forMinutes: minutes(1440).default(60) }).prefault({}),
      gpuMemoryNearFull: z.strictObject({ usedPercent: percent(50, 100).default(95), forMinutes: minutes(1440).default(15) }).prefault({}),
      /** How long Triton's p99 must exceed slo.tritonP99LatencyMs before paging. */
      tritonLatency: z.strictObject({ forMinutes: minutes(1440).default(10) }).prefault({}),
      /** Average queue time per request over `queueMilliseconds` and still rising. */
      tritonQueue: z.strictObject({ queueMilliseconds: z.number().int().min(1).max(600_000).default(100), forMinutes: minutes(1440).default(15) }).prefault({}),
      /** Karpenter Create calls failing (any error, or insufficient capacity) for this long. */
      karpenterLaunchFailure: z.strictObject({ forMinutes: minutes(1440).default(15) }).prefault({}),
      nodePoolNearLimit: z.strictObject({ usedPercent: percent(50, 100).default(90), forMinutes: minutes(1440).default(10) }).prefault({}),
      gpuPodPending: z.strictObject({ forMinutes: minutes(1440).default(15) }).prefault({}),
      nodeNotReady: z.strictObject({ forMinutes: minutes(1440).default(10) }).prefault({}),
    })
    .prefault({}),
});

/** The validated `observability` section. */
export type ObservabilitySettings = z.output<typeof observabilitySettings>;

/** The parts of an environment the observability rules below look at. */
interface ObservabilityRefineInput {
  readonly tier: string;
  readonly tags: { readonly Team: string; readonly CostCenter: string };
  readonly observability: ObservabilitySettings;
}

/**
 * Cross-field rules of the observability section (called from the environment schema's superRefine): the cost tags
 * become namespace labels, receiver names are unique, and production pages someone.
 */
export function refineObservability(env: ObservabilityRefineInput, ctx: z.RefinementCtx): void {
  for (const key of ["Team", "CostCenter"] as const) {
    // A value AWS already rejects is reported by the tag rule; a second message would only add noise.
    if (AWS_TAG_VALUE_RE.test(env.tags[key]) && !LABEL_VALUE_RE.test(env.tags[key])) {
      ctx.addIssue({
        code: "custom",
        path: ["tags", key],
        input: env.tags[key],
        message: "must also be a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 . _ -, alphanumeric at both ends): namespaces carry it as a cost-allocation label",
      });
    }
  }
  const receivers = env.observability.alertmanager.receivers;
  receivers.forEach((r, i) => {
    if (receivers.findIndex((x) => x.name === r.name) !== i) {
      ctx.addIssue({ code: "custom", path: ["observability", "alertmanager", "receivers", i, "name"], input: r.name, message: "must be unique among the receivers" });
    }
  });
  if (env.tier === "production" && !receivers.some((r) => r.severities.includes("critical"))) {
    ctx.addIssue({
      code: "custom",
      path: ["observability", "alertmanager", "receivers"],
      input: receivers.map((r) => r.name),
      message: "must include a receiver for severity critical in production tier (someone must be paged)",
    });
  }
}
