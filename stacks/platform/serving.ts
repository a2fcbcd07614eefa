import { Construct } from "constructs";
import { instanceType, instanceTypesOfFamily } from "../../constructs/catalog/instance-types";
import { ec2NodeClass } from "../../constructs/karpenter/ec2-node-class";
import { nodePool } from "../../constructs/karpenter/node-pool";
import { GENERAL_POOL, GPU_DAEMONSET_TOLERATIONS, isDedicatedPool, SHARED_GPU_POOL, type PoolPlacement } from "../../constructs/karpenter/pool-labels";
import type { NodeSelectorTerm } from "../../constructs/kubernetes/footprint";
import { GpuOperator } from "../../constructs/serving/gpu-operator";
import {
  devicePluginConfigs,
  GPU_OPERANDS_LABEL,
  gpuClientAffinity,
  migPartedConfig,
  nodeCapacity,
  sharedPoolNodeLabels,
  sharingOverlays,
  type SharedPool,
} from "../../constructs/serving/gpu-sharing";
import { KuberayOperator } from "../../constructs/serving/kuberay-operator";
import type { Environment } from "../../environments/lib/schema";
import { SHARED_GPU_POOL_NAME } from "../../environments/lib/serving-schema";
import type { FoundationStack } from "../foundation-stack";
import { costTags } from "../naming";
import type { GpuCompute } from "./gpu-compute";

/** The pools of an environment whose GPUs are shared, with their sharing (none of them: no MIG, no overlays). */
export function sharedPools(env: Environment): SharedPool[] {
  const c = env.compute;
  const pools: SharedPool[] = [];
  const inference = c.gpuSharing["gpu-inference"];
  if (inference && inference.mode !== "none") {
    const types = c.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOf(f));
    pools.push({ pool: "gpu-inference", instanceTypes: types, sharing: inference });
  }
  const training = c.gpuSharing["gpu-training"];
  if (training && training.mode !== "none" && c.gpuTrainingPool) pools.push({ pool: "gpu-training", instanceTypes: c.gpuTrainingPool.instanceTypes, sharing: training });
  const shared = c.sharedGpuPool;
  if (shared && shared.sharing.mode !== "none") pools.push({ pool: SHARED_GPU_POOL_NAME, instanceTypes: shared.instanceTypes, sharing: shared.sharing });
  return pools;
}

/** The inference pool's own filter: GPU sizes of the family, x86_64. */
function instanceTypesOf(family: string): string[] {
  return instanceTypesOfFamily(family).filter((t) => t.gpuCount > 0 && t.arch === "amd64").map((t) => t.name);
}

const hasMig = (pools: readonly SharedPool[]) => pools.some((p) => p.sharing.mode === "mig");

/** The GPU pools gpu-compute.ts defines besides the teams' dedicated ones (the shared-GPU pool is defined here). */
const GPU_POOLS = ["gpu-inference", "gpu-training", "efa-training"];

/**
 * What GPU sharing changes in the existing compute (stacks/platform/gpu-compute.ts reads it): Karpenter's
 * `nodeOverlay` gate, the device plugin's per-node configurations, the DCGM exporter's wait for MIG, the extra labels
 * of each pool's nodes and a time-sliced pool's limit in slices (nodes report sliced capacity).
 */
export function computeSharing(env: Environment) {
  const pools = sharedPools(env);
  const mig = hasMig(pools);
  const byPool = new Map(pools.map((p) => [p.pool, p]));
  const configs = devicePluginConfigs(pools);
  return {
    featureGates: pools.length ? { nodeOverlay: true } : undefined,
    devicePlugin: pools.length ? { configs: { map: configs.map, default: configs.default }, advertises: configs.advertises, affinity: mig ? gpuClientAffinity() : defaultPluginAffinity() } : undefined,
    dcgmAffinity: mig ? gpuClientAffinity() : undefined,
    /** Labels a GPU pool's NodePool adds to its nodes. */
    poolLabels(pool: string): Record<string, string> {
      const shared = byPool.get(pool);
      if (shared) return sharedPoolNodeLabels(shared);
      // With the GPU Operator installed, GPU nodes outside MIG pools get none of its operands.
      return mig && (GPU_POOLS.includes(pool) || isDedicatedPool(pool)) ? { [GPU_OPERANDS_LABEL]: "false" } : {};
    },
    /** A pool's `nvidia.com/gpu` limit in what its nodes advertise (time-sliced nodes report replicas x GPUs). */
    gpuLimit(pool: string, gpus: number): number {
      const shared = byPool.get(pool);
      return shared?.sharing.mode === "time-slicing" ? gpus * shared.sharing.replicas : gpus;
    },
  };
}

/** The device plugin chart's own affinity (NFD's NVIDIA PCI label, or the label AL2023 NVIDIA AMIs and the pools set). */
function defaultPluginAffinity(): NodeSelectorTerm[] {
  return [
    { matchExpressions: [{ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }] },
    { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] },
  ];
}

export interface PlatformServingProps {
  readonly env: Environment;
  readonly foundation: FoundationStack;
  readonly compute: GpuCompute;
  /** kube-prometheus-stack's release: ServiceMonitor CRD for the KubeRay operator's monitor. */
  readonly monitoringCrds: ConstructRelease;
}

type ConstructRelease = GpuCompute["karpenterRelease"];

/**
 * Serving pieces of the platform stack (issue 15): the optional shared-GPU pool with its NodeOverlays, the overlays
 * of other shared pools, the GPU Operator reduced to mig-manager when a pool uses MIG, and the KubeRay operator.
 */
export class PlatformServing extends Construct {
  /** The shared-GPU pool when the environment has one. */
  readonly sharedGpuPool?: PoolPlacement;
  readonly gpuOperator?: GpuOperator;
  readonly kuberay: KuberayOperator;

  constructor(scope: Construct, id: string, props: PlatformServingProps) {
    super(scope, id);
    const { env, foundation, compute } = props;
    const pools = sharedPools(env);
    const shared = env.compute.sharedGpuPool;
    if (shared) {
      const types = shared.instanceTypes.map(instanceType);
      compute.nodePools.add(
        ec2NodeClass({
          name: SHARED_GPU_POOL.name,
          amiAlias: env.compute.amiAlias,
          role: compute.nodeRole.roleName,
          rootVolumeKmsKeyArn: foundation.nodeVolumesKey.keyArn,
          tags: costTags(env),
          subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": foundation.cluster.physicalName } }],
          securityGroupSelectorTerms: [{ id: foundation.cluster.clusterSecurityGroupId }],
          rootVolumeGiB: 200,
          rootVolumeThroughputMiBs: 250,
          raid0InstanceStore: types.some((t) => t.localNvmeGiB > 0),
        }),
      );
      const sharedPool = pools.find((p) => p.pool === SHARED_GPU_POOL_NAME)!;
      // Nodes report sliced capacity, so the limit counts what they advertise: the fewest slices any type gives.
      const perNode = shared.instanceTypes.map((t) => nodeCapacity(sharedPool, t));
      const limits: Record<string, number> = {};
      for (const resource of Object.keys(perNode[0])) {
        const perGpu = Math.min(...shared.instanceTypes.map((t, i) => (perNode[i][resource] ?? 0) / instanceType(t).gpuCount));
        if (perGpu > 0) limits[resource] = shared.limits.gpus * perGpu;
      }
      compute.nodePools.add(
        nodePool({
          name: SHARED_GPU_POOL.name,
          nodeClassName: SHARED_GPU_POOL.name,
          labels: { ...SHARED_GPU_POOL.nodeSelector, ...sharedPoolNodeLabels(sharedPool) },
          taints: SHARED_GPU_POOL.taints,
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: shared.instanceTypes },
            { key: "karpenter.sh/capacity-type", operator: "In", values: shared.capacityTypes },
            { key: "kubernetes.io/arch", operator: "In", values: [...new Set(types.map((t) => t.arch))].sort() },
            { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          ],
          limits,
          consolidationPolicy: "WhenEmptyOrUnderutilized",
          consolidateAfter: shared.consolidateAfter,
        }),
      );
      this.sharedGpuPool = SHARED_GPU_POOL;
    }
    for (const p of pools) for (const overlay of sharingOverlays(p)) compute.nodePools.add(overlay);

    const general = { nodeSelector: GENERAL_POOL.nodeSelector, tolerations: GENERAL_POOL.tolerations };
    const migPools = pools.filter((p) => p.sharing.mode === "mig");
    if (migPools.length) {
      const strategies = new Set(migPools.map((p) => (p.sharing.mode === "mig" ? p.sharing.strategy : "single")));
      this.gpuOperator = new GpuOperator(this, "gpu-operator", {
        migPartedConfig: migPartedConfig(migPools),
        // The operator's own strategy only feeds its (disabled) device plugin and GFD; each pool's is in the plugin config.
        migStrategy: strategies.has("mixed") ? "mixed" : "single",
        controllerPlacement: general,
        gpuTolerations: GPU_DAEMONSET_TOLERATIONS,
        dependsOn: [compute.nodePools.release],
      });
    }
    this.kuberay = new KuberayOperator(this, "kuberay-operator", { placement: general, dependsOn: [compute.nodePools.release, props.monitoringCrds] });
  }
}
