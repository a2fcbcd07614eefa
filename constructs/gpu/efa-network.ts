import { PlacementGroup } from "@cdktf/provider-aws/lib/placement-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";

export interface EfaNetworkProps {
  /** Name prefix of the security group and placement group (`<name>-efa`). */
  readonly name: string;
  readonly vpcId: string;
  /**
   * Create a cluster placement group for the EFA nodes. Leave it out for Capacity Blocks and ODCRs that were
   * not reserved in a placement group: launching them into one fails with InsufficientInstanceCapacity.
   */
  readonly placementGroup: boolean;
}

/**
 * What EFA nodes need from the network: a security group that allows all traffic to and from itself
 * (EFA's SRD traffic needs both directions, and the default egress rule is removed by Terraform), and
 * optionally a cluster placement group. Nodes also carry the cluster security group for everything else.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-start.html#efa-start-security
 */
export class EfaNetwork extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;
  readonly placementGroup?: PlacementGroup;
  /** The placement group's name (a literal, known at synth), when one is created. */
  readonly placementGroupName?: string;

  constructor(scope: Construct, id: string, props: EfaNetworkProps) {
    super(scope, id);
    const name = `${props.name}-efa`;
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name,
      description: "EFA: all traffic between EFA interfaces of the same pool",
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupIngressRule(this, "ingress-self", {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: "-1",
      description: "All traffic from EFA nodes",
      tags: { Name: `${name}-ingress-self` },
    });
    new VpcSecurityGroupEgressRule(this, "egress-self", {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: "-1",
      description: "All traffic to EFA nodes",
      tags: { Name: `${name}-egress-self` },
    });
    if (props.placementGroup) {
      this.placementGroup = new PlacementGroup(this, "placement-group", { name, strategy: "cluster", tags: { Name: name } });
      this.placementGroupName = name;
    }
  }
}
