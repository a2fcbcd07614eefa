import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { efaLayoutKey, efaNetworkInterfaces } from "../catalog/efa-layouts";
import type { EksCluster } from "../eks/cluster";
import { LAUNCH_TEMPLATE_TAGGED_RESOURCES, NODE_ROLE_POLICIES } from "../eks/system-node-group";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import type { NodeTaint } from "../karpenter/pool-labels";
import { managedNodeGroupRepairConfig } from "../resilience/node-repair";

const TAINT_EFFECTS: Record<NodeTaint["effect"], string> = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" };

/**
 * AL2023 NodeConfig that RAID0s the instance-store NVMe disks and moves kubelet/containerd onto them, as
 * Karpenter does for `instanceStorePolicy: RAID0`. EKS merges it with the NodeConfig it generates.
 * @see https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/
 */
export const RAID0_NODE_CONFIG_USER_DATA = [
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="//"',
  "",
  "--//",
  "Content-Type: application/node.eks.aws",
  "",
  "apiVersion: node.eks.aws/v1alpha1",
  "kind: NodeConfig",
  "spec:",
  "  instance:",
  "    localStorage:",
  "      strategy: RAID0",
  "",
  "--//--",
  "",
].join("\n");

export interface EfaNodeGroupProps {
  readonly cluster: EksCluster;
  /** EKS node group name (also the launch template and role name suffix). */
  readonly nodeGroupName: string;
  /** The one subnet (one AZ) of the group: EFA traffic does not cross AZs. */
  readonly subnetId: string;
  /** Instance types; all must share one EFA interface layout (one launch template serves them all). */
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
  /** Security groups of every interface: the cluster security group and the EFA self-referencing group. */
  readonly securityGroupIds: readonly string[];
  /** Cluster placement group to launch into. @default - none (required to be absent with a Capacity Block) */
  readonly placementGroupName?: string;
  /** Capacity Block reservation id: capacity type CAPACITY_BLOCK and market type capacity-block. @default - on-demand */
  readonly capacityBlockReservationId?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  /** Tags for instances, volumes and ENIs (managed node group tags do not reach them). */
  readonly tags: Readonly<Record<string, string>>;
  /** Root gp3 volume size. */
  readonly rootVolumeGiB: number;
  /** Customer managed key of the root volume (its policy must let EC2 Auto Scaling's service-linked role use it). */
  readonly rootVolumeKmsKeyArn: string;
  /** What must exist before nodes join (vpc-cni and eks-pod-identity-agent add-ons). */
  readonly dependsOn: ITerraformDependable[];
  /** EKS node auto repair (managedNodeGroupRepairConfig). @default false */
  readonly nodeRepair?: boolean;
}

/**
 * An EKS managed node group of EFA instances (AL2023 NVIDIA AMI) in one subnet. Its launch template declares
 * the EFA interfaces per the EC2 guidance (primary `interface` on card 0 / device 0, then `efa-only` ones),
 * never a SubnetId (EKS sets the subnet), puts every interface in the cluster and EFA security groups, tags
 * instances, volumes and ENIs, uses the cluster placement group unless in Capacity Block mode, and in
 * Capacity Block mode targets the reservation with market type `capacity-block`.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/node-efa.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/capacity-blocks-mng.html
 */
export class EfaNodeGroup extends Construct {
  readonly nodeGroup: EksNodeGroup;
  readonly nodeRole: WorkloadRole;
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: EfaNodeGroupProps) {
    super(scope, id);
    const name = `${props.cluster.physicalName}-${props.nodeGroupName}`;
    if (props.instanceTypes.length === 0) throw new Error(`node group ${props.nodeGroupName}: instanceTypes must not be empty`);
    const layouts = new Set(props.instanceTypes.map(efaLayoutKey));
    if (layouts.size > 1) {
      throw new Error(`node group ${props.nodeGroupName}: instance types ${props.instanceTypes.join(", ")} have different EFA interface layouts; one launch template cannot serve them`);
    }
    if (props.capacityBlockReservationId !== undefined && props.placementGroupName !== undefined) {
      throw new Error(`node group ${props.nodeGroupName}: a Capacity Block cannot launch into placement group ${props.placementGroupName} (InsufficientInstanceCapacity)`);
    }
    if (!(props.minSize <= props.desiredSize && props.desiredSize <= props.maxSize)) {
      throw new Error(`node group ${props.nodeGroupName}: sizes must satisfy minSize <= desiredSize <= maxSize, got ${props.minSize}/${props.desiredSize}/${props.maxSize}`);
    }

    this.nodeRole = new WorkloadRole(this, "node-role", {
      roleName: `${name}-node`,
      description: `EFA managed node group ${props.nodeGroupName} of ${props.cluster.physicalName}`,
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicies: [...NODE_ROLE_POLICIES],
    });

    const capacityBlock = props.capacityBlockReservationId;
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name,
      description: `EFA nodes ${props.nodeGroupName} of ${props.cluster.physicalName}`,
      updateDefaultVersion: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: props.rootVolumeGiB, volumeType: "gp3", iops: 3000, throughput: 250, encrypted: "true", kmsKeyId: props.rootVolumeKmsKeyArn, deleteOnTermination: "true" } },
      ],
      userData: Buffer.from(RAID0_NODE_CONFIG_USER_DATA, "utf8").toString("base64"),
      networkInterfaces: efaNetworkInterfaces(props.instanceTypes[0]).map((n) => ({
        networkCardIndex: n.networkCardIndex,
        deviceIndex: n.deviceIndex,
        interfaceType: n.interfaceType,
        securityGroups: [...props.securityGroupIds],
        deleteOnTermination: "true",
      })),
      ...(props.placementGroupName ? { placement: { groupName: props.placementGroupName } } : {}),
      ...(capacityBlock
        ? {
            instanceMarketOptions: { marketType: "capacity-block" },
            capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: capacityBlock } },
          }
        : {}),
      tagSpecifications: LAUNCH_TEMPLATE_TAGGED_RESOURCES.map((resourceType) => ({ resourceType, tags: { ...props.tags, Name: name } })),
    });

    this.nodeGroup = new EksNodeGroup(this, "node-group", {
      clusterName: props.cluster.clusterName,
      nodeGroupName: props.nodeGroupName,
      nodeRoleArn: this.nodeRole.roleArn,
      subnetIds: [props.subnetId],
      amiType: "AL2023_x86_64_NVIDIA",
      capacityType: capacityBlock ? "CAPACITY_BLOCK" : "ON_DEMAND",
      instanceTypes: [...props.instanceTypes],
      scalingConfig: { minSize: props.minSize, maxSize: props.maxSize, desiredSize: props.desiredSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      labels: { ...props.labels },
      taint: props.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: TAINT_EFFECTS[t.effect] })),
      dependsOn: [...props.dependsOn, ...this.nodeRole.dependables()],
      ...(props.nodeRepair ? { nodeRepairConfig: managedNodeGroupRepairConfig() } : {}),
      lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"] },
    });
  }
}
