import { findInstanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import type { Environment } from "./schema";

/**
 * What an AWS account must have before an environment's first deploy, computed from its file: the EC2 vCPU quotas its
 * NodePool and node-group limits can reach, the instance types it assumes in each availability zone, the capacity
 * reservations it expects, and the service-linked roles. `npm run preflight` prints it.
 *
 * vCPUs per pool: for every instance type a pool allows, the nodes that reach its limits (rounded up: Karpenter
 * launches while usage is under a limit, so it may pass it by one node) times the type's vCPUs; the pool needs the
 * largest. A pool that allows spot and on-demand can reach it in either, so both quotas count it in full.
 * Node groups count max size times their largest type. Capacity Blocks do not use On-Demand quotas; ODCRs do.
 */

/** EC2 vCPU quota families (Service Quotas, service code ec2): On-Demand and Spot quota codes. */
export const QUOTA_BUCKETS = {
  standard: { label: "Standard (A, C, D, H, I, M, R, T, Z)", onDemand: "L-1216C47A", spot: "L-34B43A08" },
  g: { label: "G and VT", onDemand: "L-DB2E81BA", spot: "L-3819A6DF" },
  p: { label: "P", onDemand: "L-417A185B", spot: "L-7212CCBC" },
  trn: { label: "Trn", onDemand: "L-2C3B7624", spot: undefined },
  inf: { label: "Inf", onDemand: "L-1945791B", spot: undefined },
} as const;
export type QuotaBucket = keyof typeof QUOTA_BUCKETS;

/** The quota family of an instance family (`g6e` → g, `p5` → p, `m7i` → standard). */
export function quotaBucket(family: string): QuotaBucket {
  if (/^(g|vt)\d/.test(family)) return "g";
  if (/^p\d/.test(family)) return "p";
  if (/^trn\d/.test(family)) return "trn";
  if (/^inf\d/.test(family)) return "inf";
  if (/^[acdhimrtz]\d/.test(family)) return "standard";
  throw new Error(`instance family ${family} has no vCPU quota family here; add it to environments/lib/preflight.ts`);
}

/** One capacity source's demand on the quotas. */
export interface CapacityDemand {
  readonly source: string;
  readonly bucket: QuotaBucket;
  readonly vcpus: number;
  readonly onDemand: boolean;
  readonly spot: boolean;
  /** Capacity reservations it launches into (reserved capacity does not count against On-Demand or Spot here). */
  readonly reservations: readonly string[];
  readonly instanceTypes: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly basis: string;
}

export interface Preflight {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly demands: readonly CapacityDemand[];
  /** Required vCPUs per quota: `{code, name, vcpus}`. */
  readonly quotas: ReadonlyArray<{ readonly code: string; readonly name: string; readonly vcpus: number }>;
  readonly reservations: readonly string[];
  readonly serviceLinkedRoles: ReadonlyArray<{ readonly role: string; readonly service: string; readonly beforehand: boolean; readonly why: string }>;
}

interface Limits {
  readonly gpus?: number;
  readonly cpu?: number;
  readonly memoryGiB?: number;
}

/** The most vCPUs a pool's limits let it launch, and with which type. */
function poolVcpus(types: readonly InstanceTypeInfo[], limits: Limits): { vcpus: number; basis: string } {
  let best = { vcpus: 0, basis: "" };
  for (const t of types) {
    const fills: number[] = [];
    if (limits.gpus !== undefined) fills.push(t.gpuCount > 0 ? limits.gpus / t.gpuCount : 0);
    if (limits.cpu !== undefined) fills.push(limits.cpu / t.vcpu);
    if (limits.memoryGiB !== undefined) fills.push((limits.memoryGiB * 1024) / t.memoryMiB);
    const nodes = Math.ceil(Math.min(...fills) - 1e-9);
    if (nodes * t.vcpu > best.vcpus) best = { vcpus: nodes * t.vcpu, basis: `${nodes} x ${t.name} (${t.vcpu} vCPUs) reach its limits` };
  }
  return best;
}

const amd64 = (families: readonly string[]) => families.flatMap((f) => instanceTypesOfFamily(f).filter((t) => t.arch === "amd64"));
const named = (names: readonly string[]) => names.map((n) => findInstanceType(n)!);

/** Splits a pool over the quota families of its types (each family's share is its own worst case). */
function demandsOf(source: string, types: readonly InstanceTypeInfo[], limits: Limits, capacity: { onDemand: boolean; spot: boolean; reservations?: readonly string[] }, azs: readonly string[]): CapacityDemand[] {
  const byBucket = new Map<QuotaBucket, InstanceTypeInfo[]>();
  for (const t of types) byBucket.set(quotaBucket(t.family), [...(byBucket.get(quotaBucket(t.family)) ?? []), t]);
  return [...byBucket].map(([bucket, ts]) => {
    const { vcpus, basis } = poolVcpus(ts, limits);
    return { source, bucket, vcpus, onDemand: capacity.onDemand, spot: capacity.spot, reservations: capacity.reservations ?? [], instanceTypes: [...new Set(ts.map((t) => t.family))].sort(), availabilityZones: azs, basis };
  });
}

/** The account's prerequisites for one environment. */
export function preflight(env: Environment): Preflight {
  const c = env.compute;
  const azs = env.network.availabilityZones;
  const demands: CapacityDemand[] = [
    ...demandsOf("NodePool general", amd64(c.cpuPool.instanceFamilies), { cpu: c.cpuPool.limits.cpu, memoryGiB: c.cpuPool.limits.memoryGiB }, { onDemand: c.cpuPool.capacityTypes.includes("on-demand"), spot: c.cpuPool.capacityTypes.includes("spot") }, azs),
    ...demandsOf(
      "NodePool gpu-inference",
      amd64(c.gpuInferencePool.instanceFamilies).filter((t) => t.gpuCount > 0),
      { gpus: c.gpuInferencePool.limits.gpus, cpu: c.gpuInferencePool.limits.cpu },
      { onDemand: c.gpuInferencePool.capacityTypes.includes("on-demand"), spot: c.gpuInferencePool.capacityTypes.includes("spot") },
      azs,
    ),
  ];
  const training = c.gpuTrainingPool;
  if (training) {
    demands.push(
      ...demandsOf("NodePool gpu-training", named(training.instanceTypes), { gpus: training.limits.gpus }, { onDemand: training.capacityTypes.includes("on-demand"), spot: false, reservations: training.capacityReservationIds }, azs),
    );
  }
  const shared = c.sharedGpuPool;
  if (shared) {
    // The optional shared-GPU pool (docs/serving.md): its nodes count against the quotas like any other pool's.
    demands.push(...demandsOf("NodePool shared-gpu", named(shared.instanceTypes), { gpus: shared.limits.gpus }, { onDemand: shared.capacityTypes.includes("on-demand"), spot: shared.capacityTypes.includes("spot") }, azs));
  }
  const efa = c.efa;
  if (efa.mode === "karpenter") {
    demands.push(...demandsOf("NodePool efa-training", named(efa.instanceTypes), { gpus: efa.limits.gpus }, { onDemand: efa.capacityType === "on-demand", spot: false, reservations: efa.capacityReservationIds }, efa.availabilityZones));
  } else if (efa.mode === "managed-node-group") {
    const biggest = named(efa.instanceTypes).reduce((a, b) => (b.vcpu > a.vcpu ? b : a));
    const block = efa.capacityBlockReservationId;
    demands.push({
      source: "node group efa-training",
      bucket: quotaBucket(biggest.family),
      vcpus: efa.maxSize * biggest.vcpu,
      onDemand: block === undefined,
      spot: false,
      reservations: block ? [block] : [],
      instanceTypes: [...new Set(efa.instanceTypes.map((t) => findInstanceType(t)!.family))],
      availabilityZones: efa.availabilityZones,
      basis: `max size ${efa.maxSize} x ${biggest.name} (${biggest.vcpu} vCPUs)`,
    });
  }
  const sys = env.cluster.systemNodeGroup;
  const sysBiggest = named(sys.instanceTypes).reduce((a, b) => (b.vcpu > a.vcpu ? b : a));
  demands.push({
    source: "node group system",
    bucket: quotaBucket(sysBiggest.family),
    vcpus: sys.maxSize * sysBiggest.vcpu,
    onDemand: true,
    spot: false,
    reservations: [],
    instanceTypes: [...new Set(sys.instanceTypes.map((t) => findInstanceType(t)!.family))],
    availabilityZones: azs,
    basis: `max size ${sys.maxSize} x ${sysBiggest.name} (${sysBiggest.vcpu} vCPUs)`,
  });

  const totals = new Map<string, { code: string; name: string; vcpus: number }>();
  for (const d of demands) {
    const b = QUOTA_BUCKETS[d.bucket];
    const add = (code: string | undefined, name: string) => {
      if (!code) throw new Error(`${d.source}: no spot quota code for ${b.label} instances in environments/lib/preflight.ts`);
      const t = totals.get(code) ?? { code, name, vcpus: 0 };
      totals.set(code, { ...t, vcpus: t.vcpus + d.vcpus });
    };
    if (d.onDemand) add(b.onDemand, `Running On-Demand ${b.label} instances`);
    if (d.spot) add(b.spot, `All ${b.label} Spot Instance Requests`);
  }
  const anySpot = demands.some((d) => d.spot);
  const serviceLinkedRoles = [
    ...(anySpot ? [{ role: "AWSServiceRoleForEC2Spot", service: "spot.amazonaws.com", beforehand: true, why: "Karpenter launches spot capacity and cannot create this role (aws iam create-service-linked-role --aws-service-name spot.amazonaws.com)" }] : []),
    { role: "AWSServiceRoleForAmazonEKS", service: "eks.amazonaws.com", beforehand: false, why: "created by EKS with the cluster" },
    { role: "AWSServiceRoleForAmazonEKSNodegroup", service: "eks-nodegroup.amazonaws.com", beforehand: false, why: "created by EKS with the first managed node group" },
    { role: "AWSServiceRoleForAutoScaling", service: "autoscaling.amazonaws.com", beforehand: false, why: "created with the first Auto Scaling group; must exist first if a KMS key policy names it" },
    { role: "AWSServiceRoleForRDS", service: "rds.amazonaws.com", beforehand: false, why: "created by RDS with the MLflow database" },
    ...(env.ml.ingress.enabled ? [{ role: "AWSServiceRoleForElasticLoadBalancing", service: "elasticloadbalancing.amazonaws.com", beforehand: false, why: "created with the first load balancer" }] : []),
  ];
  return {
    environment: env.name,
    account: env.account.id,
    region: env.account.region,
    demands,
    quotas: [...totals.values()].sort((a, b) => a.code.localeCompare(b.code)),
    reservations: [...new Set(demands.flatMap((d) => d.reservations))].sort(),
    serviceLinkedRoles,
  };
}
