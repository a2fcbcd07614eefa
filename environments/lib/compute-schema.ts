import { z } from "zod";
import { EFA_NETWORK_CARDS, efaLayoutKey, hasEfaLayout } from "../../constructs/catalog/efa-layouts";
import { findInstanceType } from "../../constructs/catalog/instance-types";
import { amiAlias, capacityTypes, cpuFamily, disruptionBudget, duration, efaInstanceType, gpuFamily, gpuInstanceType, positiveInt, uniqueList } from "./fields";
import { gpuSharingSettings, sharedGpuPoolSettings } from "./serving-schema";

/** The `compute` section of an environment: node image, Karpenter pools and EFA capacity (docs/gpu-compute.md). */

export const efaSettings = z.discriminatedUnion("mode", [
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
    consolidateAfter: duration("30m").default("30m"),
    /** How long draining may wait for `karpenter.sh/do-not-disrupt` jobs before nodes are forcibly removed. */
    terminationGracePeriod: duration("24h").default("24h"),
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


/** The `compute` section: the Karpenter pools and EFA capacity of the cluster. */
export const computeSettings = z.strictObject({
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
    consolidateAfter: duration("5m").default("5m"),
    budgets: z.array(disruptionBudget).default([{ nodes: "10%" }]),
  }),
  gpuTrainingPool: z
    .strictObject({
      instanceTypes: uniqueList(gpuInstanceType),
      capacityTypes: uniqueList(z.enum(["on-demand", "reserved"])),
      limits: z.strictObject({ gpus: positiveInt }),
      consolidateAfter: duration("30m").default("30m"),
      terminationGracePeriod: duration("24h").default("24h"),
      /** On-Demand Capacity Reservation or Capacity Block ids, required when capacityTypes includes reserved. */
      capacityReservationIds: z.array(z.string().regex(/^cr-[0-9a-f]{17}$/, "must be a capacity reservation id like cr-0123456789abcdef0")).optional(),
    })
    .optional(),
  efa: efaSettings,
  /** GPU sharing per pool and the optional shared-GPU pool (environments/lib/serving-schema.ts). */
  gpuSharing: gpuSharingSettings,
  sharedGpuPool: sharedGpuPoolSettings.optional(),
});

export type ComputeSettings = z.output<typeof computeSettings>;

/** What the compute rules read besides the compute section. */
interface ComputeContext {
  readonly tier: string;
  readonly compute: ComputeSettings;
  readonly network: { readonly availabilityZones: readonly string[] };
}

/** Rules across compute fields (and the VPC's zones): AMI pinning, EFA zone, layouts and reserved capacity. */
export function refineCompute(env: ComputeContext, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["compute", ...path], input, message });
  if (env.tier !== "development" && env.compute.amiAlias.endsWith("@latest")) {
    issue(["amiAlias"], env.compute.amiAlias, `must be pinned to al2023@vYYYYMMDD in ${env.tier} tier (@latest is allowed only in development)`);
  }
  const efa = env.compute.efa;
  if (efa.mode !== "disabled") {
    const az = efa.availabilityZones[0];
    if (!env.network.availabilityZones.includes(az)) {
      issue(["efa", "availabilityZones", 0], az, `must be one of the VPC's availability zones (${env.network.availabilityZones.join(", ")})`);
    }
    efa.instanceTypes.forEach((t, i) => {
      if ((findInstanceType(t)?.efaInterfaces ?? 0) > 0 && !hasEfaLayout(t)) {
        issue(["efa", "instanceTypes", i], t, `has no EFA network-card layout in constructs/catalog/efa-layouts.ts (supported: ${Object.keys(EFA_NETWORK_CARDS).join(", ")})`);
      }
    });
    const known = efa.instanceTypes.filter((t) => hasEfaLayout(t));
    const interfaceCounts = new Set(known.map((t) => findInstanceType(t)?.efaInterfaces));
    if (efa.mode === "karpenter" && interfaceCounts.size > 1) {
      issue(["efa", "instanceTypes"], efa.instanceTypes, "must share one EFA interface layout: one EC2NodeClass networkInterfaces list cannot serve types with different EFA interface counts");
    } else if (interfaceCounts.size === 1 && new Set(known.map(efaLayoutKey)).size > 1) {
      issue(["efa", "instanceTypes"], efa.instanceTypes, "must share one EFA interface layout: these types have the same EFA interface count but on different network cards (p6-b300 card 0 is ENA-only)");
    }
  }
  if (efa.mode === "karpenter" && efa.capacityType === "reserved") {
    if (!efa.capacityReservationIds?.length) issue(["efa", "capacityReservationIds"], efa.capacityReservationIds, "must list at least one reservation id when capacityType is reserved");
    if (efa.placementGroup) {
      issue(["efa", "placementGroup"], efa.placementGroup, "must be false with reserved capacity: a cluster placement group breaks Capacity Block and ODCR launches unless the reservation was made in that group");
    }
  }
  if (efa.mode === "managed-node-group") {
    if (efa.capacityBlockReservationId !== undefined && efa.placementGroup) {
      issue(["efa", "placementGroup"], efa.placementGroup, "must be false with a Capacity Block: a cluster placement group breaks Capacity Block launches (InsufficientInstanceCapacity)");
    }
    if (new Set(efa.instanceTypes.map((t) => findInstanceType(t)?.efaInterfaces)).size > 1) {
      issue(["efa", "instanceTypes"], efa.instanceTypes, "must share one EFA interface layout: one launch template cannot serve types with different EFA interface counts");
    }
    if (!(efa.minSize <= efa.desiredSize && efa.desiredSize <= efa.maxSize)) {
      issue(["efa", "desiredSize"], efa.desiredSize, `must satisfy minSize <= desiredSize <= maxSize (minSize ${efa.minSize}, maxSize ${efa.maxSize})`);
    }
  }
  const training = env.compute.gpuTrainingPool;
  if (training?.capacityTypes.includes("reserved") && !training.capacityReservationIds?.length) {
    issue(["gpuTrainingPool", "capacityReservationIds"], training.capacityReservationIds, "must list at least one reservation id when capacityTypes includes reserved");
  }
}
