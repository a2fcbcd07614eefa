// The `teams` section: what an environment file may say about teams and their GPU quotas, and every bad input named
// with environment, field and value: GPU types no pool provides, quotas over a pool's limit, bad or reserved names,
// members that are not IAM roles, borrowing limits above the cohort, duplicate teams.
import { gpuFlavors, gpuPools } from "../../constructs/tenancy/flavors";
import { validateEnvironment } from "../../environments/lib/load";
import { EXAMPLE_MODELS, exampleInput } from "../helpers/delivery-examples";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";

const ROLE = "arn:aws:iam::111122223333:role/vision-engineers";
const SSO = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_MLEngineer_0123456789abcdef";

/** A staging copy with `teams` set. */
const withTeams = (teams: LooseInput) => brokenStaging((e) => (e.teams = teams));
/** The same with docs/delivery.md's example model served (the shipped staging serves none). */
const withTeamsAndModel = (teams: LooseInput) => brokenStaging((e) => ((e.teams = teams), (e.delivery.models = structuredClone(EXAMPLE_MODELS.staging))));
const team = (name: string, extra: LooseInput = {}) => ({ name, costCenter: `cc-${name}`, ...extra });

describe("GPU flavors come from the pools: one per GPU type within the pool that provides it", () => {
  test("staging: L4, L40S and A10G on the inference pool, L40S on the training pool, A100 on the EFA pool", () => {
    const staging = validateEnvironment("staging", exampleInput("staging"));
    expect(gpuFlavors(staging).map((f) => [f.name, f.nodeLabels])).toEqual([
      ["gpu-inference-a10g", { "node.ml-platform.io/pool": "gpu-inference", "karpenter.k8s.aws/instance-gpu-name": "a10g" }],
      ["gpu-inference-l4", { "node.ml-platform.io/pool": "gpu-inference", "karpenter.k8s.aws/instance-gpu-name": "l4" }],
      ["gpu-inference-l40s", { "node.ml-platform.io/pool": "gpu-inference", "karpenter.k8s.aws/instance-gpu-name": "l40s" }],
      ["gpu-training-l40s", { "node.ml-platform.io/pool": "gpu-training", "karpenter.k8s.aws/instance-gpu-name": "l40s" }],
      ["efa-training-a100", { "node.ml-platform.io/pool": "efa-training", "karpenter.k8s.aws/instance-gpu-name": "a100" }],
      // vision's dedicated pool (g6.12xlarge).
      ["team-vision-l4", { "node.ml-platform.io/pool": "team-vision", "karpenter.k8s.aws/instance-gpu-name": "l4" }],
    ]);
    // The example raises the inference limit to make room for its model's canary (test/helpers/delivery-examples.ts).
    expect(gpuPools(staging).map((p) => [p.pool.name, p.gpuLimit])).toEqual([
      ["gpu-inference", 20],
      ["gpu-training", 16],
      ["efa-training", 16],
      ["team-vision", 4],
    ]);
  });

  test("an EFA managed node group gives one flavor on its pool label (its nodes carry no Karpenter GPU label)", () => {
    const env = validateEnvironment("mng", brokenStaging((e) => (e.compute.efa = { mode: "managed-node-group", instanceTypes: ["p5.48xlarge"], availabilityZones: ["us-east-1b"], minSize: 0, maxSize: 2, desiredSize: 0 })));
    const efa = gpuPools(env).find((p) => p.pool.name === "efa-training")!;
    expect({ kind: efa.kind, limit: efa.gpuLimit, flavors: efa.flavors.map((f) => [f.name, f.nodeLabels]) }).toEqual({ kind: "node-group", limit: 16, flavors: [["efa-training-h100", { "node.ml-platform.io/pool": "efa-training" }]] });
  });
});

describe("a valid teams section", () => {
  test("accepts teams with members (IAM roles, IAM Identity Center roles with their path) and quotas on the pools' flavors", () => {
    const env = validateEnvironment(
      "staging",
      withTeams({
        tenants: [
          team("vision", { members: [ROLE, SSO], gpus: { "gpu-training-l40s": { nominal: 8, borrowingLimit: 8, lendingLimit: 4 }, "efa-training-a100": { nominal: 8 } }, priority: 2 }),
          team("nlp", { gpus: { "gpu-training-l40s": { nominal: 8 }, "gpu-inference-l4": { nominal: 4 } } }),
        ],
        pipelines: { gpus: { "gpu-inference-l4": { nominal: 2 } } },
      }),
    );
    expect(env.teams.tenants.map((t) => [t.name, t.priority, t.resources])).toEqual([
      ["vision", 2, { cpu: 32, memoryGiB: 128 }],
      ["nlp", 1, { cpu: 32, memoryGiB: 128 }],
    ]);
    expect(env.teams.alerts).toEqual({ pendingMinutes: 30, borrowingLimitHours: 4 });
  });

  test("defaults to no teams and a pipelines queue without GPU quota", () => {
    const env = validateEnvironment("staging", brokenStaging((e) => delete e.teams));
    expect(env.teams).toEqual({ tenants: [], pipelines: { gpus: {}, priority: 1 }, alerts: { pendingMinutes: 30, borrowingLimitHours: 4 } });
  });
});

describe("bad input names environment, field and value", () => {
  test("a quota for a GPU type no pool provides", () => {
    expect(problemsOf("staging", withTeams({ tenants: [team("vision", { gpus: { "gpu-training-h100": { nominal: 2 } } })] }))).toEqual([
      'environment "staging": teams.tenants[0].gpus.gpu-training-h100: got "gpu-training-h100"; no pool of this environment provides this GPU type; quotas name a flavor <pool>-<gpu> (this environment\'s: gpu-inference-a10g, gpu-inference-l4, gpu-inference-l40s, gpu-training-l40s, efa-training-a100)',
    ]);
  });

  test("quotas that sum above a pool's GPU limit, on the inference pool beside what the served models may hold", () => {
    expect(problemsOf("staging", withTeams({ tenants: [team("vision", { gpus: { "gpu-training-l40s": { nominal: 10 } } }), team("nlp", { gpus: { "gpu-training-l40s": { nominal: 7 } } })] }))).toEqual([
      'environment "staging": teams.tenants[1].gpus.gpu-training-l40s.nominal: got 7; puts pool gpu-training over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (compute.gpuTrainingPool.limits.gpus 16 GPUs): team vision 10 (nominal quota; teams.tenants[0].gpus.gpu-training-l40s.nominal), team nlp 7 (nominal quota; teams.tenants[1].gpus.gpu-training-l40s.nominal); lower one of them or raise compute.gpuTrainingPool.limits.gpus',
    ]);
    // Triton's canary peak (6), staging's vLLM model (2) and Ray Serve (2) leave 6 of 16 for the quotas.
    expect(problemsOf("staging", withTeamsAndModel({ tenants: [team("vision", { gpus: { "gpu-inference-l4": { nominal: 5 }, "gpu-inference-a10g": { nominal: 1 } } })], pipelines: { gpus: { "gpu-inference-l4": { nominal: 1 } } } }))).toEqual([
      'environment "staging": teams.pipelines.gpus.gpu-inference-l4.nominal: got 1; puts pool gpu-inference over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (compute.gpuInferencePool.limits.gpus 16 GPUs): ray-serve 2 (2 workers x 1; ml.ray.serve.maxWorkers), triton churn 6 (6 pods x 1 at the canary peak; delivery.models[0]), vllm llama-8b 2 (2 replicas x 1; ml.llm.models[0].replicas.max), team vision 5 (nominal quota; teams.tenants[0].gpus.gpu-inference-l4.nominal), team vision 1 (nominal quota; teams.tenants[0].gpus.gpu-inference-a10g.nominal), pipelines 1 (nominal quota; teams.pipelines.gpus.gpu-inference-l4.nominal); lower one of them or raise compute.gpuInferencePool.limits.gpus',
    ]);
  });

  test.each([
    ["not a DNS label", "Vision_Team", "must be a lowercase DNS label of at most 30 characters (a-z, 0-9, -; starts with a letter)"],
    ["too long for its IAM role name", "a".repeat(31), "must be a lowercase DNS label of at most 30 characters (a-z, 0-9, -; starts with a letter)"],
    ["a platform namespace", "monitoring", "must not be a platform namespace or queue ("],
    ["the pipelines queue", "pipelines", "must not be a platform namespace or queue ("],
  ])("a team name that is %s", (_what, name, message) => {
    const problems = problemsOf("staging", withTeams({ tenants: [team(name)] }));
    expect(problems).toEqual([expect.stringContaining(`environment "staging": teams.tenants[0].name: got ${JSON.stringify(name)}; ${message}`)]);
  });

  test("duplicate team names", () => {
    expect(problemsOf("staging", withTeams({ tenants: [team("vision"), team("nlp"), team("vision")] }))).toEqual(['environment "staging": teams.tenants[2].name: got "vision"; must be unique among the teams (teams.tenants[0] has it)']);
  });

  test.each([
    ["an IAM user", "arn:aws:iam::111122223333:user/alice", "must be an IAM role ARN like arn:aws:iam::123456789012:role/name"],
    ["an assumed-role session", "arn:aws:sts::111122223333:assumed-role/vision/alice", "must be an IAM role ARN like arn:aws:iam::123456789012:role/name"],
    ["a service-linked role", "arn:aws:iam::111122223333:role/aws-service-role/emr-containers.amazonaws.com/AWSServiceRoleForAmazonEMRContainers", "must not be a service-linked role (EKS access entries do not accept them)"],
    ["a cluster admin (it already has an access entry)", "arn:aws:iam::111122223333:role/platform-admin", "is one of cluster.adminRoleArns, which already have a cluster-admin access entry (one entry per principal)"],
    ["a CI role", "arn:aws:iam::111122223333:role/mlp-staging-ci-apply", "is a CI role of the platform, which has its own access entry"],
  ])("a member that is %s", (_what, arn, message) => {
    expect(problemsOf("staging", withTeams({ tenants: [team("vision", { members: [ROLE, arn] })] }))).toEqual([`environment "staging": teams.tenants[0].members[1]: got ${JSON.stringify(arn)}; ${message}`]);
  });

  test("a borrowing limit above the cohort's size for the flavor, and a lending limit above the quota", () => {
    const problems = problemsOf(
      "staging",
      withTeams({ tenants: [team("vision", { gpus: { "gpu-training-l40s": { nominal: 4, borrowingLimit: 13 } } }), team("nlp", { gpus: { "gpu-training-l40s": { nominal: 8, lendingLimit: 9 } } })] }),
    );
    expect(problems).toEqual([
      'environment "staging": teams.tenants[1].gpus.gpu-training-l40s.lendingLimit: got 9; must be at most nominal (8): a queue lends only its own quota',
      'environment "staging": teams.tenants[0].gpus.gpu-training-l40s.borrowingLimit: got 13; is above the cohort\'s size for gpu-training-l40s (12 GPUs of nominal quota across all queues)',
    ]);
  });

  test("a cost center that is no label value, an unknown field", () => {
    expect(problemsOf("staging", withTeams({ tenants: [team("vision", { gpu: {} })] }))).toEqual([
      'environment "staging": teams.tenants[0].gpu: unknown field (got {}); check its spelling against environments/lib/schema.ts',
    ]);
    expect(problemsOf("staging", withTeams({ tenants: [team("vision", { costCenter: "cc 42" })] }))).toEqual([
      'environment "staging": teams.tenants[0].costCenter: got "cc 42"; must also be a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 . _ -, alphanumeric at both ends)',
    ]);
  });
});
