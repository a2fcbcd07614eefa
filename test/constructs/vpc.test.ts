import { Vpc, type VpcProps } from "../../constructs/network/vpc";
import { KmsKey } from "../../constructs/security/kms-key";
import { ACCOUNT, actionsOf, find, ofType, policyDoc, ref, REGION, single, synthConstruct, target } from "../helpers/construct";

const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];

function synthVpc(overrides: Partial<VpcProps> = {}) {
  return synthConstruct((stack) => {
    const logsKey = new KmsKey(stack, "logs-key", { accountId: ACCOUNT, alias: "mlp-test-logs", description: "logs" });
    return new Vpc(stack, "network", {
      name: "mlp-test",
      cidr: "10.30.0.0/16",
      availabilityZones: AZS,
      privateSubnetPrefixLength: 19,
      publicSubnetPrefixLength: 24,
      natGateways: "one-per-az",
      clusterName: "mlp-test-cluster",
      accountId: ACCOUNT,
      region: REGION,
      flowLogRetentionDays: 30,
      logsKey,
      ...overrides,
    });
  }).json;
}

const subnet = (json: ReturnType<typeof synthVpc>, kind: "public" | "private", az: string) =>
  find(json, "aws_subnet", (s) => s.tags.Name === `mlp-test-${kind}-${az}`);

/** The AZ of the NAT gateway that the private subnet in `az` sends internet traffic to. */
function natAzForPrivateSubnet(json: ReturnType<typeof synthVpc>, az: string): string {
  const [subnetId] = subnet(json, "private", az);
  const [, rta] = find(json, "aws_route_table_association", (a) => a.subnet_id === ref("aws_subnet", subnetId));
  const rtId = target(rta.route_table_id, "aws_route_table");
  const [, route] = find(json, "aws_route", (r) => r.route_table_id === ref("aws_route_table", rtId) && r.destination_cidr_block === "0.0.0.0/0");
  const nat = ofType(json, "aws_nat_gateway")[target(route.nat_gateway_id, "aws_nat_gateway")];
  return ofType(json, "aws_subnet")[target(nat.subnet_id, "aws_subnet")].availability_zone;
}

describe("Vpc", () => {
  const json = synthVpc();

  test("carves literal, non-overlapping subnet CIDRs: one private /19 and one public /24 per AZ", () => {
    expect(AZS.map((az) => subnet(json, "private", az)[1].cidr_block)).toEqual(["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]);
    expect(AZS.map((az) => subnet(json, "public", az)[1].cidr_block)).toEqual(["10.30.96.0/24", "10.30.97.0/24", "10.30.98.0/24"]);
    for (const az of AZS) {
      expect(subnet(json, "private", az)[1].availability_zone).toBe(az);
      expect(subnet(json, "public", az)[1].availability_zone).toBe(az);
    }
    expect(Object.keys(ofType(json, "aws_subnet"))).toHaveLength(6);
  });

  test("tags public subnets for internet-facing load balancers and private ones for internal LBs and Karpenter", () => {
    for (const az of AZS) {
      expect(subnet(json, "public", az)[1].tags).toEqual({ Name: `mlp-test-public-${az}`, "kubernetes.io/role/elb": "1" });
      expect(subnet(json, "private", az)[1].tags).toEqual({
        Name: `mlp-test-private-${az}`,
        "kubernetes.io/role/internal-elb": "1",
        "karpenter.sh/discovery": "mlp-test-cluster",
      });
      expect(subnet(json, "public", az)[1].map_public_ip_on_launch).toBe(false);
    }
  });

  test("one-per-az runs a NAT gateway in each public subnet and routes each private subnet through its own AZ's NAT", () => {
    const nats = Object.values(ofType(json, "aws_nat_gateway"));
    expect(nats).toHaveLength(3);
    expect(nats.map((n) => ofType(json, "aws_subnet")[target(n.subnet_id, "aws_subnet")].tags.Name).sort()).toEqual(AZS.map((az) => `mlp-test-public-${az}`));
    for (const az of AZS) expect(natAzForPrivateSubnet(json, az)).toBe(az);
  });

  test("single runs one NAT gateway in the first AZ and routes every private subnet through it", () => {
    const single1 = synthVpc({ natGateways: "single" });
    expect(Object.keys(ofType(single1, "aws_nat_gateway"))).toHaveLength(1);
    expect(Object.keys(ofType(single1, "aws_eip"))).toHaveLength(1);
    for (const az of AZS) expect(natAzForPrivateSubnet(single1, az)).toBe("us-east-1a");
  });

  test("public subnets route to the internet gateway", () => {
    const [igwId] = single(json, "aws_internet_gateway");
    for (const az of AZS) {
      const [subnetId] = subnet(json, "public", az);
      const [, rta] = find(json, "aws_route_table_association", (a) => a.subnet_id === ref("aws_subnet", subnetId));
      const [, route] = find(json, "aws_route", (r) => r.route_table_id === rta.route_table_id);
      expect(route).toEqual({ destination_cidr_block: "0.0.0.0/0", gateway_id: ref("aws_internet_gateway", igwId), route_table_id: rta.route_table_id });
    }
  });

  test("puts the S3 gateway endpoint on every private route table and only there", () => {
    const [, endpoint] = single(json, "aws_vpc_endpoint");
    expect(endpoint).toEqual(expect.objectContaining({ service_name: "com.amazonaws.us-east-1.s3", vpc_endpoint_type: "Gateway" }));
    const privateRts = AZS.map((az) => find(json, "aws_route_table", (rt) => rt.tags.Name === `mlp-test-private-${az}`)[0]);
    expect(endpoint.route_table_ids).toEqual(privateRts.map((id) => ref("aws_route_table", id)));
  });

  test("sends all flow logs to a KMS-encrypted log group through a role scoped to that group", () => {
    const [logGroupId, logGroup] = single(json, "aws_cloudwatch_log_group");
    const [keyId] = single(json, "aws_kms_key");
    expect(logGroup).toEqual({ name: "/aws/vpc/mlp-test/flow-logs", retention_in_days: 30, kms_key_id: ref("aws_kms_key", keyId, "arn") });

    const [roleId, role] = single(json, "aws_iam_role");
    const [, flowLog] = single(json, "aws_flow_log");
    expect(flowLog).toEqual(
      expect.objectContaining({
        traffic_type: "ALL",
        log_destination_type: "cloud-watch-logs",
        log_destination: ref("aws_cloudwatch_log_group", logGroupId, "arn"),
        iam_role_arn: ref("aws_iam_role", roleId, "arn"),
      }),
    );

    expect(policyDoc(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: ["sts:AssumeRole"],
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-flow-log/*` },
        },
      },
    ]);
    const [, inline] = single(json, "aws_iam_role_policy");
    const groupArn = ref("aws_cloudwatch_log_group", logGroupId, "arn");
    expect(policyDoc(inline.policy).Statement).toEqual([
      { Sid: "DeliverFlowLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [groupArn, `${groupArn}:*`] },
      // DescribeLogGroups supports no resource type, so "*" is the narrowest possible resource.
      { Sid: "FindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    ]);
    
    expect(flowLog.depends_on).toContain(`aws_iam_role_policy.${single(json, "aws_iam_role_policy")[0]}`);
    expect(Object.keys(ofType(json, "aws_iam_role_policy_attachment"))).toHaveLength(0);
    for (const s of policyDoc(inline.policy).Statement) expect(actionsOf(s)).not.toContain("*");
  });

  test("takes over the default security group with no rules", () => {
    const [, sg] = single(json, "aws_default_security_group");
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    expect(sg.vpc_id).toBe(ref("aws_vpc", single(json, "aws_vpc")[0]));
  });

  test("enables DNS support and hostnames (EKS nodes and endpoints need both)", () => {
    expect(single(json, "aws_vpc")[1]).toEqual({ cidr_block: "10.30.0.0/16", enable_dns_hostnames: true, enable_dns_support: true, tags: { Name: "mlp-test" } });
  });

  test("fails when the subnets do not fit the CIDR", () => {
    expect(() => synthVpc({ cidr: "10.30.0.0/18" })).toThrow("cidr 10.30.0.0/18 cannot hold 3 private /19 and 3 public /24 subnets");
  });
});
