import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { Construct } from "constructs";
import { awsManagedPolicyArn, policyJson, type PolicyStatement } from "../iam/policy";
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

/** IAM changes Terraform makes to the roles it manages (create, change, delete, pass to a service). */
const ROLE_WRITE_ACTIONS = [
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
  "iam:UpdateAssumeRolePolicy",
  "iam:TagRole",
  "iam:UntagRole",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:PassRole",
] as const;

export interface CiIdentitiesProps {
  /** `mlp-<env>`: every role this environment's stacks create starts with it (the apply role manages `<prefix>-*`). */
  readonly namePrefix: string;
  /** Physical names of the three roles; each must start with `<namePrefix>-ci-`. */
  readonly roleNames: { readonly pr: string; readonly plan: string; readonly apply: string };
  readonly environment: string;
  readonly accountId: string;
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
}

/**
 * The identities CI deploys this environment with, each trusting only GitHub's OIDC tokens of one repository, and
 * only for one kind of job (the token's `sub` claim):
 * - `pullRequest` (`repo:<repo>:pull_request`): read-only AWS (ReadOnlyAccess), no cluster access. Code of a pull
 *   request runs with it, so it reaches nothing secret: the state holds no secret and data is KMS-encrypted.
 * - `plan` (`repo:<repo>:ref:refs/heads/<branch>`): read-only AWS; the foundation gives it cluster-wide read access
 *   (AmazonEKSAdminViewPolicy, Secrets included, which a Helm plan needs). Only the deploy branch's jobs get it.
 * - `apply` (`repo:<repo>:environment:<env>`): PowerUserAccess plus IAM on this environment's own roles, and
 *   cluster admin. Only jobs of the GitHub environment of the same name get it: its protection rules are the gate.
 *   It may not change the CI roles or the OIDC provider: who CI is stays a change an administrator applies.
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
  return [
    { Sid: "EnvironmentRoles", Effect: "Allow", Action: [...ROLE_READ_ACTIONS, ...ROLE_WRITE_ACTIONS], Resource: roles },
    {
      Sid: "EnvironmentRoleManagedPolicies",
      Effect: "Allow",
      Action: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
      Resource: roles,
      Condition: { ArnEquals: { "iam:PolicyARN": ATTACHABLE_MANAGED_POLICIES.map(awsManagedPolicyArn) } },
    },
    { Sid: "ReadGitHubOidcProvider", Effect: "Allow", Action: ["iam:GetOpenIDConnectProvider"], Resource: `arn:aws:iam::${props.accountId}:oidc-provider/${GITHUB_OIDC_HOST}` },
    { Sid: "NeverChangeCiRoles", Effect: "Deny", Action: [...ROLE_WRITE_ACTIONS, "iam:AttachRolePolicy", "iam:DetachRolePolicy"], Resource: ciRoles },
  ];
}
