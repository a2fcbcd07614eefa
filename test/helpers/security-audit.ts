import { blocks, environmentOfStack, finding, isTrue, resourcesOf, type AuditTarget } from "./audit-context";
import { manifestLabel, renderedManifests } from "./manifests";
import { ACCESS_LOG_EXCEPTIONS, CUSTOMER_KEY_EXCEPTIONS, DATA_EVENT_EXCEPTIONS, type Tier } from "./security-exceptions";
import type { TerraformJson } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Config = Record<string, any>;

/** One stack as the security audit sees it: its JSON and the tier of its environment. */
export interface SecurityTarget extends Pick<AuditTarget, "id" | "json"> {
  readonly tier: Tier;
}

/** A security target for a stack of a project environment (or a `<env>-fixture`), its tier from the environment. */
export function securityTarget(t: Pick<AuditTarget, "id" | "json">): SecurityTarget {
  return { ...t, tier: environmentOfStack(t.id).tier as Tier };
}

const set = (v: unknown) => v !== undefined && v !== null && v !== "";
const list = (v: unknown): string[] => (v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String));

/** Buckets of a stack: `[address, logical name, bucket name, config]`. */
function buckets(json: TerraformJson): Array<[string, string, string, Config]> {
  return resourcesOf(json)
    .filter(([type]) => type === "aws_s3_bucket")
    .map(([type, name, cfg]) => [`${type}.${name}`, name, String(cfg.bucket), cfg]);
}

/** The per-bucket resources (`bucket = aws_s3_bucket.x.id` or the literal name) of a type, for one bucket. */
function forBucket(json: TerraformJson, type: string, logicalName: string, bucketName: string): Config[] {
  const refs = new Set([`\${aws_s3_bucket.${logicalName}.id}`, `\${aws_s3_bucket.${logicalName}.bucket}`, bucketName]);
  return resourcesOf(json).filter(([t, , cfg]) => t === type && refs.has(String(cfg.bucket))).map(([, , cfg]) => cfg);
}

const excepted = (type: string, name: string) => CUSTOMER_KEY_EXCEPTIONS.some((x) => x.type === type && x.name.test(name));

/**
 * Customer managed keys wherever a scanner expects one: S3 default encryption (SSE-KMS with a key), Secrets Manager
 * secrets, launch-template and EC2NodeClass volumes, AMP workspaces, log groups, RDS storage and master secret, EKS
 * secrets, CloudTrail, SQS, DynamoDB, FSx for Lustre; and the state backend writes with a key.
 */
export function auditCustomerKeys(t: SecurityTarget): string[] {
  const out: string[] = [];
  const add = (address: string, detail: string) => out.push(finding(t.id, address, "customer-managed-key", detail));
  for (const [address, name, bucket] of buckets(t.json)) {
    if (excepted("aws_s3_bucket", bucket)) continue;
    const rules = forBucket(t.json, "aws_s3_bucket_server_side_encryption_configuration", name, bucket).flatMap((c) => blocks<Config>(c.rule));
    const kms = rules.flatMap((r) => blocks<Config>(r.apply_server_side_encryption_by_default)).some((d) => d.sse_algorithm === "aws:kms" && set(d.kms_master_key_id));
    if (!kms) add(address, `bucket ${bucket} is not encrypted by default with SSE-KMS and a customer managed key`);
  }
  for (const [type, name, cfg] of resourcesOf(t.json)) {
    const address = `${type}.${name}`;
    const need = (attr: string, what: string) => !set(cfg[attr]) && add(address, `no ${attr}: ${what}`);
    switch (type) {
      case "aws_secretsmanager_secret":
        need("kms_key_id", "the secret uses the AWS managed key aws/secretsmanager");
        break;
      case "aws_prometheus_workspace":
        need("kms_key_arn", "the workspace uses an AWS owned key");
        break;
      case "aws_cloudwatch_log_group":
      case "aws_cloudtrail":
        need("kms_key_id", "logs are encrypted with an AWS owned key only");
        break;
      case "aws_db_instance":
        need("kms_key_id", "storage uses the AWS managed key aws/rds");
        if (isTrue(cfg.manage_master_user_password)) need("master_user_secret_kms_key_id", "the master password secret uses aws/secretsmanager");
        break;
      case "aws_sqs_queue":
        if (!excepted(type, String(cfg.name))) need("kms_master_key_id", "the queue uses SSE-SQS");
        break;
      case "aws_fsx_lustre_file_system":
        need("kms_key_id", "the file system uses the AWS managed key aws/fsx");
        break;
      case "aws_dynamodb_table":
        if (!blocks<Config>(cfg.server_side_encryption).some((s) => isTrue(s.enabled) && set(s.kms_key_arn))) add(address, "no server_side_encryption with a kms_key_arn: the table uses an AWS owned key");
        break;
      case "kubernetes_storage_class_v1":
        // EBS CSI classes: persistent volumes (Prometheus, MySQL) without kmsKeyId use aws/ebs.
        if (cfg.storage_provisioner === "ebs.csi.aws.com" && !set((cfg.parameters as Config | undefined)?.kmsKeyId)) add(address, "EBS StorageClass without parameters.kmsKeyId: its volumes use aws/ebs");
        break;
      case "aws_launch_template": {
        const bad = blocks<Config>(cfg.block_device_mappings).filter((b) => blocks<Config>(b.ebs).some((e) => !set(e.kms_key_id)));
        if (bad.length) add(address, `block device(s) ${bad.map((b) => b.device_name).join(", ")} without ebs.kms_key_id: volumes use aws/ebs`);
        break;
      }
    }
  }
  for (const m of renderedManifests(t)) {
    if (m.manifest.kind !== "EC2NodeClass") continue;
    const bad = blocks<Config>(m.manifest.spec?.blockDeviceMappings).filter((b) => !set(b.ebs?.kmsKeyID));
    if (bad.length) add(`${m.address} ${manifestLabel(m.manifest)}`, `blockDeviceMappings ${bad.map((b) => b.deviceName).join(", ")} without ebs.kmsKeyID: volumes use aws/ebs`);
  }
  const s3 = t.json.terraform?.backend?.s3;
  if (s3 && !(isTrue(s3.encrypt) && set(s3.kms_key_id))) add("terraform.backend.s3", "state is written without kms_key_id: the backend's encrypt alone forces SSE-S3");
  return out;
}

/**
 * Access logging: every bucket delivers S3 server access logs, or its tier's decision is in ACCESS_LOG_EXCEPTIONS;
 * in production every bucket's objects are in a CloudTrail data-event selector of the same stack, or excepted.
 */
export function auditAccessLogging(t: SecurityTarget): string[] {
  const out: string[] = [];
  const trails = resourcesOf(t.json).filter(([type]) => type === "aws_cloudtrail");
  const covered = new Set(
    trails.flatMap(([, , cfg]) =>
      blocks<Config>(cfg.advanced_event_selector).flatMap((sel) => {
        const fields = blocks<Config>(sel.field_selector);
        const data = fields.some((f) => f.field === "eventCategory" && list(f.equals).includes("Data"));
        const objects = fields.some((f) => f.field === "resources.type" && list(f.equals).includes("AWS::S3::Object"));
        return data && objects ? fields.filter((f) => f.field === "resources.ARN").flatMap((f) => list(f.starts_with)) : [];
      }),
    ),
  );
  for (const [address, name, bucket] of buckets(t.json)) {
    const logged = forBucket(t.json, "aws_s3_bucket_logging", name, bucket).some((l) => set(l.target_bucket));
    if (!logged && !ACCESS_LOG_EXCEPTIONS.some((x) => x.name.test(bucket) && x.tiers.includes(t.tier))) {
      out.push(finding(t.id, address, "access-logging", `bucket ${bucket} has no server access logging and no ${t.tier} decision in security-exceptions.ts`));
    }
    if (t.tier !== "production" || DATA_EVENT_EXCEPTIONS.some((x) => x.name.test(bucket))) continue;
    if (!covered.has(`\${aws_s3_bucket.${name}.arn}/`)) out.push(finding(t.id, address, "data-events", `production bucket ${bucket} is in no CloudTrail data-event selector (eventCategory Data, AWS::S3::Object)`));
  }
  return out;
}

/** Buckets block public access and refuse plain HTTP; databases are not public; no security group admits the internet. */
export function auditExposure(t: SecurityTarget): string[] {
  const out: string[] = [];
  const add = (address: string, rule: string, detail: string) => out.push(finding(t.id, address, rule, detail));
  for (const [address, name, bucket] of buckets(t.json)) {
    const pab = forBucket(t.json, "aws_s3_bucket_public_access_block", name, bucket)[0];
    const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    if (!pab || !flags.every((f) => isTrue(pab[f]))) add(address, "public-access-block", `bucket ${bucket} does not block every kind of public access`);
    const policy = forBucket(t.json, "aws_s3_bucket_policy", name, bucket)[0]?.policy;
    const statements: Config[] = typeof policy === "string" && policy.startsWith("{") ? JSON.parse(policy).Statement : [];
    const tlsOnly = statements.some((s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false" && list(s.Action).includes("s3:*"));
    if (!tlsOnly) add(address, "tls-only", `bucket ${bucket} has no policy denying requests without TLS (aws:SecureTransport false)`);
  }
  for (const [type, name, cfg] of resourcesOf(t.json)) {
    const address = `${type}.${name}`;
    if (type === "aws_db_instance" && isTrue(cfg.publicly_accessible)) add(address, "private-database", "publicly_accessible is true");
    if (type === "aws_eks_cluster") {
      const vpc = blocks<Config>(cfg.vpc_config)[0] ?? {};
      if (list(vpc.public_access_cidrs).some((c) => c === "0.0.0.0/0" || c === "::/0") || (isTrue(vpc.endpoint_public_access) && !vpc.public_access_cidrs)) {
        add(address, "private-endpoint", "the API endpoint is open to the internet");
      }
      if (t.tier === "production" && isTrue(vpc.endpoint_public_access)) add(address, "private-endpoint", "production's API endpoint must be private");
    }
    const open = (cidrs: unknown) => list(cidrs).some((c) => c === "0.0.0.0/0" || c === "::/0");
    if (type === "aws_vpc_security_group_ingress_rule" && (open(cfg.cidr_ipv4) || open(cfg.cidr_ipv6))) add(address, "no-open-ingress", "ingress from the whole internet");
    if (type === "aws_security_group_rule" && cfg.type === "ingress" && (open(cfg.cidr_blocks) || open(cfg.ipv6_cidr_blocks))) add(address, "no-open-ingress", "ingress from the whole internet");
    if (type === "aws_security_group" && blocks<Config>(cfg.ingress).some((i) => open(i.cidr_blocks) || open(i.ipv6_cidr_blocks))) add(address, "no-open-ingress", "ingress from the whole internet");
  }
  return out;
}

/** Instance metadata: IMDSv2 only, hop limit 1, in every launch template and EC2NodeClass. */
export function auditInstanceMetadata(t: SecurityTarget): string[] {
  const out: string[] = [];
  for (const [type, name, cfg] of resourcesOf(t.json)) {
    if (type !== "aws_launch_template") continue;
    const md = blocks<Config>(cfg.metadata_options)[0];
    if (!md || md.http_tokens !== "required" || md.http_put_response_hop_limit !== 1) out.push(finding(t.id, `${type}.${name}`, "imdsv2", "needs metadata_options http_tokens = required and http_put_response_hop_limit = 1"));
  }
  for (const m of renderedManifests(t)) {
    if (m.manifest.kind !== "EC2NodeClass") continue;
    const md = m.manifest.spec?.metadataOptions;
    if (md?.httpTokens !== "required" || md?.httpPutResponseHopLimit !== 1) out.push(finding(t.id, `${m.address} ${manifestLabel(m.manifest)}`, "imdsv2", "needs metadataOptions httpTokens required and httpPutResponseHopLimit 1"));
  }
  return out;
}
