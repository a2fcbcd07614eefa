import { EC2_ON_DEMAND_USD_PER_HOUR, EC2_PRICES_DATE, EC2_PRICES_REGION } from "../../constructs/catalog/ec2-prices.generated";
import { findInstanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import { dedicatedPoolName } from "../../constructs/karpenter/pool-labels";
import { resilienceCostItems } from "./resilience-cost";
import type { Environment } from "./schema";
import { servingBreakdown, servingCostItems } from "./serving-cost";

/**
 * Worst-case On-Demand cost ceiling of an environment, computed from its validated configuration (so it works
 * before any stack exists and for both sides of a review).
 *
 * Method:
 * - Karpenter NodePools (the teams' dedicated pools too): a pool can grow until one of its limits is reached. For every instance type the pool
 *   allows, the node count that fills the limits is `min(limit_r / capacity_r)` over the limited resources r
 *   (GPUs, vCPUs, memory), treated as a continuous number; the pool's ceiling is the most expensive such fill.
 *   This is the most expensive instance mix the limits allow (a mix never costs more than its dearest pure fill).
 *   Spot and reserved capacity are priced On-Demand (an upper bound).
 * - Managed node groups: max size times the dearest instance type listed.
 * - Fixed items: EKS control plane, NAT gateways, the MLflow RDS instance and storage, the ALB if enabled, the
 *   customer managed KMS keys, and the AWS Private CA that issues the load balancer's certificate when one is named.
 * - Training storage (environments/lib/resilience-cost.ts): the FSx for Lustre file system's provisioned SSD storage.
 * - Not included (usage-based): data transfer and NAT/ALB processing, S3, DynamoDB, CloudWatch, KMS requests, EBS
 *   volumes, CloudTrail data events, Route 53 queries, private certificates issued.
 */

/** Fixed hourly prices, us-east-1 On-Demand, as read on the dates given. */
export const FIXED_PRICES = {
  /** EKS cluster, standard support. AWS EKS pricing page (2026). */
  eksControlPlanePerHour: { usd: 0.1, source: "aws.amazon.com/eks/pricing, standard support, read 2026-11" },
  /** NAT gateway hour (data processing excluded). AWS VPC pricing page (2026). */
  natGatewayPerHour: { usd: 0.045, source: "aws.amazon.com/vpc/pricing, us-east-1, read 2026-11" },
  /** Application Load Balancer hour (LCUs excluded). AWS ELB pricing page (2026). */
  albPerHour: { usd: 0.0225, source: "aws.amazon.com/elasticloadbalancing/pricing, us-east-1, read 2026-11" },
  /** RDS gp3 storage per GB-month, single-AZ (Multi-AZ bills it twice). */
  rdsGp3PerGbMonth: { usd: 0.115, source: "aws.amazon.com/rds/pricing (gp3), us-east-1, as cited May-June 2026" },
  /**
   * A customer managed KMS key per month at its ceiling: $1, plus $1 for each of the first two yearly rotations of its
   * key material (later rotations add nothing since the May 2024 pricing change).
   */
  kmsKeyPerMonth: { usd: 3, source: "aws.amazon.com/kms/pricing ($1/month per key, +$1/month per rotation for the first two), read 2026-11" },
  /** An AWS Private CA in general-purpose mode, per month (certificates issued are extra, per certificate). */
  privateCaPerMonth: { usd: 400, source: "aws.amazon.com/private-ca/pricing (general-purpose mode), read 2026-11" },
} as const;

/**
 * Customer managed KMS keys every environment has: the bootstrap stack's state, secrets and CI saved-plans keys, the
 * foundation's telemetry, EKS secrets, node-volumes, ML data and container-image keys. A test counts them in the
 * synthesized stacks.
 */
export const KMS_KEYS_PER_ENVIRONMENT = 8;

/** RDS for PostgreSQL single-AZ On-Demand USD/hour, us-east-1 (Multi-AZ is twice). Add a class here before using it. */
export const RDS_POSTGRES_USD_PER_HOUR: Readonly<Record<string, number>> = {
  "db.t4g.micro": 0.016,
  "db.t4g.small": 0.032,
  "db.t4g.medium": 0.065,
  "db.t4g.large": 0.129,
  "db.m7g.large": 0.168,
  "db.m7g.xlarge": 0.337,
  "db.m7g.2xlarge": 0.674,
};
export const RDS_PRICES_SOURCE = "aws.amazon.com/rds/pricing (PostgreSQL, us-east-1) as cited by third-party breakdowns of May-June 2026";

/** Hours in the 30-day month the ceiling is quoted for. */
export const HOURS_PER_30_DAYS = 720;

/** One line of the ceiling. */
export interface CostItem {
  /** Stable key, e.g. `nodepool/gpu-inference`, `fixed/nat-gateways`. */
  readonly key: string;
  readonly usdPerHour: number;
  /** How the number was reached, for people. */
  readonly basis: string;
}

export interface CostCeiling {
  readonly environment: string;
  readonly region: string;
  readonly items: readonly CostItem[];
  readonly usdPerHour: number;
  readonly usdPer30Days: number;
  readonly monthlyBudgetUsd?: number;
  /** vLLM models and Ray at their maximum: already inside the pool lines, shown for who pays for what (serving-cost.ts). */
  readonly breakdown?: readonly CostItem[];
  /** Prices are us-east-1; other regions differ. */
  readonly priceNote: string;
}

function price(type: InstanceTypeInfo): number {
  const p = EC2_ON_DEMAND_USD_PER_HOUR[type.name];
  if (p === undefined) throw new Error(`no On-Demand price for ${type.name} in constructs/catalog/ec2-prices.generated.ts`);
  return p;
}

/** Rounds to a tenth of a cent so printed figures and tests agree. */
function round(usd: number): number {
  return Math.round(usd * 1000) / 1000;
}

interface Limits {
  readonly gpus?: number;
  readonly cpu?: number;
  readonly memoryGiB?: number;
}

/** The dearest fill of `limits` by any one of `types` (continuous node count). */
export function poolCeiling(key: string, types: readonly InstanceTypeInfo[], limits: Limits): CostItem {
  let best: { cost: number; type: InstanceTypeInfo; nodes: number } | undefined;
  for (const t of types) {
    if (!(t.name in EC2_ON_DEMAND_USD_PER_HOUR)) continue; // not sold in the priced region
    const fills: number[] = [];
    if (limits.gpus !== undefined) fills.push(t.gpuCount > 0 ? limits.gpus / t.gpuCount : 0);
    if (limits.cpu !== undefined) fills.push(limits.cpu / t.vcpu);
    if (limits.memoryGiB !== undefined) fills.push((limits.memoryGiB * 1024) / t.memoryMiB);
    const nodes = Math.min(...fills);
    const cost = nodes * price(t);
    if (!best || cost > best.cost) best = { cost, type: t, nodes };
  }
  if (!best) throw new Error(`${key}: none of its instance types has a price`);
  const limitText = Object.entries(limits)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return {
    key,
    usdPerHour: round(best.cost),
    basis: `limits ${limitText} filled by ${round(best.nodes)} x ${best.type.name} at $${price(best.type)}/h`,
  };
}

/** Every x86_64 type of the families, as the NodePools' requirements (family In, arch amd64) allow. */
function familiesTypes(families: readonly string[]): InstanceTypeInfo[] {
  return families.flatMap((f) => instanceTypesOfFamily(f).filter((t) => t.arch === "amd64"));
}

function namedTypes(names: readonly string[]): InstanceTypeInfo[] {
  return names.map((n) => findInstanceType(n)!);
}

function groupCeiling(key: string, names: readonly string[], maxSize: number): CostItem {
  const dearest = namedTypes(names).reduce((a, b) => (price(b) > price(a) ? b : a));
  return { key, usdPerHour: round(maxSize * price(dearest)), basis: `max size ${maxSize} x ${dearest.name} at $${price(dearest)}/h` };
}

/** The worst-case On-Demand ceiling of one environment. */
export function costCeiling(env: Environment): CostCeiling {
  const c = env.compute;
  const items: CostItem[] = [
    poolCeiling("nodepool/general", familiesTypes(c.cpuPool.instanceFamilies), { cpu: c.cpuPool.limits.cpu, memoryGiB: c.cpuPool.limits.memoryGiB }),
    poolCeiling(
      "nodepool/gpu-inference",
      familiesTypes(c.gpuInferencePool.instanceFamilies).filter((t) => t.gpuCount > 0),
      { gpus: c.gpuInferencePool.limits.gpus, cpu: c.gpuInferencePool.limits.cpu },
    ),
  ];
  if (c.gpuTrainingPool) items.push(poolCeiling("nodepool/gpu-training", namedTypes(c.gpuTrainingPool.instanceTypes), { gpus: c.gpuTrainingPool.limits.gpus }));
  if (c.efa.mode === "karpenter") items.push(poolCeiling("nodepool/efa-training", namedTypes(c.efa.instanceTypes), { gpus: c.efa.limits.gpus }));
  if (c.efa.mode === "managed-node-group") items.push(groupCeiling("nodegroup/efa-training", c.efa.instanceTypes, c.efa.maxSize));
  items.push(...servingCostItems(env, poolCeiling));
  for (const t of env.teams.tenants) {
    if (!t.dedicatedPool) continue;
    const item = poolCeiling(`nodepool/${dedicatedPoolName(t.name)}`, namedTypes(t.dedicatedPool.instanceTypes), { gpus: t.dedicatedPool.gpus });
    items.push({ ...item, basis: `${item.basis}; dedicated to team ${t.name} (Team ${t.name}, CostCenter ${t.costCenter})` });
  }
  const sys = env.cluster.systemNodeGroup;
  items.push(groupCeiling("nodegroup/system", sys.instanceTypes, sys.maxSize));

  items.push({ key: "fixed/eks-control-plane", usdPerHour: FIXED_PRICES.eksControlPlanePerHour.usd, basis: `1 cluster at $${FIXED_PRICES.eksControlPlanePerHour.usd}/h` });
  const nats = env.network.natGateways === "single" ? 1 : env.network.availabilityZones.length;
  items.push({ key: "fixed/nat-gateways", usdPerHour: round(nats * FIXED_PRICES.natGatewayPerHour.usd), basis: `${nats} x $${FIXED_PRICES.natGatewayPerHour.usd}/h (data processing excluded)` });

  const db = env.ml.mlflowDatabase;
  const dbHourly = RDS_POSTGRES_USD_PER_HOUR[db.instanceClass];
  if (dbHourly === undefined) {
    throw new Error(`environment "${env.name}": ml.mlflowDatabase.instanceClass: no price for "${db.instanceClass}"; add it to RDS_POSTGRES_USD_PER_HOUR in environments/lib/cost.ts (priced: ${Object.keys(RDS_POSTGRES_USD_PER_HOUR).join(", ")})`);
  }
  const copies = db.multiAz ? 2 : 1;
  const storageHourly = (copies * db.maxAllocatedStorageGiB * FIXED_PRICES.rdsGp3PerGbMonth.usd) / HOURS_PER_30_DAYS;
  items.push({
    key: "fixed/mlflow-database",
    usdPerHour: round(copies * dbHourly + storageHourly),
    basis: `${copies} x ${db.instanceClass} at $${dbHourly}/h + ${copies} x ${db.maxAllocatedStorageGiB} GiB gp3 (autoscaling ceiling) at $${FIXED_PRICES.rdsGp3PerGbMonth.usd}/GB-month`,
  });
  if (env.ml.ingress.enabled) items.push({ key: "fixed/alb", usdPerHour: FIXED_PRICES.albPerHour.usd, basis: `1 ALB at $${FIXED_PRICES.albPerHour.usd}/h (LCUs excluded)` });
  const kms = FIXED_PRICES.kmsKeyPerMonth.usd;
  items.push({ key: "fixed/kms-keys", usdPerHour: round((KMS_KEYS_PER_ENVIRONMENT * kms) / HOURS_PER_30_DAYS), basis: `${KMS_KEYS_PER_ENVIRONMENT} customer managed keys at $${kms}/month (two rotations)` });
  const certificate = env.ml.ingress.enabled ? env.ml.ingress.certificate : undefined;
  if (certificate && "privateCertificateAuthorityArn" in certificate) {
    const pca = FIXED_PRICES.privateCaPerMonth.usd;
    items.push({
      key: "fixed/private-ca",
      usdPerHour: round(pca / HOURS_PER_30_DAYS),
      basis: `AWS Private CA ${certificate.privateCertificateAuthorityArn} at $${pca}/month (general-purpose mode; counted in full in every environment that names it)`,
    });
  }
  items.push(...resilienceCostItems(env, HOURS_PER_30_DAYS));

  const usdPerHour = round(items.reduce((sum, i) => sum + i.usdPerHour, 0));
  return {
    environment: env.name,
    region: env.account.region,
    items,
    usdPerHour,
    usdPer30Days: Math.round(usdPerHour * HOURS_PER_30_DAYS * 100) / 100,
    monthlyBudgetUsd: env.budget?.monthlyUsd,
    breakdown: servingBreakdown(env),
    priceNote:
      env.account.region === EC2_PRICES_REGION
        ? `EC2 prices: ${EC2_PRICES_REGION} On-Demand Linux, Karpenter's table of ${EC2_PRICES_DATE}`
        : `EC2 prices: ${EC2_PRICES_REGION} On-Demand Linux (Karpenter's table of ${EC2_PRICES_DATE}) used for ${env.account.region}; actual ${env.account.region} prices differ`,
  };
}

/** The result of holding ceilings against budgets: errors (production tier) and warnings (other tiers). */
export interface BudgetCheck {
  readonly errors: string[];
  readonly warnings: string[];
}

/** A ceiling over budget is an error in production tier and a warning elsewhere. */
export function checkBudgets(envs: readonly Environment[]): BudgetCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const env of envs) {
    if (!env.budget) continue;
    const ceiling = costCeiling(env);
    if (ceiling.usdPer30Days <= env.budget.monthlyUsd) continue;
    const message = `environment "${env.name}": budget.monthlyUsd: got ${env.budget.monthlyUsd}; the worst-case On-Demand ceiling is $${ceiling.usdPer30Days.toFixed(2)} per 30 days (run \`npm run cost\`): raise the budget or lower the pool limits`;
    (env.tier === "production" ? errors : warnings).push(message);
  }
  return { errors, warnings };
}
