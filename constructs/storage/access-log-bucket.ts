import { Construct } from "constructs";
import { SecureBucket } from "./secure-bucket";

/** Key prefixes in the log bucket: S3 server access logs per source bucket, CloudTrail's `AWSLogs/<account>/...`. */
export const ACCESS_LOG_PREFIX = "s3-access/";
export const CLOUDTRAIL_PREFIX = "cloudtrail";

export interface AccessLogBucketProps {
  readonly bucketName: string;
  readonly accountId: string;
  readonly region: string;
  /** Name patterns (`arn:aws:s3:::<pattern>`) of the buckets that may deliver server access logs here. */
  readonly sourceBucketPatterns: readonly string[];
  /** Names of the CloudTrail trails of this account and region that may write here. */
  readonly trailNames: readonly string[];
  /** Days logs are kept. */
  readonly retentionDays: number;
  /** @default false */
  readonly protect?: boolean;
}

/**
 * The environment's log bucket: S3 server access logs of its buckets under `s3-access/<bucket>/` and CloudTrail data
 * events under `cloudtrail/`. Encrypted with SSE-S3, the destination encryption S3 server access logging documents
 * (CloudTrail encrypts its own files with a customer managed key); delivery is granted by bucket policy to the two
 * service principals, only for this account and the named sources, since BucketOwnerEnforced disables the log-delivery
 * ACL. Its own access is not logged: logging a log bucket into itself loops.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 */
export class AccessLogBucket extends Construct {
  readonly bucket: SecureBucket;
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      noncurrentVersionExpirationDays: 7,
      expireObjectsAfterDays: props.retentionDays,
      protect: props.protect,
      forceDestroy: !props.protect,
    });
    this.bucketName = this.bucket.bucketName;
    const arn = this.bucket.bucketArn;
    this.bucket.addToResourcePolicy({
      Sid: "S3ServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: ["s3:PutObject"],
      Resource: `${arn}/${ACCESS_LOG_PREFIX}*`,
      Condition: { ArnLike: { "aws:SourceArn": props.sourceBucketPatterns.map((p) => `arn:aws:s3:::${p}`) }, StringEquals: { "aws:SourceAccount": props.accountId } },
    });
    if (props.trailNames.length === 0) return;
    const trails = props.trailNames.map((n) => `arn:aws:cloudtrail:${props.region}:${props.accountId}:trail/${n}`);
    this.bucket.addToResourcePolicy({ Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: ["s3:GetBucketAcl"], Resource: arn, Condition: { StringEquals: { "aws:SourceArn": trails } } });
    this.bucket.addToResourcePolicy({
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: ["s3:PutObject"],
      Resource: `${arn}/${CLOUDTRAIL_PREFIX}/AWSLogs/${props.accountId}/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trails } },
    });
  }
}
