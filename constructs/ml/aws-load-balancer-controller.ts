import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import type { PolicyStatement } from "../iam/policy";
import { HelmChart } from "../kubernetes/helm-chart";
import { systemTolerations } from "./gpu-scheduling";

/**
 * AWS Load Balancer Controller chart 3.5.0 (controller v3.5.0).
 * @see https://aws.github.io/eks-charts
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART = { repository: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0" } as const;

/** Tag the controller puts on everything it creates; the official policy's conditions key on it. */
const CLUSTER_TAG = "aws:RequestTag/elbv2.k8s.aws/cluster";
const CLUSTER_RESOURCE_TAG = "aws:ResourceTag/elbv2.k8s.aws/cluster";

/**
 * The controller's IAM policy: statement for statement the official `docs/install/iam_policy.json` of v3.5.0 with the
 * same actions and conditions, narrowed to this account and region. Where the official policy says `"Resource": "*"`
 * for actions that support resource-level permissions, the resource is the ARN pattern of the resource types those
 * actions act on (security groups, ALB/NLB load balancers, listeners, rules, target groups, WAF web ACLs, ...);
 * actions without resource types keep `*`. Gateway load balancers and the other resource types WAFv2 can protect
 * (API Gateway, AppSync, Cognito, ...) are left out: the controller never manages them.
 *
 * Security groups are narrower than upstream, which may change the ingress of every group in the account: the
 * controller creates groups only in this cluster's VPC and tagged `elbv2.k8s.aws/cluster=<cluster>`, changes and
 * deletes only groups carrying that tag, and adds ingress otherwise only to the groups it resolves as targets' groups,
 * which carry `kubernetes.io/cluster/<cluster>` (`owned` or `shared`, as its own lookup filters; the EKS cluster
 * security group that every node carries is tagged `owned`).
 * A test evaluates both policies on the same requests (test/aws-load-balancer-controller.test.ts).
 */
export function loadBalancerControllerPolicy(accountId: string, region: string, clusterName: string, vpcId: string): PolicyStatement[] {
  const ec2 = (r: string) => `arn:aws:ec2:${region}:${accountId}:${r}`;
  const elb = (r: string) => `arn:aws:elasticloadbalancing:${region}:${accountId}:${r}`;
  const loadBalancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")];
  // Load-balancer-level calls are authorized on `loadbalancer/<type>/<name>/<id>`, or on `loadbalancer/<name>` for
  // CreateLoadBalancer before the id exists; one pattern covers both.
  const anyLoadBalancer = [elb("loadbalancer/*")];
  const listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")];
  const rules = [elb("listener-rule/app/*/*/*"), elb("listener-rule/net/*/*/*")];
  const targetGroups = [elb("targetgroup/*/*")];
  const securityGroups = [ec2("security-group/*")];
  const securityGroupRules = [ec2("security-group-rule/*")];
  const wafRegionalAcls = [`arn:aws:waf-regional:${region}:${accountId}:webacl/*`];
  const wafv2Acls = [`arn:aws:wafv2:${region}:${accountId}:regional/webacl/*/*`];
  const nullTag = (requestTag: "true" | "false", resourceTag?: "false") => ({ Null: { [CLUSTER_TAG]: requestTag, ...(resourceTag ? { [CLUSTER_RESOURCE_TAG]: resourceTag } : {}) } });
  const ownGroups = { StringEquals: { [CLUSTER_RESOURCE_TAG]: clusterName } };
  return [
    {
      Sid: "CreateElbServiceLinkedRole",
      Effect: "Allow",
      Action: ["iam:CreateServiceLinkedRole"],
      Resource: `arn:aws:iam::${accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
      Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
    },
    {
      Sid: "Describe",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeTags",
        "ec2:DescribeCoipPools",
        "ec2:DescribeIpamPools",
        "ec2:DescribeRouteTables",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:DescribeSSLPolicies",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTrustStores",
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeCapacityReservation",
      ],
      Resource: "*",
    },
    { Sid: "DescribeScoped", Effect: "Allow", Action: ["ec2:GetCoipPoolUsage", "ec2:GetSecurityGroupsForVpc"], Resource: [ec2("coip-pool/*"), ec2("vpc/*")] },
    {
      Sid: "CertificatesWafShieldList",
      Effect: "Allow",
      Action: ["acm:ListCertificates", "iam:ListServerCertificates", "shield:GetSubscriptionState", "shield:CreateProtection"],
      Resource: "*",
    },
    {
      Sid: "CertificatesWafShield",
      Effect: "Allow",
      Action: [
        "cognito-idp:DescribeUserPoolClient",
        "acm:DescribeCertificate",
        "iam:GetServerCertificate",
        "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource",
        "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "shield:DescribeProtection",
        "shield:DeleteProtection",
      ],
      Resource: [
        `arn:aws:cognito-idp:${region}:${accountId}:userpool/*`,
        `arn:aws:acm:${region}:${accountId}:certificate/*`,
        `arn:aws:iam::${accountId}:server-certificate/*`,
        ...wafRegionalAcls,
        ...wafv2Acls,
        ...loadBalancers.slice(0, 1),
        `arn:aws:shield::${accountId}:protection/*`,
      ],
    },
    {
      Sid: "TargetSecurityGroupIngress",
      Effect: "Allow",
      Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
      Resource: securityGroups,
      Condition: { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${clusterName}`]: ["owned", "shared"] } },
    },
    // A rule is authorized together with its group, so rules add nothing a group statement does not allow.
    { Sid: "RulesOfAllowedSecurityGroups", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], Resource: securityGroupRules },
    { Sid: "CreateSecurityGroupInClusterVpc", Effect: "Allow", Action: ["ec2:CreateSecurityGroup"], Resource: ec2(`vpc/${vpcId}`) },
    {
      Sid: "CreateSecurityGroup",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup"],
      Resource: securityGroups,
      Condition: { StringEquals: { [CLUSTER_TAG]: clusterName } },
    },
    {
      Sid: "TagSecurityGroupOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: securityGroups,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup", [CLUSTER_TAG]: clusterName } },
    },
    { Sid: "TagOwnSecurityGroups", Effect: "Allow", Action: ["ec2:CreateTags", "ec2:DeleteTags"], Resource: securityGroups, Condition: { ...ownGroups, ...nullTag("true") } },
    {
      Sid: "ManageOwnSecurityGroups",
      Effect: "Allow",
      Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
      Resource: securityGroups,
      Condition: ownGroups,
    },
    {
      Sid: "CreateTaggedLoadBalancers",
      Effect: "Allow",
      Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
      Resource: [...anyLoadBalancer, ...targetGroups],
      Condition: nullTag("false"),
    },
    {
      Sid: "ListenersAndRules",
      Effect: "Allow",
      Action: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"],
      Resource: [...loadBalancers, ...listeners, ...rules],
    },
    {
      Sid: "TagOwnLoadBalancers",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
      Resource: [...targetGroups, elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*")],
      Condition: nullTag("true", "false"),
    },
    { Sid: "TagListenersAndRules", Effect: "Allow", Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], Resource: [...listeners, ...rules] },
    {
      Sid: "ModifyOwnLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyCapacityReservation",
        "elasticloadbalancing:ModifyIpPools",
      ],
      Resource: [...anyLoadBalancer, ...targetGroups, ...listeners],
      Condition: { Null: { [CLUSTER_RESOURCE_TAG]: "false" } },
    },
    {
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags"],
      Resource: [...targetGroups, elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*")],
      Condition: { StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] }, ...nullTag("false") },
    },
    { Sid: "RegisterTargets", Effect: "Allow", Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], Resource: targetGroups },
    { Sid: "SetWebAcl", Effect: "Allow", Action: ["elasticloadbalancing:SetWebAcl"], Resource: "*" },
    {
      Sid: "ModifyListenersAndRules",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:SetRulePriorities",
      ],
      Resource: [...listeners, ...rules],
    },
  ];
}

export interface AwsLoadBalancerControllerProps {
  readonly cluster: PodIdentityCluster;
  /** The plain cluster name (the controller tags what it creates with it). */
  readonly clusterName: string;
  readonly accountId: string;
  readonly region: string;
  /** Set explicitly: IMDS is unreachable from pods (hop limit 1), so the controller cannot discover it. */
  readonly vpcId: string;
  readonly roleName: string;
  /** Tags for every load balancer, target group and security group the controller creates. */
  readonly defaultTags: Record<string, string>;
  /** @default "kube-system" */
  readonly namespace?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * AWS Load Balancer Controller with its Pod Identity role and the official-equivalent policy. Load balancers are
 * internal unless an Ingress asks otherwise, and carry the cost tags (provider default tags do not reach them).
 */
export class AwsLoadBalancerController extends Construct {
  readonly role: PodIdentityRole;
  readonly chart: HelmChart;
  /** IngressClass the chart creates. */
  readonly ingressClassName = "alb";
  readonly namespace: string;
  /** The controller's service account (RBAC for the Secrets it must read binds to it). */
  readonly serviceAccount = "aws-load-balancer-controller";

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    const ns = props.namespace ?? "kube-system";
    this.namespace = ns;
    const serviceAccount = this.serviceAccount;
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount,
      roleName: props.roleName,
      description: "AWS Load Balancer Controller (official v3.5.0 policy, scoped to this account, region and cluster's security groups)",
    });
    for (const s of loadBalancerControllerPolicy(props.accountId, props.region, props.clusterName, props.vpcId)) this.role.addToPolicy(s, "load-balancer-controller");
    this.chart = new HelmChart(this, "chart", {
      chart: AWS_LOAD_BALANCER_CONTROLLER_CHART,
      releaseName: "aws-load-balancer-controller",
      namespace: ns,
      createNamespace: false,
      values: {
        clusterName: props.clusterName,
        region: props.region,
        vpcId: props.vpcId,
        serviceAccount: { create: true, name: serviceAccount },
        defaultLoadBalancerScheme: "internal",
        defaultTargetType: "ip",
        defaultTags: { ...props.defaultTags },
        tolerations: systemTolerations(),
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      },
      footprint: {
        crds: ["elbv2.k8s.aws/TargetGroupBinding", "elbv2.k8s.aws/IngressClassParams"],
        serviceAccounts: [serviceAccount],
        // Two replicas: the chart's replicaCount default.
        pods: [{ name: "aws-load-balancer-controller", kind: "Deployment", replicas: 2, requests: { cpu: "50m", memory: "128Mi" }, tolerations: systemTolerations(), serviceAccount }],
      },
      dependsOn: [...(props.dependsOn ?? []), ...this.role.dependables(), this.role.association],
    });
  }
}
