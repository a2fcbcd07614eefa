// The roles of model delivery, decided by IAM policy evaluation of the synthesized policies: each model's promotion
// job reads MLflow's artifacts and writes only its own model's versions; each drift monitor reads only its model's
// captured requests; the Argo Rollouts controller only describes the load balancer.
import { keyPolicyFor, rolePolicies, simulate, TokenResolver, type PolicyDoc, type Request } from "../helpers/ml-iam";
import { exampleStack as stack, synthesizeExamples } from "../helpers/delivery-examples";
import { resources } from "../helpers/synth";

const PROD = "444455556666";
const REGION = "us-east-1";
const s3Object = (purpose: string, key: string) => `arn:aws:s3:::mlp-prod-${purpose}-${PROD}/${key}`;
const s3Bucket = (purpose: string) => `arn:aws:s3:::mlp-prod-${purpose}-${PROD}`;

let resolver: TokenResolver;
beforeAll(() => {
  resolver = new TokenResolver(synthesizeExamples().stacks);
});
const policiesOf = (stackId: string, roleName: string): PolicyDoc[] => rolePolicies(stack(stackId), roleName, resolver);
const decide = (p: PolicyDoc[], req: Request) => simulate(PROD, p, req);
const actions = (p: PolicyDoc[]) => [...new Set(p.flatMap((d) => d.Statement.flatMap((s) => [s.Action].flat() as string[])))].sort();

function dataKey(): { arn: string; policy: PolicyDoc | undefined } {
  const f = stack("prod-foundation");
  const id = Object.keys(resources(f, "aws_kms_key")).find((k) => k.startsWith("ml-data_data-key"))!;
  const arn = resolver.resolve(`\${aws_kms_key.${id}.arn}`, f.id);
  return { arn, policy: keyPolicyFor(synthesizeExamples().stacks, resolver, arn) };
}

describe("a model's promotion job", () => {
  test("reads any artifact MLflow holds and writes its own model's versions", async () => {
    const p = policiesOf("prod-ml", "mlp-prod-promote-churn");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("mlflow-artifacts", "1/models/m-3f2a/artifacts/model.onnx") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("mlflow-artifacts"), context: { "s3:prefix": "1/models/m-3f2a/artifacts/" } })).toBe("Allowed");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("triton-models", "model_repository/churn/v8/churn/8/model.onnx") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("triton-models"), context: { "s3:prefix": "model_repository/churn/v8/.complete" } })).toBe("Allowed");
    const key = dataKey();
    expect(await decide(p, { action: "kms:GenerateDataKey", resource: key.arn, context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` }, resourcePolicy: key.policy })).toBe("Allowed");
  });

  test("cannot write another model's versions, the rest of the repository, MLflow's artifacts or captured requests", async () => {
    const p = policiesOf("prod-ml", "mlp-prod-promote-churn");
    for (const key of ["model_repository/fraud/v3/fraud/3/model.onnx", "model_repository/README.md", "model_repository/churnx/v1/x", "inference_log/churn/version=7/x.json"]) {
      expect([key, await decide(p, { action: "s3:PutObject", resource: s3Object("triton-models", key) })]).toEqual([key, "ImplicitlyDenied"]);
    }
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("triton-models", "inference_log/churn/version=7/x.json") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("mlflow-artifacts", "1/models/m-3f2a/artifacts/model.onnx") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:DeleteObject", resource: s3Object("mlflow-artifacts", "1/models/m-3f2a/artifacts/model.onnx") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("triton-models"), context: { "s3:prefix": "model_repository/" } })).toBe("ImplicitlyDenied");
    const key = dataKey();
    expect(await decide(p, { action: "kms:Decrypt", resource: key.arn, context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, resourcePolicy: key.policy })).toBe("ImplicitlyDenied");
    // S3 and the data key through S3, nothing else (the Rollout is patched through Kubernetes RBAC, not IAM).
    expect(actions(p).filter((a) => !a.startsWith("s3:") && !a.startsWith("kms:"))).toEqual([]);
  });
});

describe("a model's drift monitor", () => {
  test("reads its model's captured requests and nothing else", async () => {
    const p = policiesOf("prod-ml", "mlp-prod-drift-churn");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("triton-models", "inference_log/churn/version=7/date=2026-11-30/triton-churn-0-1.json") })).toBe("Allowed");
    expect(await decide(p, { action: "s3:ListBucket", resource: s3Bucket("triton-models"), context: { "s3:prefix": "inference_log/churn/" } })).toBe("Allowed");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("triton-models", "inference_log/fraud/version=1/x.json") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("triton-models", "model_repository/churn/v7/churn/7/model.onnx") })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:PutObject", resource: s3Object("triton-models", "inference_log/churn/x.json") })).toBe("ImplicitlyDenied");
    expect(actions(p).filter((a) => !["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"].includes(a))).toEqual([]);
  });
});

describe("the Argo Rollouts controller", () => {
  test("describes the load balancer's listeners, rules, target groups and their health, and changes nothing", async () => {
    const p = policiesOf("prod-platform", "mlp-prod-argo-rollouts");
    expect(actions(p)).toEqual([
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
    ]);
    const rule = `arn:aws:elasticloadbalancing:${REGION}:${PROD}:listener-rule/app/mlp-prod-ml/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
    expect(await decide(p, { action: "elasticloadbalancing:DescribeRules", resource: "*" })).toBe("Allowed");
    expect(await decide(p, { action: "elasticloadbalancing:ModifyRule", resource: rule })).toBe("ImplicitlyDenied");
    expect(await decide(p, { action: "s3:GetObject", resource: s3Object("triton-models", "model_repository/README.md") })).toBe("ImplicitlyDenied");
  });
});
