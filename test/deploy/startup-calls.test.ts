import { feastProject } from "../../stacks/ml-settings";
import { keyPolicyFor, rolePolicies, simulate, TokenResolver, type PolicyDoc, type Request } from "../helpers/ml-iam";
import { projectEnvironments, resources, stack, synthesizeAll } from "../helpers/synth";

/**
 * The AWS calls each ML workload makes when it starts (and on its first request), from the pinned versions' code,
 * authorized against the role the stacks give it. A workload that cannot make one of these calls crash-loops or
 * serves errors after a green `terraform apply`, which no other test would notice.
 *
 * S3 authorization: HeadBucket is `s3:ListBucket` with no `s3:prefix`; ListObjectsV2 is `s3:ListBucket` with the
 * prefix; HeadObject and GetObject are `s3:GetObject`.
 */
interface StartupCall {
  readonly why: string;
  readonly action: string;
  /** `bucket:<purpose>`, `object:<purpose>/<key>`, `key` (the ML data key, through S3; `key:dynamodb` through DynamoDB) or `table:<name>`. */
  readonly on: string;
  readonly prefix?: string;
}

/** Workload → role suffix and the calls it makes, with the upstream code that makes them. */
const WORKLOADS: ReadonlyArray<{ name: string; role: string; calls: readonly StartupCall[] }> = [
  {
    // feast-dev/feast v0.66.0 sdk/python/feast/infra/registry/s3.py: head_bucket, then download_fileobj of the registry
    // (HeadObject + GetObject); registry.py refreshes the same way every cache_ttl_seconds.
    name: "Feast feature server 0.66",
    role: "feast-server",
    calls: [
      { why: "S3Registry: head_bucket before reading (403 raises S3RegistryBucketForbiddenAccess)", action: "s3:ListBucket", on: "bucket:feast" },
      { why: "S3Registry: download the registry object", action: "s3:GetObject", on: "object:feast/registry/registry.db" },
      { why: "SSE-KMS objects: decrypt through S3", action: "kms:Decrypt", on: "key" },
      { why: "DynamoDB online store: online_read", action: "dynamodb:BatchGetItem", on: "table:driver_hourly_stats" },
      { why: "SSE-KMS table: DynamoDB decrypts with the platform key on the caller's behalf", action: "kms:Decrypt", on: "key:dynamodb" },
    ],
  },
  {
    // feast apply (sdk/python/feast/infra/online_stores/dynamodb.py `update`): describe_table before creating (the
    // tables exist, Terraform made them), list_tags_of_resource for the tag diff; S3Registry commit writes the registry.
    name: "feast apply",
    role: "feast-apply",
    calls: [
      { why: "S3Registry: head_bucket", action: "s3:ListBucket", on: "bucket:feast" },
      { why: "S3Registry: commit writes the registry", action: "s3:PutObject", on: "object:feast/registry/registry.db" },
      { why: "SSE-KMS: encrypt new objects through S3", action: "kms:GenerateDataKey", on: "key" },
      { why: "DynamoDB update: does the table exist?", action: "dynamodb:DescribeTable", on: "table:driver_hourly_stats" },
      { why: "DynamoDB update: the same for a view not declared (ResourceNotFound, then CreateTable is denied)", action: "dynamodb:DescribeTable", on: "table:not_declared_yet" },
      { why: "DynamoDB update: tag diff", action: "dynamodb:ListTagsOfResource", on: "table:driver_hourly_stats" },
    ],
  },
  {
    // feast materialize: reads parquet FileSources, writes items with batch_writer (BatchWriteItem), records the
    // materialized interval in the registry.
    name: "feast materialize",
    role: "feast-materializer",
    calls: [
      { why: "offline store: list parquet FileSources", action: "s3:ListBucket", on: "bucket:feast", prefix: "offline/" },
      { why: "offline store: read a FileSource", action: "s3:GetObject", on: "object:feast/offline/driver_stats.parquet" },
      { why: "registry: record the materialized interval", action: "s3:PutObject", on: "object:feast/registry/registry.db" },
      { why: "online_write_batch", action: "dynamodb:BatchWriteItem", on: "table:driver_hourly_stats" },
      { why: "SSE-KMS table: DynamoDB encrypts with the platform key on the caller's behalf", action: "kms:GenerateDataKey", on: "key:dynamodb" },
    ],
  },
  {
    // triton-inference-server/core r26.08 src/filesystem/implementations/s3.h: IsDirectory/CheckBucket (HeadBucket),
    // ListObjectsV2 under the repository path, then GetObject of every file of a model version.
    name: "Triton 26.08 (S3 model repository)",
    role: "triton",
    calls: [
      { why: "S3FileSystem: HeadBucket on the repository bucket", action: "s3:ListBucket", on: "bucket:triton-models" },
      { why: "S3FileSystem: list the repository", action: "s3:ListBucket", on: "bucket:triton-models", prefix: "model_repository/" },
      { why: "S3FileSystem: list one model's versions", action: "s3:ListBucket", on: "bucket:triton-models", prefix: "model_repository/resnet/" },
      { why: "S3FileSystem: download a model file", action: "s3:GetObject", on: "object:triton-models/model_repository/resnet/1/model.onnx" },
      { why: "SSE-KMS objects: decrypt through S3", action: "kms:Decrypt", on: "key" },
    ],
  },
  {
    // mlflow 3.15 S3ArtifactRepository (boto3): log_artifact put_object, list_artifacts list_objects_v2 with a prefix,
    // download get_object. The server proxies artifacts, so only its role touches the bucket.
    name: "MLflow 3.15 tracking server (proxied artifacts)",
    role: "mlflow",
    calls: [
      { why: "log_artifact", action: "s3:PutObject", on: "object:mlflow-artifacts/1/0123abcd/artifacts/model/model.pkl" },
      { why: "list_artifacts (list_objects_v2 with a prefix)", action: "s3:ListBucket", on: "bucket:mlflow-artifacts", prefix: "1/0123abcd/artifacts/" },
      { why: "download_artifacts", action: "s3:GetObject", on: "object:mlflow-artifacts/1/0123abcd/artifacts/model/model.pkl" },
      { why: "SSE-KMS: encrypt through S3", action: "kms:GenerateDataKey", on: "key" },
    ],
  },
];

/**
 * vLLM 0.13 with `--load-format runai_streamer` from `s3://<bucket>/llm-weights/<weights>`: run-ai/runai-model-streamer
 * (0.15.0 to 0.15.9, py/runai_model_streamer_s3/runai_model_streamer_s3/files/files.py) lists with
 * `list_objects_v2(Bucket, Prefix="<prefix>/")` and never calls head_bucket; the C++ reader only GETs byte ranges.
 */
const vllmCalls = (weights: string): StartupCall[] => [
  { why: "runai streamer list_files: list_objects_v2 with the weights prefix", action: "s3:ListBucket", on: "bucket:triton-models", prefix: `llm-weights/${weights}/` },
  { why: "config.json and tokenizer files pulled before loading", action: "s3:GetObject", on: `object:triton-models/llm-weights/${weights}/config.json` },
  { why: "C++ reader: ranged GETs of the safetensors", action: "s3:GetObject", on: `object:triton-models/llm-weights/${weights}/model-00001-of-00004.safetensors` },
  { why: "SSE-KMS objects: decrypt through S3", action: "kms:Decrypt", on: "key" },
];

let resolver: TokenResolver;
beforeAll(() => {
  resolver = new TokenResolver(synthesizeAll().stacks);
});

function requestFor(envName: string, call: StartupCall): Request {
  const env = projectEnvironments().find((e) => e.name === envName)!;
  const bucket = (purpose: string) => `mlp-${envName}-${purpose}-${env.account.id}`;
  const [kind, what] = call.on.split(/:(.*)/s);
  switch (kind) {
    case "bucket":
      return { action: call.action, resource: `arn:aws:s3:::${bucket(what)}`, ...(call.prefix ? { context: { "s3:prefix": call.prefix } } : {}) };
    case "object": {
      const [purpose, ...key] = what.split("/");
      return { action: call.action, resource: `arn:aws:s3:::${bucket(purpose)}/${key.join("/")}` };
    }
    case "table":
      return { action: call.action, resource: `arn:aws:dynamodb:${env.account.region}:${env.account.id}:table/${feastProject(env)}.${what}` };
    case "key": {
      const f = stack(`${envName}-foundation`);
      const id = Object.keys(resources(f, "aws_kms_key")).find((k) => k.startsWith("ml-data_data-key"))!;
      const key = resolver.resolve(`\${aws_kms_key.${id}.arn}`, f.id);
      const service = what || "s3";
      return { action: call.action, resource: key, context: { "kms:ViaService": `${service}.${env.account.region}.amazonaws.com` }, resourcePolicy: keyPolicyFor(synthesizeAll().stacks, resolver, key) };
    }
    default:
      throw new Error(`unknown target ${call.on}`);
  }
}

const cases = projectEnvironments().flatMap((e) => [
  ...WORKLOADS.map((w) => [e.name, w.name, w] as const),
  ...e.ml.llm.models.map((m) => [e.name, `vLLM 0.13 ${m.name}`, { name: `vLLM 0.13 ${m.name}`, role: `vllm-${m.name}`, calls: vllmCalls(m.weights) }] as const),
]);

describe("each ML workload can make the AWS calls it makes at start", () => {
  test.each(cases)("%s: %s", async (envName, _name, workload) => {
    const env = projectEnvironments().find((e) => e.name === envName)!;
    const policies = rolePolicies(stack(`${envName}-ml`), `mlp-${envName}-${workload.role}`, resolver);
    const denied: string[] = [];
    for (const call of workload.calls) {
      const decision = await simulate(env.account.id, policies, requestFor(envName, call));
      if (decision !== "Allowed") denied.push(`${call.action} on ${call.on}${call.prefix ? ` (prefix ${call.prefix})` : ""}: ${decision} (${call.why})`);
    }
    expect(denied).toEqual([]);
  });

  test("the check can fail: a prefix-only list grant (StringLike s3:prefix) denies Feast's HeadBucket", async () => {
    const prefixOnly: PolicyDoc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::mlp-dev-feast-111122223333", Condition: { StringLike: { "s3:prefix": ["registry/*", "registry"] } } }],
    };
    const head = requestFor("dev", WORKLOADS[0].calls[0]);
    expect(await simulate("111122223333", [prefixOnly], head)).toBe("ImplicitlyDenied");
    expect(await simulate("111122223333", [prefixOnly], { ...head, context: { "s3:prefix": "registry/registry.db" } })).toBe("Allowed");
  });
});

describe("what a workload needs to exist before it starts", () => {
  test.each(projectEnvironments().map((e) => e.name))("%s: the Feast registry object exists (created empty once by the foundation, never overwritten)", (envName) => {
    // Besides the training bucket's checkpoints/runs/ directory (test/resilience/resumable-training.test.ts).
    const objects = Object.values(resources(stack(`${envName}-foundation`), "aws_s3_object")).filter((o) => (o as { key: string }).key !== "checkpoints/runs/");
    expect(objects).toEqual([expect.objectContaining({ key: "registry/registry.db", content: "", lifecycle: { ignore_changes: "all" } })]);
  });
});
