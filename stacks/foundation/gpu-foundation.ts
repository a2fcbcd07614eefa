import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { EksCluster } from "../../constructs/eks/cluster";
import { EfaNetwork } from "../../constructs/gpu/efa-network";
import { EfaNodeGroup } from "../../constructs/gpu/efa-node-group";
import { EFA_TRAINING_POOL } from "../../constructs/karpenter/pool-labels";
import type { Vpc } from "../../constructs/network/vpc";
import type { Environment } from "../../environments/lib/schema";
import { costTags, namePrefix } from "../naming";

export interface GpuFoundationProps {
  readonly env: Environment;
  readonly cluster: EksCluster;
  readonly vpc: Vpc;
  /** What EFA nodes of a managed node group need before joining (vpc-cni, eks-pod-identity-agent). */
  readonly nodeDependencies: ITerraformDependable[];
  /** Customer managed key of node root volumes. */
  readonly rootVolumeKmsKeyArn: string;
}

/** Root volume of EFA nodes: room for multi-GB training images next to the RAID0 instance store. */
export const EFA_ROOT_VOLUME_GIB = 500;

/**
 * The foundation side of GPU compute: for an environment with EFA, the EFA security group, the cluster
 * placement group (unless disabled for reserved capacity), the subnet of the EFA availability zone, and in
 * managed-node-group mode the EFA node group itself. Karpenter pools live in the platform stack and read
 * these through cross-stack references.
 */
export class GpuFoundation extends Construct {
  /** EFA networking, when the environment has EFA capacity. */
  readonly efaNetwork?: EfaNetwork;
  /** The one private subnet EFA capacity launches into. */
  readonly efaSubnetId?: string;
  /** The EFA managed node group (managed-node-group mode only). */
  readonly efaNodeGroup?: EfaNodeGroup;

  constructor(scope: Construct, id: string, props: GpuFoundationProps) {
    super(scope, id);
    const efa = props.env.compute.efa;
    if (efa.mode === "disabled") return;

    const az = efa.availabilityZones[0];
    const subnet = props.vpc.privateSubnets.get(az);
    if (!subnet) throw new Error(`environment "${props.env.name}": EFA availability zone ${az} has no private subnet`);
    this.efaSubnetId = subnet.id;
    this.efaNetwork = new EfaNetwork(this, "efa-network", { name: namePrefix(props.env), vpcId: props.vpc.vpcId, placementGroup: efa.placementGroup });

    if (efa.mode === "managed-node-group") {
      this.efaNodeGroup = new EfaNodeGroup(this, "efa-node-group", {
        cluster: props.cluster,
        nodeGroupName: EFA_TRAINING_POOL.name,
        subnetId: subnet.id,
        instanceTypes: efa.instanceTypes,
        minSize: efa.minSize,
        maxSize: efa.maxSize,
        desiredSize: efa.desiredSize,
        securityGroupIds: [props.cluster.clusterSecurityGroupId, this.efaNetwork.securityGroupId],
        placementGroupName: this.efaNetwork.placementGroupName,
        capacityBlockReservationId: efa.capacityBlockReservationId,
        labels: EFA_TRAINING_POOL.nodeSelector,
        taints: EFA_TRAINING_POOL.taints,
        tags: costTags(props.env),
        rootVolumeGiB: EFA_ROOT_VOLUME_GIB,
        rootVolumeKmsKeyArn: props.rootVolumeKmsKeyArn,
        nodeRepair: props.env.resilience.nodeRepair.enabled,
        dependsOn: [...props.nodeDependencies, ...(this.efaNetwork.placementGroup ? [this.efaNetwork.placementGroup] : [])],
      });
    }
  }
}
