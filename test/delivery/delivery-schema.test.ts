// The `delivery` section: what a user relies on (defaults, examples) and every bad input rejected at synth naming the
// environment, the field and the value.
import { validateEnvironment } from "../../environments/lib/load";
import { deliveryGpuDemand } from "../../environments/lib/delivery-schema";
import { exampleEnvironment, exampleInput } from "../helpers/delivery-examples";
import { problemsOf, type LooseInput } from "../helpers/environments";
import { projectEnvironments, projectEnvironment } from "../helpers/synth";

const STG = 'environment "staging"';
/** staging with its example model (docs/delivery.md), broken by `mutate`. */
const staging = (mutate: (d: LooseInput, e: LooseInput) => void) => {
  const e: LooseInput = exampleInput("staging");
  mutate(e.delivery, e);
  return e;
};
const churn = (d: LooseInput) => d.models[0];

describe("delivery settings", () => {
  test("defaults: 10% → 25% → 50% canary with pauses, judged from 100 requests per 2 minutes, 99% success, 500 ms p99, 100 ms queue, drift blocks promotion", () => {
    const d = projectEnvironment("dev").delivery;
    expect(d.canary.steps).toEqual([
      { weight: 10, pauseMinutes: 5 },
      { weight: 25, pauseMinutes: 5 },
      { weight: 50, pauseMinutes: 10 },
    ]);
    expect(d.analysis).toEqual({ intervalMinutes: 1, failureLimit: 1, minRequests: 100, inconclusiveLimit: 2, minSuccessRate: 0.99, maxP99LatencyMs: 500, maxQueueMs: 100, blockOnDrift: true });
  });

  test("every shipped environment serves no model, so its first apply needs no version registered in its new MLflow", () => {
    for (const e of projectEnvironments()) expect({ env: e.name, models: e.delivery.models }).toEqual({ env: e.name, models: [] });
  });

  test("the documented examples: staging and production pin the served version; production holds the canary to its own SLO", () => {
    expect(exampleEnvironment("dev").delivery.models).toEqual([{ name: "churn", registry: { model: "churn", alias: "champion" }, promotion: "automatic" }]);
    expect(exampleEnvironment("staging").delivery.models[0]).toEqual(expect.objectContaining({ promotion: "reviewed", version: 7 }));
    expect(projectEnvironment("prod").delivery.analysis).toEqual(expect.objectContaining({ minSuccessRate: 0.999, maxP99LatencyMs: 300 }));
  });

  test("GPU demand at the canaries' peak: dev 2 replicas + 1 surge pod; staging 4 + 2 stable pods still up after the last step", () => {
    expect(deliveryGpuDemand(exampleEnvironment("dev"))).toEqual({ gpus: 3, perModel: [{ model: "churn", pods: 3, gpus: 3 }] });
    expect(deliveryGpuDemand(exampleEnvironment("staging"))).toEqual({ gpus: 6, perModel: [{ model: "churn", pods: 6, gpus: 6 }] });
    expect(deliveryGpuDemand(exampleEnvironment("prod")).gpus).toBe(24);
    expect(deliveryGpuDemand(projectEnvironment("prod")).gpus).toBe(0);
  });
});

describe("bad delivery input is rejected at synth, naming environment, field and value", () => {
  test.each([
    ["a weight of 0", (d: LooseInput) => (d.canary = { steps: [{ weight: 0 }] }), "delivery.canary.steps[0].weight: got 0; must be at least 1 (percent of the traffic)"],
    ["a weight over 100", (d: LooseInput) => (d.canary = { steps: [{ weight: 20 }, { weight: 120 }] }), "delivery.canary.steps[1].weight: got 120; must be at most 100 (percent of the traffic)"],
    ["weights that do not increase", (d: LooseInput) => (d.canary = { steps: [{ weight: 20 }, { weight: 20 }] }), "delivery.canary.steps[1].weight: got 20; must be greater than the step before (20): weights only increase"],
    ["a success rate that cannot be met", (d: LooseInput) => (d.analysis = { minSuccessRate: 1.5 }), "delivery.analysis.minSuccessRate: got 1.5; cannot be met: a success rate is a fraction of requests, at most 1"],
    ["an alias with a character MLflow rejects", (d: LooseInput) => (churn(d).registry.alias = "champion@prod"), 'delivery.models[0].registry.alias: got "champion@prod"; must be an MLflow alias: letters, digits, _ and - only (at most 255), as MLflow rejects anything else'],
    ["MLflow's reserved alias latest", (d: LooseInput) => (churn(d).registry.alias = "Latest"), 'delivery.models[0].registry.alias: got "Latest"; must not be latest: MLflow reserves it (in any case)'],
    ["an alias that looks like a version", (d: LooseInput) => (churn(d).registry.alias = "v3"), 'delivery.models[0].registry.alias: got "v3"; must not look like v<number>: MLflow reserves those for version references'],
    ["automatic promotion outside development", (d: LooseInput) => { churn(d).promotion = "automatic"; delete churn(d).version; }, 'delivery.models[0].promotion: got "automatic"; must be reviewed in staging tier: the served version is pinned in this file and changed by a pull request'],
    ["reviewed promotion without a version", (d: LooseInput) => delete churn(d).version, "delivery.models[0].version: got nothing; is required with reviewed promotion: pin the version to serve (the MLflow version number)"],
    ["a model name that is no Kubernetes name", (d: LooseInput) => (churn(d).name = "Churn_Model"), 'delivery.models[0].name: got "Churn_Model"; must be a lowercase model name like churn (a-z, 0-9, -; at most 24 characters): it names Kubernetes objects, IAM roles and a host'],
    ["an experiment arm over half the traffic", (d: LooseInput) => (churn(d).experiment = { weight: 60, durationMinutes: 30 }), "delivery.models[0].experiment.weight: got 60; must be at most 50: two arms share the traffic"],
  ])("%s", (_what, mutate: (d: LooseInput) => void, problem) => {
    expect(problemsOf("staging", staging(mutate))).toEqual([`${STG}: ${problem}`]);
  });

  test("automatic promotion without a registry, in a development environment", () => {
    const input = staging((d, e) => {
      e.tier = "development";
      churn(d).promotion = "automatic";
      delete churn(d).registry;
      delete churn(d).version;
    });
    expect(problemsOf("staging", input)).toEqual([`${STG}: delivery.models[0].promotion: got "automatic"; needs registry (the MLflow model and alias to follow): automatic promotion without a registry has nothing to promote`]);
  });

  test("a pinned version with automatic promotion, in a development environment", () => {
    const input = staging((d, e) => {
      e.tier = "development";
      churn(d).promotion = "automatic";
    });
    expect(problemsOf("staging", input)).toEqual([`${STG}: delivery.models[0].version: got 7; must not be set with automatic promotion: the served version is the one the alias names`]);
  });

  test("two models with one name", () => {
    const input = staging((d) => d.models.push({ ...churn(d) }));
    expect(problemsOf("staging", input)).toEqual(expect.arrayContaining([`${STG}: delivery.models[1].name: got "churn"; must be unique: each model is one Rollout`]));
  });

  test("canaries whose peak needs more GPUs than the inference pool may launch", () => {
    // staging: 4 replicas of 1 GPU; from the 50% step to 100% the canary has 4 pods and the stable still 2: 6 GPUs.
    // Without staging's vLLM model: the canary alone is over the limit, so the message is on the model. The GPU ledger
    // (environments/lib/gpu-demand.ts, test/gpu-demand.test.ts) lists the pool's other claims beside it.
    const input = staging((_d, e) => ((e.compute.gpuInferencePool.limits.gpus = 5), (e.ml.llm.models = [])));
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: delivery.models[0]: got "churn"; puts pool gpu-inference over its limit: its worst-case claims add up to 16 nvidia.com/gpu, over the 5 it holds (compute.gpuInferencePool.limits.gpus 5 GPUs): ray-serve 2 (2 workers x 1; ml.ray.serve.maxWorkers), triton churn 6 (6 pods x 1 at the canary peak; delivery.models[0]), team vision 2 (nominal quota; teams.tenants[0].gpus.gpu-inference-l4.nominal), team nlp 4 (nominal quota; teams.tenants[1].gpus.gpu-inference-l40s.nominal), pipelines 2 (nominal quota; teams.pipelines.gpus.gpu-inference-l4.nominal); lower one of them or raise compute.gpuInferencePool.limits.gpus`,
    ]);
    // Without staging's teams, its LLM and Ray Serve, the 6 GPUs of the canary's peak are all the pool needs.
    expect(() => validateEnvironment("staging", staging((_d, e) => ((e.compute.gpuInferencePool.limits.gpus = 6), (e.ml.llm.models = []), (e.ml.ray = { enabled: false }), delete e.teams)))).not.toThrow();
  });

  test("an unknown field in the section", () => {
    expect(problemsOf("staging", staging((d) => (d.canary = { stepz: [] })))).toEqual([`${STG}: delivery.canary.stepz: unknown field (got []); check its spelling against environments/lib/schema.ts`]);
  });
});
