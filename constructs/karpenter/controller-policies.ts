import type { PolicyStatement } from "../iam/policy";

/** Values substituted into the official Karpenter controller policies. */
export interface KarpenterPolicyContext {
  /** AWS partition (`aws` for the commercial regions this platform supports). */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The EKS cluster name (a literal, not a token: it is part of tag-condition values). */
  readonly clusterName: string;
  /** ARN of the node role Karpenter passes to the instance profiles it creates. */
  readonly nodeRoleArn: string;
}

/** The six official policy names, in the order the getting-started template declares them. */
export const KARPENTER_CONTROLLER_POLICY_NAMES = [
  "NodeLifecyclePolicy",
  "IAMIntegrationPolicy",
  "EKSIntegrationPolicy",
  "InterruptionPolicy",
  "ResourceDiscoveryPolicy",
  "ZonalShiftPolicy",
] as const;

export type KarpenterControllerPolicyName = (typeof KARPENTER_CONTROLLER_POLICY_NAMES)[number];

/** The policies built here; InterruptionPolicy comes from `KarpenterInterruptionQueue.grantConsume`, which owns the queue. */
export type KarpenterOwnPolicyName = Exclude<KarpenterControllerPolicyName, "InterruptionPolicy">;

/**
 * The Karpenter 1.14 controller permissions, statement for statement as in the official getting-started
 * CloudFormation template (six managed policies since aws/karpenter-provider-aws PR #8690), with partition,
 * region, account, cluster and node role substituted. The sixth, InterruptionPolicy, is granted by the queue
 * construct that owns the queue (`KarpenterInterruptionQueue.grantConsume`). Each policy stays under the 6,144-character
 * managed-policy limit on its own; together they exceed it, so they are kept as separate policies.
 * Some statements use `Resource: "*"` scoped by conditions exactly as upstream does (see docs/gpu-compute.md).
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.14.1/website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml
 */
export function karpenterControllerPolicies(ctx: KarpenterPolicyContext): Record<KarpenterOwnPolicyName, PolicyStatement[]> {
  const { partition: p, region: r, accountId: a, clusterName: c } = ctx;
  const ec2 = (resource: string) => `arn:${p}:ec2:${r}:*:${resource}`;
  const clusterOwned = { [`aws:ResourceTag/kubernetes.io/cluster/${c}`]: "owned" };
  const taggedResources = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
  const instanceProfiles = `arn:${p}:iam::${a}:instance-profile/*`;
  const clusterArn = `arn:${p}:eks:${r}:${a}:cluster/${c}`;

  return {
    NodeLifecyclePolicy: [
      {
        Sid: "AllowScopedEC2InstanceAccessActions",
        Effect: "Allow",
        Resource: [
          `arn:${p}:ec2:${r}::image/*`,
          `arn:${p}:ec2:${r}::snapshot/*`,
          ec2("security-group/*"),
          ec2("subnet/*"),
          ec2("capacity-reservation/*"),
          ec2("placement-group/*"),
        ],
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      },
      {
        Sid: "AllowScopedEC2LaunchTemplateAccessActions",
        Effect: "Allow",
        Resource: ec2("launch-template/*"),
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        Condition: { StringEquals: clusterOwned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      },
      {
        Sid: "AllowScopedEC2InstanceActionsWithTags",
        Effect: "Allow",
        Resource: taggedResources,
        Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
        Condition: {
          StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": c },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      },
      {
        Sid: "AllowScopedResourceCreationTagging",
        Effect: "Allow",
        Resource: taggedResources,
        Action: "ec2:CreateTags",
        Condition: {
          StringEquals: {
            [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned",
            "aws:RequestTag/eks:eks-cluster-name": c,
            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
          },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      },
      {
        Sid: "AllowScopedResourceTagging",
        Effect: "Allow",
        Resource: ec2("instance/*"),
        Action: "ec2:CreateTags",
        Condition: {
          StringEquals: clusterOwned,
          StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
          StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": c },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
        },
      },
      {
        Sid: "AllowScopedDeletion",
        Effect: "Allow",
        Resource: [ec2("instance/*"), ec2("launch-template/*")],
        Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
        Condition: { StringEquals: clusterOwned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      },
    ],
    IAMIntegrationPolicy: [
      {
        Sid: "AllowPassingInstanceRole",
        Effect: "Allow",
        Resource: ctx.nodeRoleArn,
        Action: "iam:PassRole",
        Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
      },
      {
        Sid: "AllowScopedInstanceProfileCreationActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:CreateInstanceProfile"],
        Condition: {
          StringEquals: {
            [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned",
            "aws:RequestTag/eks:eks-cluster-name": c,
            "aws:RequestTag/topology.kubernetes.io/region": r,
          },
          StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileTagActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:TagInstanceProfile"],
        Condition: {
          StringEquals: {
            ...clusterOwned,
            "aws:ResourceTag/topology.kubernetes.io/region": r,
            [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned",
            "aws:RequestTag/eks:eks-cluster-name": c,
            "aws:RequestTag/topology.kubernetes.io/region": r,
          },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
        Condition: {
          StringEquals: { ...clusterOwned, "aws:ResourceTag/topology.kubernetes.io/region": r },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
    ],
    EKSIntegrationPolicy: [{ Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Resource: clusterArn, Action: "eks:DescribeCluster" }],
    ResourceDiscoveryPolicy: [
      {
        Sid: "AllowRegionalReadActions",
        Effect: "Allow",
        // Describe* actions have no resource types; the region condition is upstream's scope.
        Resource: "*",
        Action: [
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ],
        Condition: { StringEquals: { "aws:RequestedRegion": r } },
      },
      { Sid: "AllowSSMReadActions", Effect: "Allow", Resource: `arn:${p}:ssm:${r}::parameter/aws/service/*`, Action: "ssm:GetParameter" },
      { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
      { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: "*", Action: "iam:ListInstanceProfiles" },
      { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: instanceProfiles, Action: "iam:GetInstanceProfile" },
    ],
    ZonalShiftPolicy: [
      {
        Sid: "AllowZonalShiftStatusReadOnly",
        Effect: "Allow",
        // GetManagedResource has ALB/NLB resource types only; an EKS cluster is matched by this condition key (as upstream).
        Resource: "*",
        Action: ["arc-zonal-shift:GetManagedResource"],
        Condition: { StringEquals: { "arc-zonal-shift:ResourceIdentifier": clusterArn } },
      },
    ],
  };
}
