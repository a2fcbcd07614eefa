// Weights access decided by IAM policy evaluation (@cloud-copilot/iam-simulate) of the synthesized policies: each
// vLLM server reads only its own model's weights and writes nothing; only the writer role publishes weights.
import { rolePolicies, simulate, TokenResolver, type PolicyDoc } from "../helpers/ml-iam";
import { projectEnvironment, stack, synthesizeAll } from "../helpers/synth";

const ACCOUNT = "111122223333";
const bucket = (env: string) => `mlp-${env}-triton-models-${env === "prod" ? "444455556666" : ACCOUNT}`;
const object = (env: string, key: string) => `arn:aws:s3:::${bucket(env)}/${key}`;
const account = (env: string) => (env === "prod" ? "444455556666" : ACCOUNT);

let resolver: TokenResolver;
beforeAll(() => {
  resolver = new TokenResolver(synthesizeAll().stacks);
});
const policies = (env: string, role: string): PolicyDoc[] => rolePolicies(stack(`${env}-ml`), role, resolver);

describe.each(["dev", "staging", "prod"])("%s: LLM weights", (env) => {
  const models = projectEnvironment(env).ml.llm.models;

  test.each(models.map((m) => [m.name, m.weights] as const))("vLLM %s reads its own weights and nothing else, and writes nothing", async (name, weights) => {
    const p = policies(env, `mlp-${env}-vllm-${name}`);
    const decide = (action: string, resource: string, context?: Record<string, string>) => simulate(account(env), p, { action, resource, ...(context ? { context } : {}) });
    expect(await decide("s3:GetObject", object(env, `llm-weights/${weights}/model-00001-of-00004.safetensors`))).toBe("Allowed");
    expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket(env)}`, { "s3:prefix": `llm-weights/${weights}/` })).toBe("Allowed");
    for (const action of ["s3:PutObject", "s3:DeleteObject"]) expect(await decide(action, object(env, `llm-weights/${weights}/config.json`))).toBe("ImplicitlyDenied");
    // Another model's weights, Triton's repository and other prefixes stay closed.
    expect(await decide("s3:GetObject", object(env, "llm-weights/other-org/other-model/model.safetensors"))).toBe("ImplicitlyDenied");
    expect(await decide("s3:GetObject", object(env, "model_repository/resnet/1/model.onnx"))).toBe("ImplicitlyDenied");
    expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket(env)}`, { "s3:prefix": "llm-weights/" })).toBe("ImplicitlyDenied");
    // Listing with no prefix (no s3:prefix key at all) would enumerate every key of the bucket: other models' weights
    // and Triton's repository. The streamer never needs it (it lists with its prefix only).
    expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket(env)}`)).toBe("ImplicitlyDenied");
    expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket(env)}`, { "s3:prefix": "" })).toBe("ImplicitlyDenied");
  });

  test("the writer publishes weights of any model, only under llm-weights/", async () => {
    const p = policies(env, `mlp-${env}-llm-weights-writer`);
    const decide = (action: string, key: string) => simulate(account(env), p, { action, resource: object(env, key) });
    expect(await decide("s3:PutObject", "llm-weights/meta-llama/Llama-3.1-8B-Instruct/config.json")).toBe("Allowed");
    expect(await decide("s3:PutObject", "model_repository/resnet/1/model.onnx")).toBe("ImplicitlyDenied");
  });
});
