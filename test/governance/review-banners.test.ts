// One realistic change per banner of `npm run review`, on the project's own synthesized stacks, and the change
// next to it that must not raise the banner.
import type { Banner, Review } from "../../scripts/lib/plan-diff";
import { edited, editValues, manifestNamed, projectStacks, renameConstruct, resourceAt, review } from "../helpers/review-scenarios";

const banners = (r: Review, kind: Banner["kind"]) => r.banners.filter((b) => b.kind === kind);
const stackOf = (r: Review, id: string) => r.stacks.find((s) => s.stack === id)!;

describe("review banners: what could break", () => {
  const stacks = projectStacks();

  test("an RDS db_name change is a replacement with data loss in dev (no final snapshot) and a failing plan in prod (prevent_destroy)", () => {
    let head = edited(stacks, "dev-foundation", (s) => (resourceAt(s, "aws_db_instance", "mlflow-db/instance")[1].db_name = "tracking"));
    head = edited(head, "prod-foundation", (s) => (resourceAt(s, "aws_db_instance", "mlflow-db/instance")[1].db_name = "tracking"));
    const r = review(head);
    const [loss] = banners(r, "data-loss");
    expect(loss).toMatchObject({ severity: "critical", stack: "dev-foundation" });
    expect(loss.message).toContain("`ml-data/mlflow-db/instance` (aws_db_instance `mlp-dev-mlflow`) is REPLACED");
    expect(loss.message).toContain("db_name forces replacement");
    expect(loss.message).toContain("skip_final_snapshot: no final snapshot, the data is gone");
    expect(banners(r, "plan-fails")).toEqual([expect.objectContaining({ severity: "critical", stack: "prod-foundation", message: expect.stringContaining("has lifecycle.prevent_destroy and this change replaces it") })]);
    expect(stackOf(r, "dev-foundation").resources[0].attributes).toEqual([{ path: "db_name", from: "mlflow", to: "tracking", note: "forces replacement" }]);
    expect(stackOf(r, "dev-foundation").counts).toEqual({ add: 0, change: 0, replace: 1, destroy: 0 });
  });

  test("moving the database to another subnet group is an in-place update: no banner", () => {
    const head = edited(stacks, "dev-foundation", (s) => (resourceAt(s, "aws_db_instance", "mlflow-db/instance")[1].db_subnet_group_name = "mlp-dev-other"));
    const r = review(head);
    expect(r.banners).toEqual([]);
    expect(stackOf(r, "dev-foundation").resources[0]).toMatchObject({ action: "update", attributes: [expect.objectContaining({ path: "db_subnet_group_name", to: "mlp-dev-other" })] });
  });

  test("renaming a data bucket's construct destroys the bucket: prevent_destroy does not apply to the removed block", () => {
    const head = edited(stacks, "prod-foundation", (s) => renameConstruct(s, "ml-data/mlflow-artifacts", "ml-data/mlflow-artifact-store"));
    const r = review(head);
    const [loss] = banners(r, "data-loss");
    expect(loss.message).toMatch(/^`ml-data\/mlflow-artifact-store\/bucket` \(aws_s3_bucket `mlp-prod-[^`]+`\) is REPLACED/);
    expect(loss.message).toContain("construct renamed from `ml-data/mlflow-artifacts/bucket` (aws_s3_bucket.ml-data_mlflow-artifacts_bucket_");
    expect(loss.message).toContain("prevent_destroy does NOT apply");
    expect(loss.message).toContain("force_destroy off: the delete fails while the bucket holds any object version");
    // The bucket's policy, versioning, encryption... follow it as renamed, not as unrelated adds and removes.
    // (The data-events trail, which names the bucket, changes in place.)
    expect(stackOf(r, "prod-foundation").counts).toEqual({ add: 0, change: 1, replace: 8, destroy: 0 });
    expect(banners(r, "plan-fails")).toEqual([]);
  });

  test("granting MLflow s3:PutBucketPolicy on * widens IAM; a scoped read on its own bucket does not", () => {
    const grant = (statement: object) =>
      edited(stacks, "dev-ml", (s) => {
        const [, p] = resourceAt(s, "aws_iam_role_policy", "mlflow/role/policy-mlflow-artifacts");
        const doc = JSON.parse(p.policy);
        doc.Statement.push(statement);
        p.policy = JSON.stringify(doc);
      });
    const wide = review(grant({ Sid: "Wide", Effect: "Allow", Action: ["s3:PutBucketPolicy"], Resource: "*" }));
    expect(banners(wide, "iam-widened")).toEqual([
      expect.objectContaining({ severity: "critical", subject: "mlp-dev-mlflow", message: expect.stringMatching(/`s3:PutBucketPolicy` on `\*`.*permissions-management action/) }),
    ]);
    expect(stackOf(wide, "dev-ml").iam).toEqual([{ role: "mlp-dev-mlflow", granted: ["Allow s3:PutBucketPolicy on *"], revoked: [] }]);
    const scoped = review(grant({ Sid: "Read", Effect: "Allow", Action: ["s3:GetObjectTagging"], Resource: "${data.terraform_remote_state.cross-stack-reference-input-dev-foundation.outputs.cross-stack-output-aws_s3_bucketml-data_mlflow-artifacts_bucket_D526B23Darn}/*" }));
    expect(banners(scoped, "iam-widened")).toEqual([]);
    // Cross-stack references read as the producer's construct path.
    expect(stackOf(scoped, "dev-ml").iam[0].granted).toEqual(["Allow s3:GetObjectTagging on ‹dev-foundation:ml-data/mlflow-artifacts/bucket.arn›/*"]);
  });

  test("attaching AdministratorAccess to the Karpenter node role is a critical IAM banner", () => {
    const head = edited(stacks, "dev-platform", (s) => {
      const [id, cfg] = resourceAt(s, "aws_iam_role_policy_attachment", "node-role/role/managed-AmazonSSMManagedInstanceCore");
      s.resource.aws_iam_role_policy_attachment[id.replace("AmazonSSMManagedInstanceCore", "AdministratorAccess")] = { ...cfg, policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" };
    });
    const r = review(head);
    expect(banners(r, "iam-widened")).toEqual([expect.objectContaining({ severity: "critical", message: "role `mlp-dev-karpenter-node` gets managed policy `arn:aws:iam::aws:policy/AdministratorAccess`" })]);
  });

  test("a public API endpoint and a 0.0.0.0/0 ingress are security banners; ingress from a security group is not open to the internet", () => {
    let head = edited(stacks, "dev-foundation", (s) => {
      const [, cluster] = resourceAt(s, "aws_eks_cluster", "eks/cluster");
      cluster.vpc_config = { ...cluster.vpc_config, endpoint_public_access: true, public_access_cidrs: ["198.51.100.0/24"] };
      const [id, rule] = resourceAt(s, "aws_vpc_security_group_ingress_rule", "runner/api-from-runner");
      s.resource.aws_vpc_security_group_ingress_rule[`${id}-world`] = { ...rule, cidr_ipv4: "0.0.0.0/0", referenced_security_group_id: undefined };
    });
    head = edited(head, "staging-foundation", (s) => {
      const [id, rule] = resourceAt(s, "aws_vpc_security_group_ingress_rule", "runner/api-from-runner");
      s.resource.aws_vpc_security_group_ingress_rule[`${id}-copy`] = { ...rule, from_port: 8443, to_port: 8443 };
    });
    const r = review(head);
    const security = banners(r, "security");
    expect(security).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: "critical", stack: "dev-foundation", message: expect.stringMatching(/^open to the internet: ingress tcp 443 from 0\.0\.0\.0\/0 into ‹eks\/control-plane-sg\.id›$/) }),
        expect.objectContaining({ severity: "warning", stack: "dev-foundation", message: "EKS API endpoint is public, reachable from 198.51.100.0/24" }),
        expect.objectContaining({ severity: "warning", stack: "staging-foundation", message: "ingress tcp 8443 from ‹runner/security-group.id› into ‹eks/control-plane-sg.id›" }),
      ]),
    );
    expect(security).toHaveLength(3);
  });

  test("a budget breach is a banner (critical in production tier), and the comment is still written", () => {
    const cost = [
      { environment: "prod", fromPer30Days: 600_000, toPer30Days: 700_000, budgetPer30Days: 650_000, tier: "production" },
      { environment: "dev", fromPer30Days: 7_000, toPer30Days: 7_500, budgetPer30Days: 8_000, tier: "development" },
    ];
    const r = review(stacks, { cost });
    expect(banners(r, "budget")).toEqual([expect.objectContaining({ severity: "critical", environment: "prod", message: expect.stringContaining("production tier: `npm run synth` fails") })]);
  });

  test("a chart major bump is flagged; a minor bump is not", () => {
    const bump = (to: string) => edited(stacks, "dev-platform", (s) => (Object.values<{ name: string; version: string }>(s.resource.helm_release).find((x) => x.name === "kube-prometheus-stack")!.version = to));
    expect(banners(review(bump("89.0.0")), "chart-major")).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringContaining("chart `kube-prometheus-stack` 88.5.3 → 89.0.0 (major version)") })]);
    expect(banners(review(bump("88.6.0")), "chart-major")).toEqual([]);
  });

  test("a NodePool template change rolls that pool; an EC2NodeClass AMI change rolls every pool on it (training included); limits alone roll nothing", () => {
    const family = edited(stacks, "dev-platform", (s) => editValues(s, "karpenter-node-pools", (v) => (manifestNamed(v, "NodePool", "gpu-inference").spec.template.spec.requirements.find((r: { key: string }) => r.key === "karpenter.k8s.aws/instance-family").values = ["g6", "g6e", "g5"])));
    const r = review(family);
    expect(banners(r, "node-roll")).toEqual([expect.objectContaining({ severity: "warning", subject: "gpu-inference", message: expect.stringContaining("spec.template.spec.requirements[key=karpenter.k8s.aws/instance-family].values: + g6e") })]);
    expect(stackOf(r, "dev-platform").objects).toEqual([expect.objectContaining({ kind: "NodePool", name: "gpu-inference", action: "update" })]);

    const ami = edited(stacks, "prod-platform", (s) =>
      editValues(s, "karpenter-node-pools", (v) => {
        const terms = manifestNamed(v, "EC2NodeClass", "gpu-training").spec.amiSelectorTerms;
        expect(terms).toEqual([{ alias: "al2023@v20260818" }]);
        terms[0].alias = "al2023@v20260901";
      }),
    );
    expect(banners(review(ami), "node-roll")).toEqual([
      expect.objectContaining({ severity: "critical", subject: "gpu-training", message: expect.stringContaining("its EC2NodeClass gpu-training changed (spec.amiSelectorTerms: + {\"alias\":\"al2023@v20260901\"}, − {\"alias\":\"al2023@v20260818\"})") }),
    ]);

    const limits = edited(stacks, "dev-platform", (s) => editValues(s, "karpenter-node-pools", (v) => (manifestNamed(v, "NodePool", "gpu-inference").spec.limits["nvidia.com/gpu"] = 8)));
    const l = review(limits);
    expect(banners(l, "node-roll")).toEqual([]);
    expect(stackOf(l, "dev-platform").nodePools).toEqual([{ nodePool: "gpu-inference", limits: { from: { cpu: 64, "nvidia.com/gpu": 4 }, to: { cpu: 64, "nvidia.com/gpu": 8 } } }]);
  });

  test("an unclassified change to a stateful resource says 'may replace: confirm in plan', never a silent update", () => {
    const head = edited(stacks, "staging-platform", (s) => (resourceAt(s, "aws_prometheus_workspace", "amp/workspace")[1].alias = ""));
    const r = review(head);
    expect(banners(r, "may-replace")).toEqual([
      expect.objectContaining({ severity: "warning", message: expect.stringMatching(/^may replace: confirm in plan\. `observability\/amp\/workspace` \(aws_prometheus_workspace.*alias may force replacement: the provider replaces on some changes of alias/) }),
    ]);
    expect(stackOf(r, "staging-platform").resources.find((x) => x.type === "aws_prometheus_workspace")!.action).toBe("may-replace");
  });

  test("replacement spreads through references: a new VPC replaces the security groups in it, and what names them is updated", () => {
    const head = edited(stacks, "dev-foundation", (s) => (resourceAt(s, "aws_vpc", "network/vpc")[1].cidr_block = "10.21.0.0/16"));
    const f = stackOf(review(head), "dev-foundation");
    const sg = f.resources.filter((x) => x.type === "aws_security_group");
    expect(sg.length).toBeGreaterThanOrEqual(1);
    for (const x of sg) expect([x.name, x.action, x.reasons]).toEqual([x.name, "replace", expect.arrayContaining([expect.stringMatching(/^vpc_id refers to aws_vpc\.network_vpc_[0-9A-F]{8}\.id, which is replaced \(unknown until apply\)$/)])]);
    // The database follows its security group: its vpc_security_group_ids change in place, shown as unknown until apply.
    const db = f.resources.find((x) => x.type === "aws_db_instance")!;
    expect(db.attributes).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^vpc_security_group_ids/), to: "(known after apply)" })]));
  });
});

describe("changes shown the way a reviewer reads them", () => {
  const stacks = projectStacks();

  test("secrets are masked, names of secrets are not", () => {
    const head = edited(stacks, "prod-platform", (s) => {
      const [, version] = resourceAt(s, "aws_secretsmanager_secret_version", "grafana-admin/version");
      version.secret_string_wo = version.secret_string_wo.replace('"admin-user" = "admin"', '"admin-user" = "root"');
      editValues(s, "kube-prometheus-stack", (v) => {
        expect(v.grafana.admin.passwordKey).toBe("admin-password");
        v.grafana.admin.passwordKey = "grafana-password";
        v.grafana.adminPassword = "hunter2";
      });
    });
    const s = review(head).stacks.find((x) => x.stack === "prod-platform")!;
    expect(s.resources.find((r) => r.type === "aws_secretsmanager_secret_version")!.attributes).toEqual([{ path: "secret_string_wo", from: "(sensitive)", to: "(sensitive, changed)" }]);
    expect(s.helm).toEqual([
      {
        release: "kube-prometheus-stack",
        namespace: "monitoring",
        values: [
          { path: "grafana.admin.passwordKey", from: "admin-password", to: "grafana-password" },
          { path: "grafana.adminPassword", to: "(sensitive, changed)" },
        ],
      },
    ]);
    expect(JSON.stringify(s)).not.toContain("hunter2");
  });
});
