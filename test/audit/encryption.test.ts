import { auditTargets } from "../helpers/audit-context";
import { fixture, manifestsRelease } from "../helpers/audit-fixtures";
import { auditEncryption } from "../helpers/encryption-audit";

const targets = auditTargets();

describe("encryption audit (every stack of every environment)", () => {
  test.each(targets.map((t) => [t.id, t] as const))("%s: data at rest is encrypted wherever the resource supports it", (_id, target) => {
    expect(auditEncryption(target)).toEqual([]);
  });
});

describe("encryption audit can fail", () => {
  test("fails an S3 bucket without a server-side encryption configuration pointing at it", () => {
    const t = fixture({
      resource: {
        aws_s3_bucket: { plain: { bucket: "mlp-dev-plain" }, encrypted: { bucket: "mlp-dev-encrypted" }, byName: { bucket: "mlp-dev-by-name" } },
        aws_s3_bucket_server_side_encryption_configuration: {
          encrypted: { bucket: "${aws_s3_bucket.encrypted.id}", rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] },
          byName: { bucket: "mlp-dev-by-name", rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] },
          other: { bucket: "${aws_s3_bucket.elsewhere.id}", rule: [] },
        },
      },
    });
    expect(auditEncryption(t)).toEqual(["dev-fixture aws_s3_bucket.plain: encryption: no aws_s3_bucket_server_side_encryption_configuration references this bucket"]);
  });

  test("fails launch templates with an unencrypted or no block device", () => {
    const t = fixture({
      resource: {
        aws_launch_template: {
          clear: { block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "true" } }, { device_name: "/dev/xvdb", ebs: { encrypted: "false" } }] },
          ami: { name: "ami-default" },
        },
      },
    });
    expect(auditEncryption(t)).toEqual([
      'dev-fixture aws_launch_template.clear: encryption: block device(s) /dev/xvdb without ebs.encrypted = "true"',
      "dev-fixture aws_launch_template.ami: encryption: no block_device_mappings: the root volume follows the AMI's mapping, which is unencrypted unless the account encrypts by default",
    ]);
  });

  test("fails unencrypted volumes, databases, queues, log groups and tables, and a cluster without secrets encryption", () => {
    const t = fixture({
      resource: {
        aws_ebs_volume: { v: { size: 10 } },
        aws_db_instance: { db: { engine: "postgres", manage_master_user_password: true } },
        aws_rds_cluster: { aurora: { engine: "aurora-postgresql", storage_encrypted: false } },
        aws_eks_cluster: { c: { name: "c", encryption_config: { resources: ["configmaps"], provider: { key_arn: "${aws_kms_key.k.arn}" } } } },
        aws_sqs_queue: { q: { name: "q", sqs_managed_sse_enabled: false }, ok: { name: "ok", sqs_managed_sse_enabled: true } },
        aws_cloudwatch_log_group: { lg: { name: "/x" } },
        aws_dynamodb_table: { t: { name: "t", hash_key: "id" } },
      },
    });
    expect(auditEncryption(t)).toEqual([
      "dev-fixture aws_ebs_volume.v: encryption: encrypted is not true",
      "dev-fixture aws_db_instance.db: encryption: storage_encrypted is not true",
      "dev-fixture aws_rds_cluster.aurora: encryption: storage_encrypted is not true",
      "dev-fixture aws_eks_cluster.c: encryption: no encryption_config with resources [secrets] and a provider key_arn",
      "dev-fixture aws_sqs_queue.q: encryption: neither sqs_managed_sse_enabled = true nor kms_master_key_id",
      "dev-fixture aws_cloudwatch_log_group.lg: encryption: no kms_key_id",
      "dev-fixture aws_dynamodb_table.t: encryption: no server_side_encryption { enabled = true }",
    ]);
  });

  test("fails a Karpenter EC2NodeClass with an unencrypted block device; a class without mappings uses Karpenter's encrypted default", () => {
    const nodeClass = (spec: Record<string, unknown>, name: string) => ({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name }, spec });
    const t = fixture({
      resource: {
        helm_release: {
          capacity: manifestsRelease(
            nodeClass({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi", encrypted: false } }, { deviceName: "/dev/xvdb", ebs: { volumeSize: "100Gi" } }] }, "gpu"),
            nodeClass({}, "default"),
          ),
        },
      },
    });
    expect(auditEncryption(t)).toEqual(["dev-fixture helm_release.capacity EC2NodeClass/gpu: encryption: blockDeviceMappings /dev/xvda, /dev/xvdb without ebs.encrypted: true"]);
  });
});
