import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc as VpcResource } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";
import { allocateSubnets, parseCidr } from "../../environments/lib/cidr";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import type { KmsKey } from "../security/kms-key";

export interface VpcProps {
  /** Name tag prefix and flow-log names. */
  readonly name: string;
  readonly cidr: string;
  /** One private and one public subnet per AZ, keyed by AZ name. */
  readonly availabilityZones: readonly string[];
  readonly privateSubnetPrefixLength: number;
  readonly publicSubnetPrefixLength: number;
  /** `single` shares one NAT gateway (cheap, one AZ failure domain); `one-per-az` is highly available. */
  readonly natGateways: "single" | "one-per-az";
  /** Private subnets are tagged `karpenter.sh/discovery=<clusterName>` for Karpenter's subnet selector. */
  readonly clusterName: string;
  readonly accountId: string;
  readonly region: string;
  readonly flowLogRetentionDays: number;
  /** Encrypts the flow-log group. */
  readonly logsKey: KmsKey;
}

/**
 * A VPC for EKS: public and private subnets in every AZ, NAT gateways, an S3 gateway endpoint,
 * flow logs to an encrypted log group, and a default security group with no rules.
 */
export class Vpc extends Construct {
  readonly vpc: VpcResource;
  readonly vpcId: string;
  /** Private subnets by AZ, in the order of `availabilityZones`. */
  readonly privateSubnets: ReadonlyMap<string, Subnet>;
  readonly publicSubnets: ReadonlyMap<string, Subnet>;
  readonly privateSubnetIds: string[];

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    const parent = parseCidr(props.cidr);
    const n = props.availabilityZones.length;
    const cidrs = parent && allocateSubnets(parent, [...Array(n).fill(props.privateSubnetPrefixLength), ...Array(n).fill(props.publicSubnetPrefixLength)]);
    if (!cidrs) throw new Error(`cidr ${props.cidr} cannot hold ${n} private /${props.privateSubnetPrefixLength} and ${n} public /${props.publicSubnetPrefixLength} subnets`);

    this.vpc = new VpcResource(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: props.name },
    });
    this.vpcId = this.vpc.id;
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: { Name: `${props.name}-default-deny` } });

    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: { Name: props.name } });
    const publicRt = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: { Name: `${props.name}-public` } });
    new Route(this, "public-default", { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });

    const privateSubnets = new Map<string, Subnet>();
    const publicSubnets = new Map<string, Subnet>();
    const nats = new Map<string, NatGateway>();
    props.availabilityZones.forEach((az, i) => {
      const pub = new Subnet(this, `public-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: cidrs[n + i],
        mapPublicIpOnLaunch: false,
        tags: { Name: `${props.name}-public-${az}`, "kubernetes.io/role/elb": "1" },
      });
      new RouteTableAssociation(this, `public-${az}-rta`, { subnetId: pub.id, routeTableId: publicRt.id });
      publicSubnets.set(az, pub);
      if (props.natGateways === "one-per-az" || i === 0) {
        const eip = new Eip(this, `nat-${az}-eip`, { domain: "vpc", tags: { Name: `${props.name}-nat-${az}` } });
        nats.set(az, new NatGateway(this, `nat-${az}`, { allocationId: eip.allocationId, subnetId: pub.id, tags: { Name: `${props.name}-${az}` }, dependsOn: [igw] }));
      }
      privateSubnets.set(
        az,
        new Subnet(this, `private-${az}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: cidrs[i],
          tags: {
            Name: `${props.name}-private-${az}`,
            "kubernetes.io/role/internal-elb": "1",
            "karpenter.sh/discovery": props.clusterName,
          },
        }),
      );
    });

    const firstNat = nats.get(props.availabilityZones[0])!;
    const privateRts: RouteTable[] = [];
    for (const az of props.availabilityZones) {
      const rt = new RouteTable(this, `private-${az}-rt`, { vpcId: this.vpc.id, tags: { Name: `${props.name}-private-${az}` } });
      new Route(this, `private-${az}-default`, { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: (nats.get(az) ?? firstNat).id });
      new RouteTableAssociation(this, `private-${az}-rta`, { subnetId: privateSubnets.get(az)!.id, routeTableId: rt.id });
      privateRts.push(rt);
    }
    new VpcEndpoint(this, "s3-endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: privateRts.map((rt) => rt.id),
      tags: { Name: `${props.name}-s3` },
    });

    const logGroup = new CloudwatchLogGroup(this, "flow-logs", {
      name: `/aws/vpc/${props.name}/flow-logs`,
      retentionInDays: props.flowLogRetentionDays,
      kmsKeyId: props.logsKey.keyArn,
    });
    const flowRole = new WorkloadRole(this, "flow-logs-role", {
      roleName: `${props.name}-vpc-flow-logs`,
      description: `VPC flow logs delivery for ${props.name}`,
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
        ArnLike: { "aws:SourceArn": `arn:aws:ec2:${props.region}:${props.accountId}:vpc-flow-log/*` },
      }),
    });
    flowRole.addToPolicy({
      Sid: "DeliverFlowLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [logGroup.arn, `${logGroup.arn}:*`],
    });
    // The flow-logs service looks its destination up with DescribeLogGroups, which has no resource type.
    flowRole.addToPolicy({ Sid: "FindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" });
    new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: logGroup.arn,
      iamRoleArn: flowRole.roleArn,
      maxAggregationInterval: 60,
      tags: { Name: props.name },
      dependsOn: flowRole.dependables(),
    });

    this.privateSubnets = privateSubnets;
    this.publicSubnets = publicSubnets;
    this.privateSubnetIds = props.availabilityZones.map((az) => privateSubnets.get(az)!.id);
  }
}
