import { blocks, finding, isTrue, resourcesOf, type AuditTarget } from "./audit-context";
import { manifestLabel, renderedManifests } from "./manifests";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Config = Record<string, any>;

const set = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * Per resource type: what must be set for data at rest to be encrypted, as a problem string or undefined.
 * Types that AWS always encrypts without a setting (FSx, ECR with its AES256 default, Secrets Manager, whose
 * `kms_key_id` only swaps the AWS managed key for a customer managed one) are intentionally absent.
 */
const RULES: Readonly<Record<string, (cfg: Config) => string | undefined>> = {
  aws_launch_template: (cfg) => {
    const bdms = blocks<Config>(cfg.block_device_mappings);
    if (!bdms.length) return "no block_device_mappings: the root volume follows the AMI's mapping, which is unencrypted unless the account encrypts by default";
    const bad = bdms.filter((b) => blocks<Config>(b.ebs).length && !blocks<Config>(b.ebs).every((e) => isTrue(e.encrypted))).map((b) => b.device_name ?? "?");
    return bad.length ? `block device(s) ${bad.join(", ")} without ebs.encrypted = "true"` : undefined;
  },
  aws_ebs_volume: (cfg) => (isTrue(cfg.encrypted) ? undefined : "encrypted is not true"),
  aws_instance: (cfg) => {
    const devices = [...blocks<Config>(cfg.root_block_device), ...blocks<Config>(cfg.ebs_block_device)];
    if (!blocks<Config>(cfg.root_block_device).length) return "no root_block_device with encrypted = true";
    return devices.every((d) => isTrue(d.encrypted)) ? undefined : "a root/ebs block device is not encrypted";
  },
  aws_db_instance: (cfg) => (isTrue(cfg.storage_encrypted) ? undefined : "storage_encrypted is not true"),
  aws_rds_cluster: (cfg) => (isTrue(cfg.storage_encrypted) ? undefined : "storage_encrypted is not true"),
  aws_docdb_cluster: (cfg) => (isTrue(cfg.storage_encrypted) ? undefined : "storage_encrypted is not true"),
  aws_efs_file_system: (cfg) => (isTrue(cfg.encrypted) ? undefined : "encrypted is not true"),
  aws_elasticache_replication_group: (cfg) => (isTrue(cfg.at_rest_encryption_enabled) ? undefined : "at_rest_encryption_enabled is not true"),
  aws_redshift_cluster: (cfg) => (isTrue(cfg.encrypted) ? undefined : "encrypted is not true"),
  aws_eks_cluster: (cfg) => {
    const ec = blocks<Config>(cfg.encryption_config);
    const ok = ec.some((e) => (e.resources ?? []).includes("secrets") && blocks<Config>(e.provider).some((p) => set(p.key_arn)));
    return ok ? undefined : "no encryption_config with resources [secrets] and a provider key_arn";
  },
  aws_sqs_queue: (cfg) => (isTrue(cfg.sqs_managed_sse_enabled) || set(cfg.kms_master_key_id) ? undefined : "neither sqs_managed_sse_enabled = true nor kms_master_key_id"),
  aws_sns_topic: (cfg) => (set(cfg.kms_master_key_id) ? undefined : "no kms_master_key_id"),
  aws_cloudwatch_log_group: (cfg) => (set(cfg.kms_key_id) ? undefined : "no kms_key_id"),
  aws_dynamodb_table: (cfg) => (blocks<Config>(cfg.server_side_encryption).some((s) => isTrue(s.enabled)) ? undefined : "no server_side_encryption { enabled = true }"),
  aws_kinesis_stream: (cfg) => (cfg.encryption_type === "KMS" ? undefined : "encryption_type is not KMS"),
};

/**
 * Encryption-at-rest audit of one stack, for every resource type that supports it (RULES), plus S3 buckets (each
 * needs an aws_s3_bucket_server_side_encryption_configuration pointing at it) and Karpenter EC2NodeClass block
 * devices rendered through Helm (`blockDeviceMappings[*].ebs.encrypted: true`; Karpenter's own default mapping
 * is encrypted, so a class without mappings passes).
 */
export function auditEncryption(target: Pick<AuditTarget, "id" | "json">): string[] {
  const { id, json } = target;
  const out: string[] = [];
  const res = resourcesOf(json);
  const sseTargets = new Set(
    res.filter(([t]) => t === "aws_s3_bucket_server_side_encryption_configuration").map(([, , cfg]) => String(cfg.bucket)),
  );
  for (const [type, name, cfg] of res) {
    const address = `${type}.${name}`;
    const problem = RULES[type]?.(cfg);
    if (problem) out.push(finding(id, address, "encryption", problem));
    if (type === "aws_s3_bucket") {
      const refs = [`\${aws_s3_bucket.${name}.id}`, `\${aws_s3_bucket.${name}.bucket}`, ...(typeof cfg.bucket === "string" ? [cfg.bucket] : [])];
      const inline = blocks<Config>(cfg.server_side_encryption_configuration).length > 0;
      if (!inline && !refs.some((r) => sseTargets.has(r))) {
        out.push(finding(id, address, "encryption", "no aws_s3_bucket_server_side_encryption_configuration references this bucket"));
      }
    }
  }
  for (const m of renderedManifests(target)) {
    if (m.manifest.kind !== "EC2NodeClass") continue;
    const bdms = blocks<Config>(m.manifest.spec?.blockDeviceMappings);
    const bad = bdms.filter((b) => b.ebs?.encrypted !== true).map((b) => b.deviceName ?? "?");
    if (bad.length) out.push(finding(id, `${m.address} ${manifestLabel(m.manifest)}`, "encryption", `blockDeviceMappings ${bad.join(", ")} without ebs.encrypted: true`));
  }
  return out;
}
