import type { Release } from "@cdktf/provider-helm/lib/release";
import { Construct } from "constructs";
import { efaNetworkInterfaces } from "../../constructs/catalog/efa-layouts";
import { instanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import { DcgmExporter } from "../../constructs/gpu/dcgm-exporter";
import { EfaDevicePlugin } from "../../constructs/gpu/efa-device-plugin";
import { NvidiaDevicePlugin } from "../../constructs/gpu/nvidia-device-plugin";
import { ec2NodeClass, type SelectorTerm } from "../../constructs/karpenter/ec2-node-class";
import { KarpenterInterruptionQueue } from "../../constructs/karpenter/interruption-queue";
import { Karpenter } from "../../constructs/karpenter/karpenter";
import { KarpenterNodeRole } from "../../constructs/karpenter/node-role";
import { nodePool } from "../../constructs/karpenter/node-pool";
import {
  EFA_LABEL,
  EFA_TRAINING_POOL,
  GENERAL_POOL,
  GPU_DAEMONSET_TOLERATIONS,
  GPU_INFERENCE_POOL,
  GPU_PRESENT_LABEL,
  GPU_TRAINING_POOL,
  teamPool,
  type PoolPlacement,
} from "../../constructs/karpenter/pool-labels";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import { efaHugePagesOverlay, reservedTiers } from "../../constructs/resilience/capacity-fallback";
import { exporterRemoteEngineValues } from "../../constructs/resilience/dcgm-host-engine";
import { FSX_CSI } from "../../constructs/storage/csi-drivers";
import { fsxMountingPools, fsxZone } from "../../environments/lib/resilience-schema";
import type { Environment } from "../../environments/lib/schema";
import { EFA_ROOT_VOLUME_GIB } from "../foundation/gpu-foundation";
import type { FoundationStack } from "../foundation-stack";
import { costTags } from "../naming";
import { computeSharing } from "./serving";

export interface GpuComputeProps {
  readonly env: Environment;
  readonly foundation: FoundationStack;
}

/**
 * How long a team-dedicated pool's empty node waits before Karpenter removes it: the team pays for it idle, but the next
 * job of a queue draining one after another should find the node (and its pulled images) still there.
 */
const DEDICATED_CONSOLIDATE_AFTER = "15m";

/** Deleting the pools drains and terminates their GPU nodes before Helm reports the release gone. */
const NODE_POOLS_RELEASE_TIMEOUT_SECONDS = 1800;

/** Linux on every architecture the pool's instance types have (the requirements every pool ends with). */
function platformRequirements(types: readonly InstanceTypeInfo[]) {
  return [
    { key: "kubernetes.io/arch", operator: "In" as const, values: [...new Set(types.map((t) => t.arch))].sort() },
    { key: "kubernetes.io/os", operator: "In" as const, values: ["linux"] },
  ];
}

/**
 * A NodePool's identity from the scheduling contract: its name, its EC2NodeClass, and the labels and taints of its
 * nodes (plus the labels GPU sharing adds, stacks/platform/serving.ts).
 */
function poolIdentity(pool: PoolPlacement, extraLabels: Readonly<Record<string, string>> = {}) {
  return { name: pool.name, nodeClassName: pool.name, labels: { ...pool.nodeSelector, ...extraLabels }, taints: pool.taints };
}

function hasNvme(types: readonly InstanceTypeInfo[]): boolean {
  return types.some((t) => t.localNvmeGiB > 0);
}

/**
 * GPU compute of the platform stack: Karpenter (IAM, interruption queue, node role, controller), the node
 * classes and pools (general CPU, GPU inference, GPU training, Karpenter EFA training when configured), the
 * NVIDIA and EFA device plugins and the DCGM exporter. The pools' release depends on the Karpenter release, so
 * `destroy` deletes the pools first (Karpenter drains and terminates their nodes) and the controller after.
 */
export class GpuCompute extends Construct {
  readonly nodeRole: KarpenterNodeRole;
  readonly interruptionQueue: KarpenterInterruptionQueue;
  readonly karpenter: Karpenter;
  /** The Karpenter controller release: depend on it for anything that needs Karpenter running. */
  readonly karpenterRelease: Release;
  /** The release holding every NodePool and EC2NodeClass. */
  readonly nodePools: ManifestsRelease;
  readonly nvidiaDevicePlugin: NvidiaDevicePlugin;
  readonly efaDevicePlugin?: EfaDevicePlugin;
  readonly dcgmExporter: DcgmExporter;
  /** Where workloads go: nodeSelector/tolerations of every pool this environment has. */
  readonly pools: {
    readonly general: PoolPlacement;
    readonly gpuInference: PoolPlacement;
    readonly gpuTraining?: PoolPlacement;
    readonly efaTraining?: PoolPlacement;
  };
  /** The teams' dedicated GPU pools (`teams.tenants[].dedicatedPool`), in the teams' order. */
  readonly teamPools: readonly PoolPlacement[];

  constructor(scope: Construct, id: string, props: GpuComputeProps) {
    super(scope, id);
    const { env, foundation } = props;
    const cluster = foundation.cluster;
    const clusterName = cluster.physicalName;
    const compute = env.compute;
    const tags = costTags(env);
    // Pools that mount the FSx file system: pinned to its zone, and tainted until the FSx CSI node plugin is ready.
    const fsxPools = new Set<string>(fsxMountingPools(env));
    const fsxStartup = (pool: string) => (fsxPools.has(pool) ? [FSX_CSI.startupTaint] : undefined);
    const fsxZonePin = (pool: string) => (fsxPools.has(pool) ? [{ key: "topology.kubernetes.io/zone", operator: "In" as const, values: [fsxZone(env)!] }] : []);
    // Huge pages for EFA pods on Karpenter nodes come from a NodeOverlay (alpha gate); node repair is alpha too.
    const hugePagesOverlay = compute.efa.mode === "karpenter";
    const sharing = computeSharing(env);

    this.nodeRole = new KarpenterNodeRole(this, "node-role", { roleName: `${clusterName}-karpenter-node`, clusterName: cluster.clusterName });
    this.interruptionQueue = new KarpenterInterruptionQueue(this, "interruption", {
      queueName: `${clusterName}-karpenter-interruption`,
      ruleNamePrefix: `${clusterName}-karpenter`,
    });
    this.karpenter = new Karpenter(this, "karpenter", {
      cluster,
      clusterPhysicalName: clusterName,
      region: env.account.region,
      nodeRole: this.nodeRole,
      interruptionQueue: this.interruptionQueue,
      nodeVolumesKeyArn: foundation.nodeVolumesKey.keyArn,
      featureGates: { nodeRepair: env.resilience.nodeRepair.enabled, ...(hugePagesOverlay ? { nodeOverlay: true } : {}), ...sharing.featureGates },
    });
    this.karpenterRelease = this.karpenter.controller.release;

    this.nodePools = new ManifestsRelease(this, "node-pools", {
      releaseName: "karpenter-node-pools",
      namespace: this.karpenter.namespace,
      dependsOn: [...this.karpenter.dependables(), ...this.nodeRole.dependables()],
    });
    this.nodePools.release.timeout = NODE_POOLS_RELEASE_TIMEOUT_SECONDS;

    const discoveredSubnets: SelectorTerm[] = [{ tags: { "karpenter.sh/discovery": clusterName } }];
    const clusterSecurityGroup: SelectorTerm[] = [{ id: cluster.clusterSecurityGroupId }];
    const nodeClassBase = { amiAlias: compute.amiAlias, role: this.nodeRole.roleName, rootVolumeKmsKeyArn: foundation.nodeVolumesKey.keyArn, tags };

    // General CPU pool.
    const cpuTypes = compute.cpuPool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f));
    this.nodePools.add(
      ec2NodeClass({
        ...nodeClassBase,
        name: GENERAL_POOL.name,
        subnetSelectorTerms: discoveredSubnets,
        securityGroupSelectorTerms: clusterSecurityGroup,
        rootVolumeGiB: 100,
        raid0InstanceStore: hasNvme(cpuTypes),
      }),
    );
    this.nodePools.add(
      nodePool({
        ...poolIdentity(GENERAL_POOL),
        requirements: [
          { key: "karpenter.k8s.aws/instance-family", operator: "In", values: compute.cpuPool.instanceFamilies },
          { key: "karpenter.sh/capacity-type", operator: "In", values: compute.cpuPool.capacityTypes },
          ...platformRequirements(cpuTypes),
        ],
        limits: { cpu: compute.cpuPool.limits.cpu, memory: `${compute.cpuPool.limits.memoryGiB}Gi` },
        consolidationPolicy: "WhenEmptyOrUnderutilized",
        consolidateAfter: "1m",
      }),
    );

    // GPU inference pool.
    const inference = compute.gpuInferencePool;
    const inferenceTypes = inference.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f));
    this.nodePools.add(
      ec2NodeClass({
        ...nodeClassBase,
        name: GPU_INFERENCE_POOL.name,
        subnetSelectorTerms: discoveredSubnets,
        securityGroupSelectorTerms: clusterSecurityGroup,
        rootVolumeGiB: 200,
        rootVolumeThroughputMiBs: 250,
        raid0InstanceStore: hasNvme(inferenceTypes),
      }),
    );
    this.nodePools.add(
      nodePool({
        ...poolIdentity(GPU_INFERENCE_POOL, sharing.poolLabels(GPU_INFERENCE_POOL.name)),
        requirements: [
          { key: "karpenter.k8s.aws/instance-family", operator: "In", values: inference.instanceFamilies },
          // Families mix GPU and non-GPU sizes rarely, but never launch a GPU pool node without one.
          { key: "karpenter.k8s.aws/instance-gpu-count", operator: "Gt", values: ["0"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: inference.capacityTypes },
          ...platformRequirements(inferenceTypes.filter((t) => t.gpuCount > 0)),
        ],
        limits: { cpu: inference.limits.cpu, "nvidia.com/gpu": sharing.gpuLimit(GPU_INFERENCE_POOL.name, inference.limits.gpus) },
        consolidationPolicy: "WhenEmptyOrUnderutilized",
        consolidateAfter: inference.consolidateAfter,
        budgets: inference.budgets,
      }),
    );

    // GPU training pool (no EFA).
    const training = compute.gpuTrainingPool;
    if (training) {
      const trainingTypes = training.instanceTypes.map(instanceType);
      this.nodePools.add(
        ec2NodeClass({
          ...nodeClassBase,
          name: GPU_TRAINING_POOL.name,
          subnetSelectorTerms: discoveredSubnets,
          securityGroupSelectorTerms: clusterSecurityGroup,
          rootVolumeGiB: EFA_ROOT_VOLUME_GIB,
          rootVolumeThroughputMiBs: 500,
          raid0InstanceStore: hasNvme(trainingTypes),
          capacityReservationIds: training.capacityReservationIds,
        }),
      );
      this.nodePools.add(
        nodePool({
          ...poolIdentity(GPU_TRAINING_POOL, sharing.poolLabels(GPU_TRAINING_POOL.name)),
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: training.instanceTypes },
            { key: "karpenter.sh/capacity-type", operator: "In", values: training.capacityTypes },
            ...fsxZonePin(GPU_TRAINING_POOL.name),
            ...platformRequirements(trainingTypes),
          ],
          startupTaints: fsxStartup(GPU_TRAINING_POOL.name),
          limits: { "nvidia.com/gpu": sharing.gpuLimit(GPU_TRAINING_POOL.name, training.limits.gpus) },
          consolidationPolicy: "WhenEmpty",
          consolidateAfter: training.consolidateAfter,
          terminationGracePeriod: training.terminationGracePeriod,
        }),
      );
    }

    // EFA training pool through Karpenter.
    const efa = compute.efa;
    let efaTraining: PoolPlacement | undefined;
    if (efa.mode === "karpenter") {
      const gpu = foundation.gpu;
      if (!gpu.efaNetwork || !gpu.efaSubnetId) throw new Error(`environment "${env.name}": the foundation has no EFA network for the Karpenter EFA pool`);
      const efaTypes = efa.instanceTypes.map(instanceType);
      const efaClass = {
        ...nodeClassBase,
        subnetSelectorTerms: [{ id: gpu.efaSubnetId }],
        securityGroupSelectorTerms: [...clusterSecurityGroup, { id: gpu.efaNetwork.securityGroupId }],
        rootVolumeGiB: EFA_ROOT_VOLUME_GIB,
        rootVolumeThroughputMiBs: 500,
        raid0InstanceStore: hasNvme(efaTypes),
        // Validation guarantees one layout for every type of the pool.
        networkInterfaces: efaNetworkInterfaces(efa.instanceTypes[0]),
      };
      this.nodePools.add(
        ec2NodeClass({
          ...efaClass,
          name: EFA_TRAINING_POOL.name,
          placementGroupName: gpu.efaNetwork.placementGroupName,
          capacityReservationIds: efa.capacityType === "reserved" ? efa.capacityReservationIds : undefined,
        }),
      );
      const baseRequirements = [{ key: "topology.kubernetes.io/zone", operator: "In" as const, values: efa.availabilityZones }, ...platformRequirements(efaTypes)];
      this.nodePools.add(
        nodePool({
          ...poolIdentity(EFA_TRAINING_POOL, sharing.poolLabels(EFA_TRAINING_POOL.name)),
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: efa.instanceTypes },
            { key: "karpenter.sh/capacity-type", operator: "In", values: [efa.capacityType] },
            ...baseRequirements,
          ],
          startupTaints: fsxStartup(EFA_TRAINING_POOL.name),
          limits: { "nvidia.com/gpu": efa.limits.gpus },
          consolidationPolicy: "WhenEmpty",
          consolidateAfter: efa.consolidateAfter,
          terminationGracePeriod: efa.terminationGracePeriod,
        }),
      );
      // Capacity Blocks, then ODCRs, in weighted pools in front of this one (constructs/resilience/capacity-fallback.ts).
      const fallback = env.resilience.capacityFallback;
      if (fallback) {
        const tiers = reservedTiers({ pool: EFA_TRAINING_POOL, nodeClass: efaClass, instanceTypes: efaTypes, baseRequirements, reservations: fallback, startupTaints: fsxStartup(EFA_TRAINING_POOL.name), consolidateAfter: efa.consolidateAfter, terminationGracePeriod: efa.terminationGracePeriod });
        for (const o of tiers) this.nodePools.add(o);
      }
      this.nodePools.add(efaHugePagesOverlay(efa.instanceTypes));
      efaTraining = EFA_TRAINING_POOL;
    } else if (efa.mode === "managed-node-group") {
      efaTraining = EFA_TRAINING_POOL;
    }

    // Team-dedicated GPU pools: the shared node role, subnets, security group, AMI and node-volumes key; what Karpenter
    // launches for them (instances, root volumes, network interfaces) carries the team's Team and CostCenter tags.
    const teamPools: PoolPlacement[] = [];
    for (const t of env.teams.tenants) {
      const dp = t.dedicatedPool;
      if (!dp) continue;
      const pool = teamPool(t.name);
      const types = dp.instanceTypes.map(instanceType);
      this.nodePools.add(
        ec2NodeClass({
          ...nodeClassBase,
          tags: { ...tags, Team: t.name, CostCenter: t.costCenter },
          name: pool.name,
          subnetSelectorTerms: discoveredSubnets,
          securityGroupSelectorTerms: clusterSecurityGroup,
          rootVolumeGiB: EFA_ROOT_VOLUME_GIB,
          rootVolumeThroughputMiBs: 500,
          raid0InstanceStore: hasNvme(types),
        }),
      );
      this.nodePools.add(
        nodePool({
          // No sharing on a dedicated pool; with the GPU Operator (a MIG pool elsewhere) its nodes opt out of its operands.
          ...poolIdentity(pool, sharing.poolLabels(pool.name)),
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: dp.instanceTypes },
            { key: "karpenter.sh/capacity-type", operator: "In", values: [dp.capacityType] },
            ...fsxZonePin(pool.name),
            ...platformRequirements(types),
          ],
          startupTaints: fsxStartup(pool.name),
          limits: { "nvidia.com/gpu": dp.gpus },
          // Batch jobs: a node is removed once empty, never consolidated under a running job.
          consolidationPolicy: "WhenEmpty",
          consolidateAfter: DEDICATED_CONSOLIDATE_AFTER,
          terminationGracePeriod: "24h",
        }),
      );
      teamPools.push(pool);
    }
    this.teamPools = teamPools;

    this.nvidiaDevicePlugin = new NvidiaDevicePlugin(this, "nvidia-device-plugin", { tolerations: GPU_DAEMONSET_TOLERATIONS, sharing: sharing.devicePlugin });
    if (efaTraining) {
      this.efaDevicePlugin = new EfaDevicePlugin(this, "efa-device-plugin", { nodeSelector: { [EFA_LABEL]: "true" }, tolerations: GPU_DAEMONSET_TOLERATIONS });
    }
    this.dcgmExporter = new DcgmExporter(this, "dcgm-exporter", {
      nodeSelector: { [GPU_PRESENT_LABEL]: "true" },
      tolerations: GPU_DAEMONSET_TOLERATIONS,
      // The node monitoring agent's dcgm-server is the node's one DCGM host engine (constructs/resilience/dcgm-host-engine.ts).
      remoteHostEngine: env.resilience.nodeMonitoring.enabled ? exporterRemoteEngineValues() : undefined,
      affinity: sharing.dcgmAffinity,
    });

    this.pools = {
      general: GENERAL_POOL,
      gpuInference: GPU_INFERENCE_POOL,
      ...(training ? { gpuTraining: GPU_TRAINING_POOL } : {}),
      ...(efaTraining ? { efaTraining } : {}),
    };
  }
}
