import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { policyJson, type IGrantable, type PolicyStatement } from "../iam/policy";
import type { KmsKey } from "../security/kms-key";

export interface SecureBucketProps {
  readonly bucketName: string;
  /**
   * Encrypt with this customer managed key (SSE-KMS with a bucket key); grants then include the key.
   * @default - SSE-S3 (AES256)
   */
  readonly encryptionKey?: KmsKey;
  /** Expire noncurrent object versions after this many days. @default 90 */
  readonly noncurrentVersionExpirationDays?: number;
  /** prevent_destroy on the bucket. @default false */
  readonly protect?: boolean;
  /** Let `terraform destroy` empty the bucket (never set in production). @default false */
  readonly forceDestroy?: boolean;
  /**
   * Deliver S3 server access logs to this bucket, under `<prefix><bucket name>/`.
   * @default - none: whoever leaves it out states why in test/helpers/security-exceptions.ts
   */
  readonly accessLogs?: { readonly bucketName: string; readonly prefix: string };
  /** Expire current objects after this many days (log buckets). @default - never */
  readonly expireObjectsAfterDays?: number;
}

/**
 * An S3 bucket with versioning, encryption, a public access block, BucketOwnerEnforced ownership and
 * a TLS-only bucket policy. Access is granted through its grant methods, which include the KMS key.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly bucketName: string;
  readonly bucketArn: string;
  private readonly encryptionKey?: KmsKey;
  private readonly policyStatements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    if (props.protect && props.forceDestroy) throw new Error(`bucket ${props.bucketName}: protect and forceDestroy cannot both be set`);
    this.encryptionKey = props.encryptionKey;
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: props.protect ? { preventDestroy: true } : undefined,
    });
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    new S3BucketVersioningA(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        props.encryptionKey
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.encryptionKey.keyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          ...(props.expireObjectsAfterDays ? { expiration: [{ days: props.expireObjectsAfterDays }] } : {}),
        },
      ],
    });
    this.policyStatements.push({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    // One policy per bucket: statements added later (log delivery) render into the same document.
    new S3BucketPolicy(this, "policy", { bucket: this.bucket.id, policy: Lazy.stringValue({ produce: () => policyJson(this.policyStatements) }) });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, "access-logs", { bucket: this.bucket.id, targetBucket: props.accessLogs.bucketName, targetPrefix: `${props.accessLogs.prefix}${props.bucketName}/` });
    }
  }

  /** Adds a statement to the bucket policy (for services that deliver into the bucket). */
  addToResourcePolicy(statement: PolicyStatement): void {
    this.policyStatements.push(statement);
  }

  private objects(prefix?: string): string {
    return `${this.bucketArn}/${prefix ? `${prefix.replace(/\/+$/, "")}/` : ""}*`;
  }

  /** ListBucket, limited by `s3:prefix` to one prefix when given. */
  private listStatement(prefix?: string): PolicyStatement {
    const p = prefix?.replace(/\/+$/, "");
    return { Effect: "Allow", Action: ["s3:ListBucket"], Resource: this.bucketArn, ...(p ? { Condition: { StringLike: { "s3:prefix": [`${p}/*`, p] } } } : {}) };
  }

  /** Read objects (optionally under one prefix) and list the bucket (limited to that prefix). */
  grantRead(grantee: IGrantable, prefix?: string, policyName?: string): void {
    grantee.addToPolicy(this.listStatement(prefix), policyName);
    grantee.addToPolicy({ Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: this.objects(prefix) }, policyName);
    this.encryptionKey?.grantDecrypt(grantee, policyName);
  }

  /** Read, write and delete objects (optionally under one prefix) and list the bucket (limited to that prefix). */
  grantReadWrite(grantee: IGrantable, prefix?: string, policyName?: string): void {
    // GetBucketLocation carries no s3:prefix, so it cannot share the prefix-conditioned list statement.
    grantee.addToPolicy({ Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: this.bucketArn }, policyName);
    grantee.addToPolicy(this.listStatement(prefix), policyName);
    grantee.addToPolicy(
      {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: this.objects(prefix),
      },
      policyName,
    );
    this.encryptionKey?.grantEncryptDecrypt(grantee, policyName);
  }
}
