import { resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const LOG_BUCKET = "mlp-prod-access-logs-444455556666";
const logBucketId = () => Object.entries(resources(stack("prod-bootstrap"), "aws_s3_bucket")).find(([, b]) => b.bucket === LOG_BUCKET)![0];
const ofBucket = (stackId: string, type: string, bucketId: string): Any => Object.values(resources(stack(stackId), type)).find((r: Any) => r.bucket === `\${aws_s3_bucket.${bucketId}.id}`);

describe("production: server access logs and data events", () => {
  test("the bootstrap stack's log bucket keeps logs for the environment's log retention, SSE-S3, protected", () => {
    const id = logBucketId();
    expect(resources(stack("prod-bootstrap"), "aws_s3_bucket")[id]).toEqual(expect.objectContaining({ lifecycle: { prevent_destroy: true }, force_destroy: false }));
    expect(ofBucket("prod-bootstrap", "aws_s3_bucket_server_side_encryption_configuration", id).rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    expect(ofBucket("prod-bootstrap", "aws_s3_bucket_lifecycle_configuration", id).rule[0].expiration).toEqual([{ days: 365 }]);
    // Its own access is not logged: it would log into itself.
    expect(ofBucket("prod-bootstrap", "aws_s3_bucket_logging", id)).toBeUndefined();
  });

  test("only S3 log delivery (for this account's mlp-prod buckets and the state bucket) and the data-events trail may write to it", () => {
    const policy = JSON.parse(ofBucket("prod-bootstrap", "aws_s3_bucket_policy", logBucketId()).policy).Statement;
    const arn = `\${aws_s3_bucket.${logBucketId()}.arn}`;
    const trail = "arn:aws:cloudtrail:us-east-1:444455556666:trail/mlp-prod-data-events";
    expect(policy.map((s: Any) => s.Sid)).toEqual(["DenyInsecureTransport", "S3ServerAccessLogDelivery", "CloudTrailAclCheck", "CloudTrailWrite"]);
    expect(policy[1]).toEqual({
      Sid: "S3ServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: ["s3:PutObject"],
      Resource: `${arn}/s3-access/*`,
      Condition: { ArnLike: { "aws:SourceArn": ["arn:aws:s3:::mlp-prod-*", "arn:aws:s3:::mlp-tfstate-prod-444455556666"] }, StringEquals: { "aws:SourceAccount": "444455556666" } },
    });
    expect(policy[3]).toEqual(expect.objectContaining({ Resource: `${arn}/cloudtrail/AWSLogs/444455556666/*`, Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": [trail] } } }));
  });

  test("the state bucket, the four data buckets and the training bucket deliver their access logs there, each under its own prefix", () => {
    const logged: string[] = [];
    for (const part of ["bootstrap", "foundation"]) {
      for (const [id, b] of Object.entries(resources(stack(`prod-${part}`), "aws_s3_bucket")) as Array<[string, Any]>) {
        const logging = ofBucket(`prod-${part}`, "aws_s3_bucket_logging", id);
        if (!logging) continue;
        expect(logging.target_prefix).toBe(`s3-access/${b.bucket}/`);
        expect(logging.target_bucket).toMatch(part === "bootstrap" ? /^\$\{aws_s3_bucket\.access-logs_bucket_\w+\.bucket\}$/ : /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-bootstrap\.outputs\.cross-stack-output-aws_s3_bucketaccess-logs_bucket_\w+bucket\}$/);
        logged.push(b.bucket);
      }
    }
    expect(logged.sort()).toEqual(["feast", "mlflow-artifacts", "pipelines", "training", "triton-models"].map((p) => `mlp-prod-${p}-444455556666`).concat("mlp-tfstate-prod-444455556666").sort());
  });

  test("a trail records object-level events of exactly the data buckets, encrypted with the telemetry key, with log file validation", () => {
    const [trail] = Object.values(resources(stack("prod-foundation"), "aws_cloudtrail")) as Any[];
    expect(trail).toEqual(expect.objectContaining({ name: "mlp-prod-data-events", s3_key_prefix: "cloudtrail", enable_log_file_validation: true, is_multi_region_trail: false, include_global_service_events: false }));
    const selectors = trail.advanced_event_selector[0].field_selector;
    expect(selectors.slice(0, 2)).toEqual([
      { field: "eventCategory", equals: ["Data"] },
      { field: "resources.type", equals: ["AWS::S3::Object"] },
    ]);
    const buckets = Object.entries(resources(stack("prod-foundation"), "aws_s3_bucket")).map(([id]) => `\${aws_s3_bucket.${id}.arn}/`);
    expect(selectors[2].starts_with.sort()).toEqual(buckets.sort());
    const [keyId, key] = Object.entries(resources(stack("prod-foundation"), "aws_kms_key")).find(([id]) => id.startsWith("logs-key"))! as [string, Any];
    expect(trail.kms_key_id).toBe(`\${aws_kms_key.${keyId}.arn}`);
    const cloudtrail = JSON.parse(key.policy).Statement.filter((s: Any) => s.Principal?.Service === "cloudtrail.amazonaws.com");
    expect(cloudtrail.map((s: Any) => s.Condition.StringEquals["aws:SourceArn"])).toEqual(["arn:aws:cloudtrail:us-east-1:444455556666:trail/mlp-prod-data-events", "arn:aws:cloudtrail:us-east-1:444455556666:trail/mlp-prod-data-events"]);
  });
});

describe.each(["dev", "staging"])("%s: no access logs, no trail (the decision is in test/helpers/security-exceptions.ts)", (env) => {
  test("no log bucket, no bucket logging, no trail, and no CloudTrail grant on the telemetry key", () => {
    for (const part of ["bootstrap", "foundation"]) {
      expect(resources(stack(`${env}-${part}`), "aws_s3_bucket_logging")).toEqual({});
      expect(Object.values(resources(stack(`${env}-${part}`), "aws_s3_bucket")).map((b) => b.bucket)).not.toContain(`mlp-${env}-access-logs-111122223333`);
    }
    expect(resources(stack(`${env}-foundation`), "aws_cloudtrail")).toEqual({});
    const key = Object.entries(resources(stack(`${env}-foundation`), "aws_kms_key")).find(([id]) => id.startsWith("logs-key"))![1];
    expect(key.policy).not.toContain("cloudtrail");
  });
});
