import type { InstanceTypeInfo } from "../catalog/instance-types";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { ec2NodeClass, type Ec2NodeClassProps } from "../karpenter/ec2-node-class";
import { nodeOverlay } from "../karpenter/node-overlay";
import { nodePool, type NodePoolProps, type NodeRequirement } from "../karpenter/node-pool";
import type { NodeTaint, PoolPlacement } from "../karpenter/pool-labels";

/**
 * Capacity fallback for EFA training (docs/resilience.md "Capacity faults"): Capacity Blocks first, then On-Demand
 * Capacity Reservations, then on-demand. Karpenter tries NodePools by descending weight and moves on when a pool cannot
 * launch (its reservations are used up, or a Capacity Block is not active), so each tier is a NodePool:
 *
 * - `efa-training-capacity-block` (weight 30) and `efa-training-odcr` (weight 20) launch capacity type `reserved`, told
 *   apart by `karpenter.k8s.aws/capacity-reservation-type` (`capacity-block` or `default`), from one EC2NodeClass that
 *   selects the reservations by id and has no placement group: a cluster placement group breaks launches into a
 *   reservation that was not made in it (InsufficientInstanceCapacity), so the reserved tiers give it up;
 * - `efa-training` (no weight), the existing on-demand pool, keeps the cluster placement group.
 *
 * Trade-off: a job whose nodes come from different tiers still shares the EFA AZ, subnet and security group (EFA works
 * across placement groups), but not one placement group, so its all-reduce may be slower than on one tier. Jobs that
 * must stay on one tier select `node.ml-platform.io/capacity-tier`.
 *
 * Capacity Block expiry: EC2 terminates a block's instances 30 minutes before its end; Karpenter 1.14 marks the
 * reservation `expiring` 40 minutes before the end and drains its nodes then (pkg/apis/v1/ec2nodeclass_status.go,
 * capacityReservationExpirationPeriod), after which pending pods fall through to the next tier.
 * @see https://karpenter.sh/v1.14/tasks/odcrs/
 */

/** Label every EFA node carries naming the tier it was bought from. */
export const CAPACITY_TIER_LABEL = "node.ml-platform.io/capacity-tier";

/** One reserved tier: its NodePool name suffix, Karpenter's reservation type, its weight. */
export const RESERVED_TIERS = [
  { tier: "capacity-block", reservationType: "capacity-block", weight: 30 },
  { tier: "odcr", reservationType: "default", weight: 20 },
] as const;

/** Reservations of one tier: ids and instance counts. */
export interface TierReservations {
  readonly capacityBlocks: ReadonlyArray<{ readonly id: string; readonly instanceCount: number }>;
  readonly capacityReservations: ReadonlyArray<{ readonly id: string; readonly instanceCount: number }>;
}

export interface CapacityFallbackProps {
  /** The on-demand EFA pool's placement contract (labels and taints the reserved tiers share). */
  readonly pool: PoolPlacement;
  /** The on-demand pool's EC2NodeClass settings, placement group and reservations left out here. */
  readonly nodeClass: Omit<Ec2NodeClassProps, "name" | "placementGroupName" | "capacityReservationIds">;
  readonly instanceTypes: readonly InstanceTypeInfo[];
  /** Requirements every tier ends with (zone, architecture, OS). */
  readonly baseRequirements: readonly NodeRequirement[];
  readonly reservations: TierReservations;
  readonly startupTaints?: readonly NodeTaint[];
  readonly consolidateAfter: string;
  readonly terminationGracePeriod: string;
}

/** The reserved tiers' EC2NodeClass and NodePools (none for a tier without reservations). */
export function reservedTiers(props: CapacityFallbackProps): KubernetesObject[] {
  const className = `${props.pool.name}-reserved`;
  const ids = [...props.reservations.capacityBlocks, ...props.reservations.capacityReservations].map((r) => r.id);
  if (!ids.length) throw new Error(`${className}: capacity fallback needs at least one reservation`);
  const gpusPerNode = Math.max(...props.instanceTypes.map((t) => t.gpuCount));
  const out: KubernetesObject[] = [ec2NodeClass({ ...props.nodeClass, name: className, capacityReservationIds: ids })];
  for (const t of RESERVED_TIERS) {
    const held = t.tier === "capacity-block" ? props.reservations.capacityBlocks : props.reservations.capacityReservations;
    if (!held.length) continue;
    const pool: NodePoolProps = {
      name: `${props.pool.name}-${t.tier}`,
      nodeClassName: className,
      labels: { ...props.pool.nodeSelector, [CAPACITY_TIER_LABEL]: t.tier },
      taints: props.pool.taints,
      startupTaints: props.startupTaints,
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: props.instanceTypes.map((x) => x.name) },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved"] },
        { key: "karpenter.k8s.aws/capacity-reservation-type", operator: "In", values: [t.reservationType] },
        ...props.baseRequirements,
      ],
      // Exactly what the reservations hold: the tier never launches beyond them.
      limits: { "nvidia.com/gpu": held.reduce((n, r) => n + r.instanceCount, 0) * gpusPerNode },
      consolidationPolicy: "WhenEmpty",
      consolidateAfter: props.consolidateAfter,
      terminationGracePeriod: props.terminationGracePeriod,
      weight: t.weight,
    };
    out.push(nodePool(pool));
  }
  return out;
}

/**
 * 2 MiB huge pages the EFA driver of the EKS-optimized AL2023 NVIDIA AMI reserves at boot (5128 pages), which kubelet
 * then advertises as `hugepages-2Mi`.
 */
export const EFA_HUGE_PAGES_2MI = "10256Mi";

/**
 * Huge pages an EFA pod requests (the NCCL check): 5120Mi, as the aws-samples EFA-on-EKS nccl-tests job does; half of
 * what the node offers, leaving room for a second EFA process (a data loader) on the node.
 */
export const EFA_HUGE_PAGES_REQUEST = "5120Mi";

/**
 * A NodeOverlay (feature gate `nodeOverlay`) telling Karpenter that nodes of the EFA types offer those huge pages:
 * Karpenter cannot know them (aws/karpenter-provider-aws #3315), so without it a pod that requests `hugepages-2Mi`
 * (libfabric's EFA provider uses them for its bounce buffers, as the NCCL test does) matches no instance type and never
 * gets a node. The overlay only informs scheduling; the AMI makes the pages real.
 */
export function efaHugePagesOverlay(instanceTypes: readonly string[]): KubernetesObject {
  return nodeOverlay({
    name: "efa-hugepages",
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: [...instanceTypes] }],
    capacity: { "hugepages-2Mi": EFA_HUGE_PAGES_2MI },
  });
}
