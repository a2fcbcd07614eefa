import { ADDON_FOOTPRINTS } from "../../constructs/eks/addon-footprints";
import { auditTargets, EXAMPLE_TARGET_SUFFIX, resourcesOf } from "../helpers/audit-context";
import { doc, fixture, manifestsRelease } from "../helpers/audit-fixtures";
import { auditCniRole, auditSecurityGroupScope } from "../helpers/identity-scope-audit";
import { helmReleases, renderedManifests } from "../helpers/manifests";
import { auditAccessLogging, auditCustomerKeys, auditExposure, auditInstanceMetadata, securityTarget, type SecurityTarget } from "../helpers/security-audit";
import * as exceptions from "../helpers/security-exceptions";
import { auditIngress, auditWorkloads } from "../helpers/workload-audit";
import type { TerraformJson } from "../helpers/synth";

const targets = auditTargets().map(securityTarget);
const RULES = { auditCustomerKeys, auditAccessLogging, auditExposure, auditInstanceMetadata, auditSecurityGroupScope, auditCniRole, auditIngress, auditWorkloads };

/** A hand-made stack of environment `env` (its tier decides tier rules). */
const at = (env: "dev" | "prod", resource: TerraformJson["resource"], extra: Partial<TerraformJson> = {}): SecurityTarget =>
  securityTarget({ ...fixture({ resource }), id: `${env}-fixture`, json: { ...fixture({ resource }).json, ...extra } });

describe("security audit (every stack of every environment)", () => {
  test.each(targets.map((t) => [t.id, t] as const))("%s: keys, logging, exposure, IMDSv2, controller scope, HTTPS and restricted workloads", (_id, target) => {
    expect(Object.values(RULES).flatMap((rule) => rule(target))).toEqual([]);
  });

  test("sees what it audits: prod's Ingresses, the training runtimes and Triton, every bucket and secret", () => {
    // Six in the shipped prod (MLflow, Pipelines and Grafana UIs; MLflow, Pipelines and Feast APIs), one more per model.
    expect(renderedManifests(targets.find((t) => t.id === "prod-ml")!).filter((m) => m.manifest.kind === "Ingress")).toHaveLength(6);
    expect(renderedManifests(targets.find((t) => t.id === `prod-ml${EXAMPLE_TARGET_SUFFIX}`)!).filter((m) => m.manifest.kind === "Ingress")).toHaveLength(7);
    const pods = targets.flatMap((t) => renderedManifests(t)).filter((m) => ["Deployment", "ClusterTrainingRuntime"].includes(m.manifest.kind));
    expect(pods.length).toBeGreaterThanOrEqual(3 * 2);
    const count = (type: string) => targets.flatMap((t) => resourcesOf(t.json)).filter(([ty]) => ty === type).length;
    // Per environment the state bucket, the four ML data buckets and the training bucket, and in production tier the access-log bucket.
    const envs = new Map(targets.map((t) => [t.id.replace(EXAMPLE_TARGET_SUFFIX, "").replace(/-[a-z]+$/, ""), t.tier]));
    expect(count("aws_s3_bucket")).toBe(envs.size * 6 + [...envs.values()].filter((tier) => tier === "production").length);
    expect(count("aws_secretsmanager_secret")).toBeGreaterThanOrEqual(6);
  });
});

describe("every exception names something that exists, with a reason", () => {
  const all = targets.flatMap((t) => resourcesOf(t.json).map(([type, , cfg]) => ({ tier: t.tier, type, cfg })));
  const reasons = Object.values(exceptions).filter(Array.isArray).flat() as Array<{ reason: string }>;

  test("each reason says why in a sentence", () => {
    for (const x of reasons) expect(x.reason.length).toBeGreaterThan(40);
  });

  test("customer-key, access-log and data-event exceptions match resources of the tiers they name", () => {
    for (const x of exceptions.CUSTOMER_KEY_EXCEPTIONS) expect([x.name.source, all.some((r) => r.type === x.type && x.name.test(String(r.cfg.bucket ?? r.cfg.name)))]).toEqual([x.name.source, true]);
    for (const x of exceptions.ACCESS_LOG_EXCEPTIONS) {
      for (const tier of x.tiers) expect([x.name.source, tier, all.some((r) => r.type === "aws_s3_bucket" && r.tier === tier && x.name.test(r.cfg.bucket))]).toEqual([x.name.source, tier, true]);
    }
    for (const x of exceptions.DATA_EVENT_EXCEPTIONS) expect([x.name.source, all.some((r) => r.type === "aws_s3_bucket" && r.tier === "production" && x.name.test(r.cfg.bucket))]).toEqual([x.name.source, true]);
  });

  test("privileged workloads name an installed release or add-on and its workload", () => {
    const releases = new Set(targets.flatMap((t) => helmReleases(t).map((r) => r.name)));
    const addons = new Set(targets.flatMap((t) => resourcesOf(t.json)).filter(([type]) => type === "aws_eks_addon").map(([, , cfg]) => String(cfg.addon_name)));
    for (const x of exceptions.PRIVILEGED_WORKLOAD_EXCEPTIONS) {
      const [kind, name] = x.source.split(" ");
      const exists = kind === "addon" ? addons.has(name) && ADDON_FOOTPRINTS[name].pods.some((p) => p.name === x.workload) : releases.has(name);
      expect([x.source, x.workload, exists]).toEqual([x.source, x.workload, true]);
    }
  });

  test("IAM exceptions match a role and a statement of the stacks", () => {
    const roles = all.filter((r) => r.type === "aws_iam_role").map((r) => String(r.cfg.name));
    for (const x of exceptions.BROAD_MANAGED_POLICY_EXCEPTIONS) expect(roles.some((n) => x.role.test(n))).toBe(true);
    const policies = all.filter((r) => r.type === "aws_iam_role_policy").map((r) => String(r.cfg.policy));
    for (const x of exceptions.UPSTREAM_STAR_RESOURCE_EXCEPTIONS) expect(policies.some((p) => p.includes(`"Sid":"${x.sid}"`))).toBe(true);
    const managed = all.filter((r) => r.type === "aws_iam_policy").map((r) => String(r.cfg.name));
    for (const x of exceptions.PERMISSIONS_BOUNDARY_POLICIES) expect([x.name.source, managed.some((n) => x.name.test(n))]).toEqual([x.name.source, true]);
  });
});

describe("each rule can fail", () => {
  const bucket = (name: string) => ({ aws_s3_bucket: { b: { bucket: name } } });

  test("customer-managed-key: SSE-S3 buckets, secrets, workspaces, volumes, storage classes and node classes without a key, and state written without one", () => {
    const t = at("dev", {
      ...bucket("mlp-dev-data-111122223333"),
      aws_s3_bucket_server_side_encryption_configuration: { b: { bucket: "${aws_s3_bucket.b.id}", rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] } },
      aws_secretsmanager_secret: { s: { name: "mlp-dev/x" } },
      aws_prometheus_workspace: { w: { alias: "x" } },
      aws_launch_template: { lt: { block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "true" } }] } },
      aws_db_instance: { db: { kms_key_id: "k", manage_master_user_password: true } },
      kubernetes_storage_class_v1: { sc: { storage_provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" } } },
      helm_release: { pools: manifestsRelease({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "gpu" }, spec: { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: true } }] } }) },
    }, { terraform: { backend: { s3: { bucket: "b", key: "k", encrypt: true } } } });
    expect(auditCustomerKeys(t)).toEqual([
      "dev-fixture aws_s3_bucket.b: customer-managed-key: bucket mlp-dev-data-111122223333 is not encrypted by default with SSE-KMS and a customer managed key",
      "dev-fixture aws_secretsmanager_secret.s: customer-managed-key: no kms_key_id: the secret uses the AWS managed key aws/secretsmanager",
      "dev-fixture aws_prometheus_workspace.w: customer-managed-key: no kms_key_arn: the workspace uses an AWS owned key",
      "dev-fixture aws_launch_template.lt: customer-managed-key: block device(s) /dev/xvda without ebs.kms_key_id: volumes use aws/ebs",
      "dev-fixture aws_db_instance.db: customer-managed-key: no master_user_secret_kms_key_id: the master password secret uses aws/secretsmanager",
      "dev-fixture kubernetes_storage_class_v1.sc: customer-managed-key: EBS StorageClass without parameters.kmsKeyId: its volumes use aws/ebs",
      "dev-fixture helm_release.pools EC2NodeClass/gpu: customer-managed-key: blockDeviceMappings /dev/xvda without ebs.kmsKeyID: volumes use aws/ebs",
      "dev-fixture terraform.backend.s3: customer-managed-key: state is written without kms_key_id: the backend's encrypt alone forces SSE-S3",
    ]);
    // The excepted log bucket and interruption queue pass with their AWS keys.
    expect(auditCustomerKeys(at("prod", { ...bucket("mlp-prod-access-logs-444455556666"), aws_sqs_queue: { q: { name: "mlp-prod-karpenter-interruption", sqs_managed_sse_enabled: true } } }))).toEqual([]);
  });

  test("access-logging and data-events: a production bucket without logs or a trail, unless its decision is listed", () => {
    expect(auditAccessLogging(at("prod", bucket("mlp-prod-feast-444455556666")))).toEqual([
      "prod-fixture aws_s3_bucket.b: access-logging: bucket mlp-prod-feast-444455556666 has no server access logging and no production decision in security-exceptions.ts",
      "prod-fixture aws_s3_bucket.b: data-events: production bucket mlp-prod-feast-444455556666 is in no CloudTrail data-event selector (eventCategory Data, AWS::S3::Object)",
    ]);
    const logged = at("prod", {
      ...bucket("mlp-prod-feast-444455556666"),
      aws_s3_bucket_logging: { l: { bucket: "${aws_s3_bucket.b.id}", target_bucket: "logs" } },
      aws_cloudtrail: { t: { advanced_event_selector: [{ field_selector: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] }, { field: "resources.ARN", starts_with: ["${aws_s3_bucket.b.arn}/"] }] }] } },
    });
    expect(auditAccessLogging(logged)).toEqual([]);
    // The non-production decision covers the same bucket in dev.
    expect(auditAccessLogging(at("dev", bucket("mlp-dev-feast-111122223333")))).toEqual([]);
  });

  test("exposure: public buckets, HTTP allowed, public databases and endpoints, ingress from the internet", () => {
    const t = at("prod", {
      ...bucket("mlp-prod-x-444455556666"),
      aws_s3_bucket_public_access_block: { p: { bucket: "${aws_s3_bucket.b.id}", block_public_acls: true, block_public_policy: false, ignore_public_acls: true, restrict_public_buckets: true } },
      aws_db_instance: { db: { publicly_accessible: true } },
      aws_eks_cluster: { c: { vpc_config: { endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] } } },
      aws_vpc_security_group_ingress_rule: { r: { cidr_ipv4: "0.0.0.0/0", from_port: 22 } },
    });
    expect(auditExposure(t)).toEqual([
      "prod-fixture aws_s3_bucket.b: public-access-block: bucket mlp-prod-x-444455556666 does not block every kind of public access",
      "prod-fixture aws_s3_bucket.b: tls-only: bucket mlp-prod-x-444455556666 has no policy denying requests without TLS (aws:SecureTransport false)",
      "prod-fixture aws_db_instance.db: private-database: publicly_accessible is true",
      "prod-fixture aws_eks_cluster.c: private-endpoint: production's API endpoint must be private",
      "prod-fixture aws_vpc_security_group_ingress_rule.r: no-open-ingress: ingress from the whole internet",
    ]);
  });

  test("imdsv2: a launch template or node class that allows IMDSv1 or a second hop", () => {
    const t = at("dev", {
      aws_launch_template: { lt: { metadata_options: { http_tokens: "optional", http_put_response_hop_limit: 1 } } },
      helm_release: { pools: manifestsRelease({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "gpu" }, spec: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } } }) },
    });
    expect(auditInstanceMetadata(t)).toEqual([
      "dev-fixture aws_launch_template.lt: imdsv2: needs metadata_options http_tokens = required and http_put_response_hop_limit = 1",
      "dev-fixture helm_release.pools EC2NodeClass/gpu: imdsv2: needs metadataOptions httpTokens required and httpPutResponseHopLimit 1",
    ]);
  });

  test("owned-security-groups: ingress changes on every security group (upstream's statement), but not under a tag condition", () => {
    const policy = doc(
      { Sid: "SecurityGroupIngress", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], Resource: "*" },
      { Sid: "Owned", Effect: "Allow", Action: ["ec2:DeleteSecurityGroup"], Resource: "arn:aws:ec2:us-east-1:111122223333:security-group/*", Condition: { StringEquals: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "mlp-dev" } } },
      { Sid: "Rules", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress"], Resource: "arn:aws:ec2:us-east-1:111122223333:security-group-rule/*" },
    );
    expect(auditSecurityGroupScope(at("dev", { aws_iam_role_policy: { lbc: { role: "r", policy } } }))).toEqual([
      "dev-fixture aws_iam_role_policy.lbc.policy Statement[0] (SecurityGroupIngress): owned-security-groups: ec2:AuthorizeSecurityGroupIngress, ec2:RevokeSecurityGroupIngress on security groups without a resource-tag condition: any group in the account",
    ]);
  });

  test("cni-role: the CNI policy on a node role, and a vpc-cni add-on without its Pod Identity association", () => {
    const t = at("dev", {
      aws_iam_role: { node: { name: "node", assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) } },
      aws_iam_role_policy_attachment: { cni: { role: "${aws_iam_role.node.name}", policy_arn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" } },
      aws_eks_addon: { cni: { addon_name: "vpc-cni", cluster_name: "c" } },
    });
    expect(auditCniRole(t)).toEqual([
      "dev-fixture aws_iam_role_policy_attachment.cni: cni-role: AmazonEKS_CNI_Policy belongs on the Pod Identity role of kube-system/aws-node only, not on a node role",
      "dev-fixture aws_eks_addon.cni: cni-role: vpc-cni has no pod_identity_association for aws-node: it would use the node role",
    ]);
  });

  test("https-only and guarded-route: a plain-HTTP Ingress, an old TLS policy, an unguarded API and a condition open to the internet", () => {
    const ingress = (name: string, annotations: Record<string, string>) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name, namespace: "ml", annotations },
      spec: { rules: [{ host: "h", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "svc", port: { number: 80 } } } }] } }] },
    });
    const tls = { "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]', "alb.ingress.kubernetes.io/certificate-arn": "arn", "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06" };
    const t = at("dev", {
      helm_release: {
        ing: manifestsRelease(
          ingress("plain", {}),
          ingress("old-tls", { ...tls, "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-2016-08", "alb.ingress.kubernetes.io/auth-type": "oidc" }),
          ingress("open", { ...tls, "alb.ingress.kubernetes.io/conditions.svc": '[{"field":"source-ip","sourceIpConfig":{"values":["0.0.0.0/0"]}}]' }),
          ingress("ok", { ...tls, "alb.ingress.kubernetes.io/conditions.svc": '[{"field":"source-ip","sourceIpConfig":{"values":["10.0.0.0/16"]}}]' }),
        ),
      },
    });
    expect(auditIngress(t)).toEqual([
      "dev-fixture helm_release.ing Ingress/ml/plain: https-only: no HTTPS listener",
      "dev-fixture helm_release.ing Ingress/ml/plain: https-only: an HTTP listener that serves instead of redirecting (no ssl-redirect)",
      "dev-fixture helm_release.ing Ingress/ml/plain: https-only: no certificate-arn",
      'dev-fixture helm_release.ing Ingress/ml/plain: https-only: ssl-policy "(controller default)" allows TLS below 1.2',
      "dev-fixture helm_release.ing Ingress/ml/plain: guarded-route: Service svc is reachable without a login or a source-ip condition limited to known networks",
      'dev-fixture helm_release.ing Ingress/ml/old-tls: https-only: ssl-policy "ELBSecurityPolicy-2016-08" allows TLS below 1.2',
      "dev-fixture helm_release.ing Ingress/ml/open: guarded-route: Service svc is reachable without a login or a source-ip condition limited to known networks",
    ]);
  });

  test("restricted-workload: a root, privileged, escalating container with capabilities and host networking", () => {
    const pod = { hostNetwork: true, containers: [{ name: "app", securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } } }] };
    const t = at("dev", { helm_release: { app: manifestsRelease({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "app", namespace: "ml" }, spec: { template: { spec: pod } } }) } });
    expect(auditWorkloads(t)).toEqual(
      [
        "hostNetwork",
        "container app: may run as root (runAsNonRoot)",
        "container app: no RuntimeDefault seccomp profile",
        "container app: allowPrivilegeEscalation is not false",
        "container app: privileged",
        "container app: capabilities not dropped (drop ALL)",
        "container app: adds capabilities SYS_ADMIN",
      ].map((p) => `dev-fixture helm_release.app Deployment/ml/app: restricted-workload: ${p}`),
    );
    const runtime = { apiVersion: "trainer.kubeflow.org/v1alpha1", kind: "ClusterTrainingRuntime", metadata: { name: "r" }, spec: { template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec: { containers: [{ name: "node" }] } } } } }] } } } };
    expect(auditWorkloads(at("dev", { helm_release: { rt: manifestsRelease(runtime) } }))).toHaveLength(4);
  });
});
