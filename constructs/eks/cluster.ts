import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { EksCluster as EksClusterResource } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IrsaCluster } from "../iam/irsa-role";
import { PodIdentityRole, podIdentityTrustPolicy, type PodIdentityCluster } from "../iam/pod-identity-role";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import type { KmsKey } from "../security/kms-key";

/** EKS access policies the platform associates (cluster scope). */
export const ACCESS_POLICIES = {
  clusterAdmin: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
  adminView: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
} as const;

/**
 * The vpc-cni add-on's configuration: NetworkPolicy enforcement on (the add-on's schema takes the string "true").
 * @see https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

/** Control-plane log types; all five are enabled. */
export const CLUSTER_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

export interface EksClusterProps {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpcId: string;
  /** Private subnets for the control-plane ENIs and nodes. */
  readonly subnetIds: string[];
  /** Envelope encryption of Kubernetes secrets. */
  readonly secretsKey: KmsKey;
  /** Encrypts the control-plane log group. */
  readonly logsKey: KmsKey;
  readonly logRetentionDays: number;
  /**
   * CIDRs allowed to reach the public endpoint; empty means the endpoint is private only.
   * @default []
   */
  readonly publicAccessCidrs?: readonly string[];
  /** IAM roles that get AmazonEKSClusterAdminPolicy through access entries (no implicit creator admin). */
  readonly adminRoleArns: readonly string[];
  /**
   * The CI roles: `apply` gets AmazonEKSClusterAdminPolicy, `plan` AmazonEKSAdminViewPolicy (cluster-wide read,
   * Secrets included, which a Helm plan needs to read release state). @default - no CI access
   */
  readonly deployerRoles?: { readonly apply: string; readonly plan: string };
  /** deletion_protection on the cluster and prevent_destroy. @default false */
  readonly protect?: boolean;
}

/**
 * An EKS cluster in API authentication mode with KMS secrets encryption, all control-plane logs in an
 * encrypted log group, access entries for admins, and the managed add-ons that must exist before compute.
 * Call `addPostComputeAddons(after)` once nodes exist.
 */
export class EksCluster extends Construct implements PodIdentityCluster, IrsaCluster {
  readonly cluster: EksClusterResource;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly clusterEndpoint: string;
  readonly clusterCertificateAuthority: string;
  /** The security group EKS creates and attaches to the control plane and managed nodes. */
  readonly clusterSecurityGroupId: string;
  /** The additional security group of the control-plane ENIs: add ingress to the private endpoint here. */
  readonly controlPlaneSecurityGroupId: string;
  readonly accountId: string;
  readonly region: string;
  /** Add-ons that nodes need in order to join (vpc-cni, eks-pod-identity-agent). */
  readonly preComputeAddons: EksAddon[];
  /**
   * The VPC CNI's own role (AmazonEKS_CNI_Policy) for kube-system/aws-node through Pod Identity, so node roles carry no
   * network permissions every pod on the node could borrow through the instance profile.
   */
  readonly cniRole: WorkloadRole;
  /** The cluster name as a plain string, for deriving other physical names (clusterName is a token). */
  readonly physicalName: string;
  readonly kubernetesVersion: string;
  /**
   * The IAM OIDC provider of the cluster's issuer, for workloads whose AWS SDK predates Pod Identity (IRSA): Pod
   * Identity stays the default; see IrsaRole.
   */
  readonly oidcProvider: IamOpenidConnectProvider;
  readonly oidcProviderArn: string;
  readonly oidcIssuerUrl: string;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const publicCidrs = props.publicAccessCidrs ?? [];
    this.accountId = props.accountId;
    this.region = props.region;
    this.kubernetesVersion = props.kubernetesVersion;
    this.physicalName = props.clusterName;

    const role = new WorkloadRole(this, "cluster-role", {
      roleName: `${props.clusterName}-cluster`,
      description: `EKS control plane of ${props.clusterName}`,
      assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com", undefined, ["sts:AssumeRole", "sts:TagSession"]),
      managedPolicies: ["AmazonEKSClusterPolicy"],
    });
    role.addToPolicy(
      { Sid: "SecretsEnvelopeEncryption", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: props.secretsKey.keyArn },
      "secrets-encryption",
    );

    const logGroup = new CloudwatchLogGroup(this, "control-plane-logs", {
      name: `/aws/eks/${props.clusterName}/cluster`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKey.keyArn,
    });

    const extraSg = new SecurityGroup(this, "control-plane-sg", {
      name: `${props.clusterName}-control-plane`,
      description: `Additional control-plane security group of ${props.clusterName}`,
      vpcId: props.vpcId,
      tags: { Name: `${props.clusterName}-control-plane` },
    });

    this.cluster = new EksClusterResource(this, "cluster", {
      name: props.clusterName,
      version: props.kubernetesVersion,
      roleArn: role.roleArn,
      bootstrapSelfManagedAddons: false,
      deletionProtection: props.protect ?? false,
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      encryptionConfig: { provider: { keyArn: props.secretsKey.keyArn }, resources: ["secrets"] },
      enabledClusterLogTypes: [...CLUSTER_LOG_TYPES],
      vpcConfig: {
        subnetIds: props.subnetIds,
        securityGroupIds: [extraSg.id],
        endpointPrivateAccess: true,
        endpointPublicAccess: publicCidrs.length > 0,
        ...(publicCidrs.length > 0 ? { publicAccessCidrs: [...publicCidrs] } : {}),
      },
      upgradePolicy: { supportType: "STANDARD" },
      dependsOn: [logGroup, ...role.dependables()],
      lifecycle: props.protect ? { preventDestroy: true } : undefined,
    });
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;
    this.clusterEndpoint = this.cluster.endpoint;
    this.clusterCertificateAuthority = this.cluster.certificateAuthority.get(0).data;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;
    this.controlPlaneSecurityGroupId = extraSg.id;
    this.oidcIssuerUrl = this.cluster.identity.get(0).oidc.get(0).issuer;
    this.oidcProvider = new IamOpenidConnectProvider(this, "oidc-provider", {
      url: this.oidcIssuerUrl,
      clientIdList: ["sts.amazonaws.com"],
      tags: { Name: `${props.clusterName}-irsa` },
    });
    this.oidcProviderArn = this.oidcProvider.arn;

    props.adminRoleArns.forEach((arn) => this.grantAccess(`admin-${arn.slice(arn.lastIndexOf("/") + 1)}`, arn, ACCESS_POLICIES.clusterAdmin));
    if (props.deployerRoles) {
      this.grantAccess("ci-apply", props.deployerRoles.apply, ACCESS_POLICIES.clusterAdmin);
      this.grantAccess("ci-plan", props.deployerRoles.plan, ACCESS_POLICIES.adminView);
    }

    this.cniRole = new WorkloadRole(this, "vpc-cni-role", {
      roleName: `${props.clusterName}-vpc-cni`,
      description: "Amazon VPC CNI (aws-node) through Pod Identity",
      assumeRolePolicy: podIdentityTrustPolicy(this, "kube-system", "aws-node"),
      managedPolicies: ["AmazonEKS_CNI_Policy"],
    });
    const podIdentityAgent = this.addon("eks-pod-identity-agent");
    // aws-node asks the node's Pod Identity agent for credentials; without the agent it crashes
    // (aws/amazon-vpc-cni-k8s #3840), so the agent's add-on comes first. The add-on owns the association.
    const cni = this.addon("vpc-cni", {
      dependsOn: [podIdentityAgent, ...this.cniRole.dependables()],
      podIdentityAssociation: { serviceAccount: "aws-node", roleArn: this.cniRole.roleArn },
      // The network policy agent in aws-node enforces NetworkPolicies (the teams' isolation, docs/tenancy.md); EKS runs
      // the policy controller on the control plane. On a running cluster this rolls aws-node node by node.
      configurationValues: VPC_CNI_CONFIGURATION,
    });
    this.preComputeAddons = [podIdentityAgent, cni];
  }

  /** An access entry for an IAM principal with one cluster-scoped access policy. */
  private grantAccess(key: string, principalArn: string, policyArn: string): void {
    const entry = new EksAccessEntry(this, key, { clusterName: this.cluster.name, principalArn, type: "STANDARD" });
    new EksAccessPolicyAssociation(this, `${key}-policy`, { clusterName: this.cluster.name, principalArn: entry.principalArn, policyArn, accessScope: { type: "cluster" } });
  }

  /** A managed add-on, at `version` or else at the default version EKS picks for the cluster version. */
  addon(
    name: string,
    options: { dependsOn?: ITerraformDependable[]; configurationValues?: Record<string, unknown>; podIdentityAssociation?: { serviceAccount: string; roleArn: string }; version?: string } = {},
  ): EksAddon {
    return new EksAddon(this, `addon-${name}`, {
      clusterName: this.cluster.name,
      addonName: name,
      ...(options.version ? { addonVersion: options.version } : {}),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      ...(options.configurationValues ? { configurationValues: JSON.stringify(options.configurationValues) } : {}),
      ...(options.podIdentityAssociation ? { podIdentityAssociation: [options.podIdentityAssociation] } : {}),
      dependsOn: options.dependsOn,
    });
  }

  /**
   * Add-ons that need running nodes: kube-proxy, coredns and the EBS CSI driver (with its own Pod Identity role).
   * @param compute what must exist first (the system node group)
   * @param volumesKeyArn the customer managed key persistent volumes are encrypted with (the driver uses it through EC2)
   */
  addPostComputeAddons(compute: ITerraformDependable[], volumesKeyArn: string): { ebsCsiRole: PodIdentityRole } {
    this.addon("kube-proxy", { dependsOn: compute });
    this.addon("coredns", { dependsOn: compute });
    const ebsCsiRole = new PodIdentityRole(this, "ebs-csi-role", {
      cluster: this,
      namespace: "kube-system",
      serviceAccount: "ebs-csi-controller-sa",
      roleName: `${this.physicalName}-ebs-csi`,
      description: "EBS CSI driver controller (Pod Identity)",
      managedPolicies: ["service-role/AmazonEBSCSIDriverPolicy"],
    });
    // The driver's documented KMS policy for customer managed keys, narrowed to EC2's use of this one key.
    // https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/install.md (KMS key policy)
    const viaEc2 = { StringEquals: { "kms:ViaService": `ec2.${this.region}.amazonaws.com` } };
    ebsCsiRole.addToPolicy(
      { Sid: "EncryptVolumes", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"], Resource: volumesKeyArn, Condition: viaEc2 },
      "volumes-key",
    );
    ebsCsiRole.addToPolicy(
      { Sid: "AttachVolumes", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: volumesKeyArn, Condition: { ...viaEc2, Bool: { "kms:GrantIsForAWSResource": true } } },
      "volumes-key",
    );
    // The role's policy attachment too: the controller should start with its permissions in place.
    this.addon("aws-ebs-csi-driver", { dependsOn: [...compute, ebsCsiRole.association, ...ebsCsiRole.dependables()] });
    return { ebsCsiRole };
  }

}
