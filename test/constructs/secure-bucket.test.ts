import { serviceTrustPolicy } from "../../constructs/iam/policy";
import { WorkloadRole } from "../../constructs/iam/workload-role";
import { KmsKey } from "../../constructs/security/kms-key";
import { SecureBucket, type SecureBucketProps } from "../../constructs/storage/secure-bucket";
import { ACCOUNT, policyDoc, ref, single, synthConstruct } from "../helpers/construct";

function synthBucket(props: Partial<SecureBucketProps> = {}, withKey = false) {
  return synthConstruct((stack) => {
    const encryptionKey = withKey ? new KmsKey(stack, "data-key", { accountId: ACCOUNT, alias: "data", description: "data" }) : undefined;
    const bucket = new SecureBucket(stack, "artifacts", { bucketName: "mlp-test-artifacts-111122223333", encryptionKey, ...props });
    const role = new WorkloadRole(stack, "app", { roleName: "app", description: "app", assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com") });
    return { bucket, role, encryptionKey };
  });
}

describe("SecureBucket", () => {
  const { json } = synthBucket();
  const [bucketId, bucket] = single(json, "aws_s3_bucket");
  const bucketRef = ref("aws_s3_bucket", bucketId);
  const bucketArn = ref("aws_s3_bucket", bucketId, "arn");

  test("names the bucket, keeps force_destroy off and does not protect it by default", () => {
    expect(bucket).toEqual({ bucket: "mlp-test-artifacts-111122223333", force_destroy: false });
  });

  test("enables versioning", () => {
    expect(single(json, "aws_s3_bucket_versioning")[1]).toEqual({ bucket: bucketRef, versioning_configuration: { status: "Enabled" } });
  });

  test("encrypts with SSE-S3 by default and with the KMS key and a bucket key when given", () => {
    expect(single(json, "aws_s3_bucket_server_side_encryption_configuration")[1].rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    const kms = synthBucket({}, true).json;
    const [keyId] = single(kms, "aws_kms_key");
    expect(single(kms, "aws_s3_bucket_server_side_encryption_configuration")[1].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: ref("aws_kms_key", keyId, "arn") }, bucket_key_enabled: true },
    ]);
  });

  test("blocks every kind of public access", () => {
    expect(single(json, "aws_s3_bucket_public_access_block")[1]).toEqual({
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test("enforces bucket-owner ownership (ACLs disabled)", () => {
    expect(single(json, "aws_s3_bucket_ownership_controls")[1].rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  test("denies every request that does not use TLS", () => {
    expect(policyDoc(single(json, "aws_s3_bucket_policy")[1].policy).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  test("expires noncurrent versions (90 days by default) and aborts stale multipart uploads", () => {
    const rule = (j: typeof json) => single(j, "aws_s3_bucket_lifecycle_configuration")[1].rule;
    expect(rule(json)).toEqual([
      {
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: [{}],
        noncurrent_version_expiration: [{ noncurrent_days: 90 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(rule(synthBucket({ noncurrentVersionExpirationDays: 30 }).json)[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
  });

  test("protect sets prevent_destroy", () => {
    expect(single(synthBucket({ protect: true }).json, "aws_s3_bucket")[1].lifecycle).toEqual({ prevent_destroy: true });
  });

  test("fails when protect and forceDestroy are both set", () => {
    expect(() => synthBucket({ protect: true, forceDestroy: true })).toThrow("bucket mlp-test-artifacts-111122223333: protect and forceDestroy cannot both be set");
  });

  describe("grants", () => {
    const granted = (grant: (b: SecureBucket, r: WorkloadRole) => void, withKey: boolean) => {
      const { json: j, built } = synthConstruct((stack) => {
        const encryptionKey = withKey ? new KmsKey(stack, "data-key", { accountId: ACCOUNT, alias: "data", description: "data" }) : undefined;
        const b = new SecureBucket(stack, "artifacts", { bucketName: "mlp-test-artifacts-111122223333", encryptionKey });
        const role = new WorkloadRole(stack, "app", { roleName: "app", description: "app", assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com") });
        grant(b, role);
        return role;
      });
      const arn = ref("aws_s3_bucket", single(j, "aws_s3_bucket")[0], "arn");
      const keyArn = withKey ? ref("aws_kms_key", single(j, "aws_kms_key")[0], "arn") : undefined;
      return { statements: policyDoc(single(j, "aws_iam_role_policy")[1].policy).Statement, arn, keyArn, role: built };
    };

    test("grantRead with a prefix lists and reads only under that prefix and can decrypt with the bucket's key", () => {
      const { statements, arn, keyArn } = granted((b, r) => b.grantRead(r, "models/"), true);
      expect(statements).toEqual([
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn, Condition: { StringLike: { "s3:prefix": ["models/*", "models"] } } },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${arn}/models/*` },
        { Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: keyArn },
      ]);
    });

    test("grantRead without a key grants no KMS access", () => {
      const { statements, arn } = granted((b, r) => b.grantRead(r), false);
      expect(statements).toEqual([
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${arn}/*` },
      ]);
    });

    test("grantReadWrite with a prefix writes and lists only under that prefix and can use the key", () => {
      const { statements, arn, keyArn } = granted((b, r) => b.grantReadWrite(r, "runs"), true);
      expect(statements).toEqual([
        { Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: arn },
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn, Condition: { StringLike: { "s3:prefix": ["runs/*", "runs"] } } },
        {
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
          Resource: `${arn}/runs/*`,
        },
        { Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Resource: keyArn },
      ]);
    });

    test("grantReadWrite without a prefix covers the whole bucket", () => {
      const { statements, arn } = granted((b, r) => b.grantReadWrite(r), false);
      expect(statements).toEqual([
        { Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: arn },
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn },
        expect.objectContaining({ Resource: `${arn}/*` }),
      ]);
    });

    test("grants go to the policy name the caller asks for", () => {
      const { role } = granted((b, r) => b.grantRead(r, undefined, "artifacts-read"), false);
      expect(role.statements("artifacts-read")).toHaveLength(2);
      expect(role.statements()).toEqual([]);
    });
  });

  test("delivers server access logs under <prefix><bucket>/ when given, and not by default", () => {
    expect(json.resource?.aws_s3_bucket_logging).toBeUndefined();
    const logged = synthBucket({ accessLogs: { bucketName: "mlp-test-access-logs", prefix: "s3-access/" } }).json;
    expect(single(logged, "aws_s3_bucket_logging")[1]).toEqual({ bucket: ref("aws_s3_bucket", single(logged, "aws_s3_bucket")[0]), target_bucket: "mlp-test-access-logs", target_prefix: "s3-access/mlp-test-artifacts-111122223333/" });
  });

  test("expires current objects when asked (log buckets) and renders added policy statements after the TLS deny", () => {
    const { json: j } = synthConstruct((stack) => {
      const b = new SecureBucket(stack, "logs", { bucketName: "mlp-test-logs", expireObjectsAfterDays: 30 });
      b.addToResourcePolicy({ Sid: "Delivery", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: ["s3:PutObject"], Resource: `${b.bucketArn}/*` });
      return { b };
    });
    expect(single(j, "aws_s3_bucket_lifecycle_configuration")[1].rule[0].expiration).toEqual([{ days: 30 }]);
    expect(policyDoc(single(j, "aws_s3_bucket_policy")[1].policy).Statement.map((st) => st.Sid)).toEqual(["DenyInsecureTransport", "Delivery"]);
  });
});
