import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { Construct } from "constructs";
import { awsManagedPolicyArn, policyJson, type NotActionStatement, type PolicyStatement } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import { KmsKey } from "../security/kms-key";

/** GitHub Actions' OIDC issuer and the audience configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/**
 * The AWS managed policies the platform's stacks attach to the roles they create. The apply role may attach these and
 * no other, so it cannot hand a role of the environment AdministratorAccess. A test keeps the list equal to what the
 * synthesized stacks attach, apart from the CI roles' own (which only an administrator changes).
 */
export const ATTACHABLE_MANAGED_POLICIES = [
  "AmazonEC2ContainerRegistryPullOnly",
  "AmazonEKSClusterPolicy",
  "AmazonEKSWorkerNodePolicy",
  "AmazonEKS_CNI_Policy",
  "AmazonSSMManagedInstanceCore",
  "service-role/AmazonEBSCSIDriverPolicy",
] as const;

/** IAM reads Terraform makes when it refreshes a role and its policies. */
const ROLE_READ_ACTIONS = ["iam:GetRole", "iam:ListRoleTags", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"] as const;

/**
 * IAM changes that decide what a role may do: the apply role makes them only on roles that carry the environment's
 * permissions boundary (the `iam:PermissionsBoundary` condition key), so an inline `Action: "*"` still ends at it.
 */
const BOUNDED_ROLE_ACTIONS = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"] as const;

/** The other IAM changes Terraform makes to the roles it manages (change, delete, tag, pass to a service). */
const ROLE_WRITE_ACTIONS = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PassRole"] as const;

/** IAM changes Terraform makes to the cluster's IAM OIDC provider (IRSA), tag-scoped to the environment. */
const OIDC_PROVIDER_WRITE_ACTIONS = [
  "iam:CreateOpenIDConnectProvider",
  "iam:TagOpenIDConnectProvider",
  "iam:UntagOpenIDConnectProvider",
  "iam:DeleteOpenIDConnectProvider",
  "iam:UpdateOpenIDConnectProviderThumbprint",
  "iam:AddClientIDToOpenIDConnectProvider",
  "iam:RemoveClientIDFromOpenIDConnectProvider",
] as const;

/**
 * FSx for Lustre's S3 service-linked role (its path) and what creating a data repository association needs on it,
 * as in the first statement of the aws-fsx-csi-driver's example IAM policy (docs/install.md).
 */
export const FSX_S3_SERVICE_LINKED_ROLE_PATH = "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/";
export const FSX_S3_SERVICE_LINKED_ROLE_ACTIONS = ["iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"] as const;

export interface CiIdentitiesProps {
  /** `mlp-<env>`: every role this environment's stacks create starts with it (the apply role manages `<prefix>-*`). */
  readonly namePrefix: string;
  /** Physical names of the three roles; each must start with `<namePrefix>-ci-`. */
  readonly roleNames: { readonly pr: string; readonly plan: string; readonly apply: string };
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  /** Name of the permissions boundary policy every role the apply role manages must carry (`<namePrefix>-role-boundary`). */
  readonly roleBoundaryName: string;
  /**
   * Secrets whose versions Terraform manages (Grafana's admin credential): refreshing such a version reads it
   * (GetSecretValue), so the plan role may read these, and only these, decrypting through Secrets Manager.
   */
  readonly managedSecrets: { readonly names: readonly string[]; readonly kmsKeyArn: string };
  /** GitHub `owner/repository`. */
  readonly githubRepository: string;
  /** The deploy branch (plans of cluster stacks run from it). */
  readonly branch: string;
  /** Create the account's OIDC provider here, or use the one that exists. */
  readonly oidcProvider: "create" | "existing";
  /** Alias (without `alias/`) of the key saved plans are encrypted with between the plan and the apply job. */
  readonly plansKeyAlias: string;
  /** prevent_destroy on the plans key. @default false */
  readonly protect?: boolean;
  /**
   * The environment links an FSx for Lustre file system to S3 (data repository associations): creating one makes FSx
   * create and configure its S3 service-linked role with the caller's permissions. @default false
   */
  readonly fsxDataRepositories?: boolean;
}

/**
 * The identities CI deploys this environment with, each trusting only GitHub's OIDC tokens of one repository, and
 * only for one kind of job (the token's `sub` claim):
 * - `pullRequest` (`repo:<repo>:pull_request`): read-only AWS (ReadOnlyAccess), no cluster access. Code of a pull
 *   request runs with it, so it reaches nothing secret: the state holds no secret and data is KMS-encrypted.
 * - `plan` (`repo:<repo>:ref:refs/heads/<branch>`): read-only AWS; the foundation gives it cluster-wide read access
 *   (AmazonEKSAdminViewPolicy, Secrets included, which a Helm plan needs). Only the deploy branch's jobs get it.
 * - `apply` (`repo:<repo>:environment:<env>`): PowerUserAccess plus IAM on this environment's own roles (and, with
 *   FSx linked to S3, on FSx's S3 service-linked role), and cluster admin. Only jobs of the GitHub environment of the
 *   same name get it: its protection rules are the gate. It may not change the CI roles or the OIDC provider: who CI
 *   is stays a change an administrator applies.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
 */
export class CiIdentities extends Construct {
  readonly pullRequest: WorkloadRole;
  readonly plan: WorkloadRole;
  readonly apply: WorkloadRole;
  readonly oidcProvider?: IamOpenidConnectProvider;
  readonly oidcProviderArn: string;
  /**
   * Encrypts saved plans while they wait for approval: a plan file holds sensitive values in clear, so the plan job
   * uploads it only encrypted under a data key from this key (plan role: GenerateDataKey) and only the apply role can
   * decrypt it. Pull requests never upload plans.
   */
  readonly plansKey: KmsKey;
  /** The permissions boundary of every role of the environment's other stacks. */
  readonly roleBoundary: IamPolicy;

  constructor(scope: Construct, id: string, props: CiIdentitiesProps) {
    super(scope, id);
    this.oidcProviderArn = `arn:aws:iam::${props.accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
    if (props.oidcProvider === "create") {
      this.oidcProvider = new IamOpenidConnectProvider(this, "github-oidc", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
        // Every environment of the account trusts it: removing it would lock all their pipelines out.
        lifecycle: { preventDestroy: true },
      });
    }
    const trust = (sub: string) =>
      policyJson([
        {
          Sid: "GitHubActionsOidc",
          Effect: "Allow",
          Principal: { Federated: this.oidcProviderArn },
          Action: ["sts:AssumeRoleWithWebIdentity"],
          Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: sub } },
        },
      ]);
    if (!props.roleBoundaryName.startsWith(`${props.namePrefix}-`) || props.roleBoundaryName.startsWith(`${props.namePrefix}-ci-`)) {
      throw new Error(`role boundary ${props.roleBoundaryName} must start with ${props.namePrefix}- and not ${props.namePrefix}-ci-`);
    }
    this.roleBoundary = new IamPolicy(this, "role-boundary", {
      name: props.roleBoundaryName,
      description: `Permissions boundary of every role of ${props.environment}'s stacks: no IAM beyond reads, service-linked roles, instance profiles and passing the environment's roles`,
      policy: policyJson(roleBoundaryStatements(props)),
    });
    const repo = `repo:${props.githubRepository}`;
    for (const name of Object.values(props.roleNames)) {
      if (!name.startsWith(`${props.namePrefix}-ci-`)) throw new Error(`CI role ${name} must start with ${props.namePrefix}-ci- (the apply role may not change those)`);
    }
    const role = (key: keyof CiIdentitiesProps["roleNames"], sub: string, description: string, managed: string) =>
      new WorkloadRole(this, key, { roleName: props.roleNames[key], assumeRolePolicy: trust(sub), description, managedPolicies: [managed] });

    this.pullRequest = role("pr", `${repo}:pull_request`, `Pull-request plans of ${props.environment}: read-only, no cluster access`, "ReadOnlyAccess");
    this.plan = role("plan", `${repo}:ref:refs/heads/${props.branch}`, `Plans of ${props.environment} from ${props.branch}: read-only, cluster read access`, "ReadOnlyAccess");
    this.apply = role("apply", `${repo}:environment:${props.environment}`, `Deploys ${props.environment} from its protected GitHub environment`, "PowerUserAccess");
    for (const s of applyIamStatements(props)) this.apply.addToPolicy(s, "environment-iam");

    this.plansKey = new KmsKey(this, "plans-key", {
      accountId: props.accountId,
      alias: props.plansKeyAlias,
      description: `Saved Terraform plans of ${props.environment} between the plan and the apply job`,
      protect: props.protect,
    });
    this.plan.addToPolicy({ Sid: "EncryptSavedPlans", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: this.plansKey.keyArn }, "saved-plans");
    for (const s of planSecretStatements(props)) this.plan.addToPolicy(s, "managed-secrets");
    this.apply.addToPolicy({ Sid: "DecryptSavedPlans", Effect: "Allow", Action: ["kms:Decrypt"], Resource: this.plansKey.keyArn }, "saved-plans");
  }
}

/**
 * What the apply role may do in IAM: manage this environment's roles with the managed policies the stacks use, read
 * (never change) the CI roles and the OIDC provider, so a pipeline cannot widen its own trust or permissions.
 */
function applyIamStatements(props: CiIdentitiesProps): PolicyStatement[] {
  const roles = `arn:aws:iam::${props.accountId}:role/${props.namePrefix}-*`;
  const ciRoles = `arn:aws:iam::${props.accountId}:role/${props.namePrefix}-ci-*`;
  const boundary = `arn:aws:iam::${props.accountId}:policy/${props.roleBoundaryName}`;
  const withBoundary = { StringEquals: { "iam:PermissionsBoundary": boundary } };
  // IRSA providers are named by the cluster's issuer id, unknown before the cluster exists: the Environment tag (the
  // provider's default tags) tells this environment's provider from another environment's in the same account.
  const clusterOidcProviders = `arn:aws:iam::${props.accountId}:oidc-provider/oidc.eks.${props.region}.amazonaws.com/id/*`;
  return [
    { Sid: "EnvironmentRoles", Effect: "Allow", Action: [...ROLE_READ_ACTIONS, ...ROLE_WRITE_ACTIONS], Resource: roles },
    { Sid: "EnvironmentRolesWithinBoundary", Effect: "Allow", Action: [...BOUNDED_ROLE_ACTIONS], Resource: roles, Condition: withBoundary },
    {
      Sid: "EnvironmentRoleManagedPolicies",
      Effect: "Allow",
      Action: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
      Resource: roles,
      Condition: { ...withBoundary, ArnEquals: { "iam:PolicyARN": ATTACHABLE_MANAGED_POLICIES.map(awsManagedPolicyArn) } },
    },
    { Sid: "ReadRoleBoundary", Effect: "Allow", Action: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"], Resource: boundary },
    { Sid: "ReadGitHubOidcProvider", Effect: "Allow", Action: ["iam:GetOpenIDConnectProvider"], Resource: `arn:aws:iam::${props.accountId}:oidc-provider/${GITHUB_OIDC_HOST}` },
    {
      Sid: "CreateClusterOidcProvider",
      Effect: "Allow",
      Action: ["iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"],
      Resource: clusterOidcProviders,
      Condition: { StringEquals: { "aws:RequestTag/Environment": props.environment } },
    },
    {
      Sid: "ManageClusterOidcProvider",
      Effect: "Allow",
      Action: ["iam:GetOpenIDConnectProvider", ...OIDC_PROVIDER_WRITE_ACTIONS.filter((a) => a !== "iam:CreateOpenIDConnectProvider")],
      Resource: clusterOidcProviders,
      Condition: { StringEquals: { "aws:ResourceTag/Environment": props.environment } },
    },
    // A data repository association fails without these: FSx creates its S3 service-linked role and attaches and puts
    // its policies as the caller (the FSx CSI driver's official policy, first statement). The path holds only that
    // service's role, which carries no boundary, so these cannot reach the environment's or the CI roles.
    ...(props.fsxDataRepositories
      ? [{ Sid: "FsxS3ServiceLinkedRole", Effect: "Allow" as const, Action: [...FSX_S3_SERVICE_LINKED_ROLE_ACTIONS], Resource: `arn:aws:iam::${props.accountId}:role/${FSX_S3_SERVICE_LINKED_ROLE_PATH}*` }]
      : []),
    { Sid: "NeverChangeCiRoles", Effect: "Deny", Action: [...BOUNDED_ROLE_ACTIONS, ...ROLE_WRITE_ACTIONS, "iam:AttachRolePolicy", "iam:DetachRolePolicy"], Resource: ciRoles },
    { Sid: "NeverLiftTheBoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: roles },
  ];
}

/**
 * The boundary: everything PowerUserAccess allows (no IAM, Organizations or account changes), plus the IAM the
 * platform's own roles call at run time: reads, service-linked roles (EKS, load balancers, Spot), Karpenter's
 * instance profiles, and passing this environment's roles (Karpenter passes its node role). A role the apply role makes
 * with an inline `Action: "*"` therefore still cannot create users, roles or policies, or lift its own boundary.
 */
function roleBoundaryStatements(props: CiIdentitiesProps): (PolicyStatement | NotActionStatement)[] {
  return [
    { Sid: "AllButIdentityAndAccount", Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" },
    { Sid: "IamReads", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" },
    { Sid: "ServiceLinkedRoles", Effect: "Allow", Action: ["iam:CreateServiceLinkedRole"], Resource: `arn:aws:iam::${props.accountId}:role/aws-service-role/*` },
    {
      Sid: "KarpenterInstanceProfiles",
      Effect: "Allow",
      Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
      Resource: `arn:aws:iam::${props.accountId}:instance-profile/*`,
    },
    { Sid: "PassEnvironmentRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: `arn:aws:iam::${props.accountId}:role/${props.namePrefix}-*` },
  ];
}

/** The plan role's reads of the secrets whose versions Terraform manages (and the password generator it opens). */
function planSecretStatements(props: CiIdentitiesProps): PolicyStatement[] {
  const { names, kmsKeyArn } = props.managedSecrets;
  if (names.length === 0) return [];
  return [
    // Secret ARNs end in a random 6-character suffix.
    { Sid: "RefreshManagedSecretVersions", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: names.map((n) => `arn:aws:secretsmanager:${props.region}:${props.accountId}:secret:${n}-??????`) },
    { Sid: "DecryptManagedSecrets", Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${props.region}.amazonaws.com` } } },
    // A plan opens the ephemeral password of a version it would write (it never reaches plan or state).
    { Sid: "OpenEphemeralPasswords", Effect: "Allow", Action: ["secretsmanager:GetRandomPassword"], Resource: "*" },
  ];
}
