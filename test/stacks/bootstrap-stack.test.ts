import { validateEnvironment } from "../../environments/lib/load";
import stagingInput from "../../environments/staging";
import { ATTACHABLE_MANAGED_POLICIES } from "../../constructs/deploy/ci-identities";
import { BootstrapStack } from "../../stacks/bootstrap-stack";
import { single, synthStack, testApp } from "../helpers/construct";
import { brokenStaging } from "../helpers/environments";
import { simulate, type PolicyDoc } from "../helpers/ml-iam";
import { resources, stack, synthesizeAll, type TerraformJson } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function synthBootstrap(name: string, input: unknown): TerraformJson {
  return synthStack(new BootstrapStack(testApp(), validateEnvironment(name, input)));
}

const roleByName = (json: TerraformJson, name: string): [string, Any] => {
  const found = Object.entries(json.resource?.aws_iam_role ?? {}).find(([, r]) => (r as Any).name === name);
  if (!found) throw new Error(`no role ${name}`);
  return found as [string, Any];
};

describe("BootstrapStack", () => {
  const json = synthBootstrap("staging", stagingInput);

  test("keeps its state in the bucket it creates (the first apply starts local and migrates: npm run stacks -- bootstrap)", () => {
    expect(json.terraform.backend).toEqual({ s3: { bucket: "mlp-tfstate-staging-111122223333", key: "staging/bootstrap.tfstate", region: "us-east-1", encrypt: true, kms_key_id: "alias/mlp-staging-tfstate", use_lockfile: true } });
  });

  test("encrypts the state bucket with its own key (SSE-KMS with a bucket key), and the backend writes with it by alias", () => {
    const [keyId, key] = Object.entries(json.resource!.aws_kms_key as Record<string, Any>).find(([id]) => id.startsWith("state-key"))!;
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    const alias = Object.values(json.resource!.aws_kms_alias as Record<string, Any>).find((a) => a.target_key_id === `\${aws_kms_key.${keyId}.key_id}`);
    expect(`alias/${alias.name.slice("alias/".length)}`).toBe(json.terraform.backend.s3.kms_key_id);
    expect(single(json, "aws_s3_bucket_server_side_encryption_configuration")[1].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: `\${aws_kms_key.${keyId}.arn}` }, bucket_key_enabled: true },
    ]);
  });

  test("the read-only CI roles may decrypt state through S3 only; nothing else uses the state key", () => {
    const [keyId] = Object.entries(json.resource!.aws_kms_key as Record<string, Any>).find(([id]) => id.startsWith("state-key"))!;
    const users = Object.values(json.resource!.aws_iam_role_policy as Record<string, Any>).filter((p) => p.policy.includes(`aws_kms_key.${keyId}.arn`));
    expect(users.map((p) => p.name)).toEqual(["state-key", "state-key"]);
    for (const p of users) {
      expect(JSON.parse(p.policy).Statement).toEqual([
        { Sid: "ReadState", Effect: "Allow", Action: ["kms:Decrypt"], Resource: `\${aws_kms_key.${keyId}.arn}`, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
      ]);
    }
  });

  test("creates the environment's state bucket, protected from destroy", () => {
    expect(single(json, "aws_s3_bucket")[1]).toEqual({ bucket: "mlp-tfstate-staging-111122223333", force_destroy: false, lifecycle: { prevent_destroy: true } });
  });

  test("expires noncurrent state versions after 90 days by default", () => {
    expect(single(json, "aws_s3_bucket_lifecycle_configuration")[1].rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
    expect(single(json, "aws_s3_bucket_versioning")[1].versioning_configuration).toEqual({ status: "Enabled" });
  });

  test("honours a custom state bucket name and retention", () => {
    const custom = synthBootstrap("staging", brokenStaging((e) => (e.stateBackend = { bucket: "acme-ml-staging-tfstate", noncurrentVersionExpirationDays: 30 })));
    expect(single(custom, "aws_s3_bucket")[1].bucket).toBe("acme-ml-staging-tfstate");
    expect(custom.terraform.backend.s3.bucket).toBe("acme-ml-staging-tfstate");
    expect(single(custom, "aws_s3_bucket_lifecycle_configuration")[1].rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
    expect(custom.output!.state_bucket.value).toMatch(/^\$\{aws_s3_bucket\..+\.bucket\}$/);
  });

  test("pins the provider to the environment's account and region with cost tags as default tags", () => {
    expect(json.provider!.aws).toEqual([
      {
        region: "us-east-1",
        allowed_account_ids: ["111122223333"],
        default_tags: [{ tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-stg-4200", Environment: "staging" } }],
      },
    ]);
  });

  test("creates CodeBuild's GitHub connection (completed once in the console) and outputs it", () => {
    expect(single(json, "aws_codeconnections_connection")[1]).toEqual({ name: "mlp-staging-github", provider_type: "GitHub" });
    expect(Object.keys(json.output!).sort()).toEqual(["ci_apply_role_arn", "ci_plan_role_arn", "ci_pull_request_role_arn", "github_connection_arn", "state_bucket"]);
  });
});

describe("CI identities", () => {
  const oidc = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
  const json = stack("staging-bootstrap").json;
  const trust = (name: string) => JSON.parse(roleByName(json, name)[1].assume_role_policy).Statement;
  const managed = (name: string) =>
    Object.values(json.resource?.aws_iam_role_policy_attachment ?? {})
      .filter((a: Any) => a.role === `\${aws_iam_role.${roleByName(json, name)[0]}.name}`)
      .map((a: Any) => a.policy_arn);

  test.each([
    ["mlp-staging-ci-pr", "repo:example-org/ml-platform:pull_request", "ReadOnlyAccess"],
    ["mlp-staging-ci-plan", "repo:example-org/ml-platform:ref:refs/heads/main", "ReadOnlyAccess"],
    ["mlp-staging-ci-apply", "repo:example-org/ml-platform:environment:staging", "PowerUserAccess"],
  ])("%s trusts only GitHub OIDC tokens with sub %s and carries %s", (name, sub, policy) => {
    expect(trust(name)).toEqual([
      {
        Sid: "GitHubActionsOidc",
        Effect: "Allow",
        Principal: { Federated: oidc },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": sub } },
      },
    ]);
    expect(managed(name)).toEqual([`arn:aws:iam::aws:policy/${policy}`]);
  });

  test("the OIDC provider belongs to one environment per account (dev and prod create it, staging uses dev's), protected", () => {
    expect(Object.values(resources(stack("dev-bootstrap"), "aws_iam_openid_connect_provider"))).toEqual([
      expect.objectContaining({ url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"], lifecycle: { prevent_destroy: true } }),
    ]);
    expect(Object.keys(resources(stack("prod-bootstrap"), "aws_iam_openid_connect_provider"))).toHaveLength(1);
    expect(resources(stack("staging-bootstrap"), "aws_iam_openid_connect_provider")).toEqual({});
  });

  test("a custom deploy branch changes the plan role's subject", () => {
    const custom = synthBootstrap("staging", brokenStaging((e) => (e.deploy.branch = "release")));
    expect(JSON.parse(roleByName(custom, "mlp-staging-ci-plan")[1].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
      "repo:example-org/ml-platform:ref:refs/heads/release",
    );
  });

  describe("the apply role's IAM (simulated)", () => {
    const applyPolicies = Object.values(json.resource?.aws_iam_role_policy ?? {})
      .filter((p: Any) => p.role === `\${aws_iam_role.${roleByName(json, "mlp-staging-ci-apply")[0]}.id}`)
      .map((p: Any) => JSON.parse(p.policy) as PolicyDoc);
    const role = (name: string) => `arn:aws:iam::111122223333:role/${name}`;
    const boundary = { "iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/mlp-staging-role-boundary" };
    const attach = (name: string, policy: string) =>
      simulate("111122223333", applyPolicies, { action: "iam:AttachRolePolicy", resource: role(name), context: { ...boundary, "iam:PolicyARN": `arn:aws:iam::aws:policy/${policy}` } });

    test("manages the environment's own roles, and only them", async () => {
      // (With the boundary: test/stacks/role-boundary.test.ts shows it is required.)
      expect(await simulate("111122223333", applyPolicies, { action: "iam:CreateRole", resource: role("mlp-staging-mlflow"), context: boundary })).toBe("Allowed");
      expect(await simulate("111122223333", applyPolicies, { action: "iam:PassRole", resource: role("mlp-staging-cluster") })).toBe("Allowed");
      expect(await simulate("111122223333", applyPolicies, { action: "iam:CreateRole", resource: role("mlp-dev-mlflow"), context: boundary })).toBe("ImplicitlyDenied");
      expect(await simulate("111122223333", applyPolicies, { action: "iam:PutRolePolicy", resource: role("OrganizationAccountAccessRole"), context: boundary })).toBe("ImplicitlyDenied");
    });

    test("attaches only the managed policies the stacks use: never AdministratorAccess", async () => {
      expect(await attach("mlp-staging-system-node", "AmazonEKSWorkerNodePolicy")).toBe("Allowed");
      expect(await attach("mlp-staging-system-node", "AdministratorAccess")).toBe("ImplicitlyDenied");
      expect(await attach("mlp-staging-mlflow", "IAMFullAccess")).toBe("ImplicitlyDenied");
    });

    test("cannot change the CI roles (its own trust and permissions), though it can read them to plan", async () => {
      expect(await simulate("111122223333", applyPolicies, { action: "iam:GetRole", resource: role("mlp-staging-ci-apply") })).toBe("Allowed");
      for (const action of ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRole"]) {
        expect([action, await simulate("111122223333", applyPolicies, { action, resource: role("mlp-staging-ci-apply"), context: boundary })]).toEqual([action, "ExplicitlyDenied"]);
      }
      expect(await attach("mlp-staging-ci-pr", "AmazonEKSWorkerNodePolicy")).toBe("ExplicitlyDenied");
    });
  });

  test("the managed policies the apply role may attach are exactly those the stacks attach to their own roles", () => {
    const attached = new Set<string>();
    for (const s of synthesizeAll().stacks) {
      const ciRoleIds = new Set(Object.entries(s.json.resource?.aws_iam_role ?? {}).filter(([, r]) => /-ci-(pr|plan|apply)$/.test((r as Any).name)).map(([id]) => id));
      for (const a of Object.values(s.json.resource?.aws_iam_role_policy_attachment ?? {}) as Any[]) {
        const roleId = /^\$\{aws_iam_role\.([^.]+)\.name\}$/.exec(a.role)?.[1];
        if (!roleId || !ciRoleIds.has(roleId)) attached.add(a.policy_arn.replace("arn:aws:iam::aws:policy/", ""));
      }
    }
    expect([...attached].sort()).toEqual([...ATTACHABLE_MANAGED_POLICIES].sort());
  });
});
