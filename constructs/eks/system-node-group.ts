import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import { managedNodeGroupRepairConfig } from "../resilience/node-repair";
import type { EksCluster } from "./cluster";

/**
 * AWS managed policies every EKS node role needs. Not AmazonEKS_CNI_Policy: the VPC CNI has its own Pod Identity role
 * (EksCluster.cniRole), and pods with host networking could otherwise use it through the instance profile.
 */
export const NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"] as const;

/** Launch-template resource types that carry tags to what the node group launches. */
export const LAUNCH_TEMPLATE_TAGGED_RESOURCES = ["instance", "volume", "network-interface"] as const;

export interface SystemNodeGroupProps {
  readonly cluster: EksCluster;
  readonly subnetIds: string[];
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
  readonly diskSizeGiB: number;
  /** Customer managed key of the root volume (its policy must let EC2 Auto Scaling's service-linked role use it). */
  readonly rootVolumeKmsKeyArn: string;
  /** Tags for instances, volumes and ENIs: managed node group tags do not reach them. */
  readonly tags: Record<string, string>;
  /** What must exist before nodes join (vpc-cni and eks-pod-identity-agent add-ons). */
  readonly dependsOn: ITerraformDependable[];
  /** EKS node auto repair (managedNodeGroupRepairConfig). @default false */
  readonly nodeRepair?: boolean;
}

/**
 * The system managed node group (AL2023, on-demand) for cluster-critical add-ons and controllers,
 * tainted `CriticalAddonsOnly=true:NoSchedule`. Its launch template requires IMDSv2 with hop limit 1,
 * encrypts a gp3 root volume with a customer managed key and tags instances, volumes and network interfaces.
 */
export class SystemNodeGroup extends Construct {
  readonly nodeGroup: EksNodeGroup;
  readonly nodeRole: WorkloadRole;
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: SystemNodeGroupProps) {
    super(scope, id);
    const name = props.cluster.physicalName;
    if (!(props.minSize <= props.desiredSize && props.desiredSize <= props.maxSize)) {
      throw new Error(`node group sizes must satisfy minSize <= desiredSize <= maxSize, got ${props.minSize}/${props.desiredSize}/${props.maxSize}`);
    }
    this.nodeRole = new WorkloadRole(this, "node-role", {
      roleName: `${name}-system-node`,
      description: `System managed node group of ${name}`,
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicies: [...NODE_ROLE_POLICIES],
    });
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${name}-system`,
      description: `System nodes of ${name}`,
      updateDefaultVersion: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: props.diskSizeGiB, volumeType: "gp3", encrypted: "true", kmsKeyId: props.rootVolumeKmsKeyArn, deleteOnTermination: "true" } },
      ],
      tagSpecifications: LAUNCH_TEMPLATE_TAGGED_RESOURCES.map((resourceType) => ({
        resourceType,
        tags: { ...props.tags, Name: `${name}-system` },
      })),
    });
    this.nodeGroup = new EksNodeGroup(this, "node-group", {
      clusterName: props.cluster.clusterName,
      nodeGroupName: "system",
      nodeRoleArn: this.nodeRole.roleArn,
      subnetIds: props.subnetIds,
      amiType: "AL2023_x86_64_STANDARD",
      capacityType: "ON_DEMAND",
      instanceTypes: [...props.instanceTypes],
      scalingConfig: { minSize: props.minSize, maxSize: props.maxSize, desiredSize: props.desiredSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      labels: { "node.ml-platform.io/pool": "system" },
      taint: [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }],
      dependsOn: [...props.dependsOn, ...this.nodeRole.dependables()],
      ...(props.nodeRepair ? { nodeRepairConfig: managedNodeGroupRepairConfig() } : {}),
      lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"] },
    });
  }
}
