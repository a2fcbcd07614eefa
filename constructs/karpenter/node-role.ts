import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { NODE_ROLE_POLICIES } from "../eks/system-node-group";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";

export interface KarpenterNodeRoleProps {
  /** Physical role name. */
  readonly roleName: string;
  /** Cluster the nodes join (may be a token). */
  readonly clusterName: string;
}

/**
 * The IAM role of Karpenter-launched nodes (AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly,
 * AmazonSSMManagedInstanceCore; the VPC CNI uses its own Pod Identity role) and its EC2_LINUX access entry, so nodes
 * can join a cluster in API authentication mode. Karpenter v1 creates the instance profiles itself from the
 * EC2NodeClass `role`.
 */
export class KarpenterNodeRole extends Construct {
  readonly role: WorkloadRole;
  readonly roleName: string;
  readonly roleArn: string;
  readonly accessEntry: EksAccessEntry;

  constructor(scope: Construct, id: string, props: KarpenterNodeRoleProps) {
    super(scope, id);
    this.role = new WorkloadRole(this, "role", {
      roleName: props.roleName,
      description: "Nodes launched by Karpenter",
      // EC2 does not send aws:SourceAccount/SourceArn when an instance profile assumes its role, so the
      // trust stays the service principal alone (as in the official template).
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicies: [...NODE_ROLE_POLICIES],
    });
    this.roleName = this.role.roleName;
    this.roleArn = this.role.roleArn;
    this.accessEntry = new EksAccessEntry(this, "access-entry", {
      clusterName: props.clusterName,
      principalArn: this.role.roleArn,
      type: "EC2_LINUX",
    });
  }

  /** The role, its policy attachments and the access entry: nodes cannot join before these exist. */
  dependables(): ITerraformDependable[] {
    return [...this.role.dependables(), this.accessEntry];
  }
}
