import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { Construct } from "constructs";
import type { PolicyStatement } from "../iam/policy";
import { CLOUDTRAIL_PREFIX } from "../storage/access-log-bucket";

/** The trail's ARN, known before it exists: the log bucket's and the key's policies name it. */
export function trailArn(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudtrail:${region}:${accountId}:trail/${name}`;
}

/**
 * Key-policy statements that let CloudTrail encrypt one trail's log files with a key: GenerateDataKey* only for that
 * trail (its encryption context and source), and DescribeKey.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 */
export function cloudTrailKeyStatements(region: string, accountId: string, trailName: string): PolicyStatement[] {
  const arn = trailArn(region, accountId, trailName);
  return [
    {
      Sid: "CloudTrailEncryptsItsLogs",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: ["kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": arn }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${accountId}:trail/*` } },
    },
    { Sid: "CloudTrailDescribesKey", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: ["kms:DescribeKey"], Resource: "*", Condition: { StringEquals: { "aws:SourceArn": arn } } },
  ];
}

export interface DataEventsTrailProps {
  readonly name: string;
  /** The log bucket (its policy admits this trail). */
  readonly bucketName: string;
  /** Buckets whose object-level reads and writes are recorded. */
  readonly bucketArns: readonly string[];
  /** Encrypts the log files; its policy carries `cloudTrailKeyStatements`. */
  readonly kmsKeyArn: string;
}

/**
 * A CloudTrail trail of S3 data events (GetObject, PutObject, DeleteObject, ...) on the ML data buckets only: who
 * read or changed which object, which management events (already in the account's event history) do not show.
 * Advanced selectors keep it to these buckets, so it records nothing else and costs only per data event.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
 */
export class DataEventsTrail extends Construct {
  readonly trail: Cloudtrail;

  constructor(scope: Construct, id: string, props: DataEventsTrailProps) {
    super(scope, id);
    if (props.bucketArns.length === 0) throw new Error(`trail ${props.name}: bucketArns must name at least one bucket`);
    this.trail = new Cloudtrail(this, "trail", {
      name: props.name,
      s3BucketName: props.bucketName,
      s3KeyPrefix: CLOUDTRAIL_PREFIX,
      kmsKeyId: props.kmsKeyArn,
      enableLogFileValidation: true,
      includeGlobalServiceEvents: false,
      isMultiRegionTrail: false,
      advancedEventSelector: [
        {
          name: "Object-level events of the ML data buckets",
          fieldSelector: [
            { field: "eventCategory", equalTo: ["Data"] },
            { field: "resources.type", equalTo: ["AWS::S3::Object"] },
            { field: "resources.ARN", startsWith: props.bucketArns.map((arn) => `${arn}/`) },
          ],
        },
      ],
    });
  }
}
