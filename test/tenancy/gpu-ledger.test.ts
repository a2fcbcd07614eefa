// The GPU ledger (environments/lib/gpu-demand.ts): per pool and unit, every workload that may claim GPUs at once at its
// worst case, added up in one place. Each kind of claim pushes a pool over its limit alone and together with the others;
// the message names environment, field, value, pool, what the pool holds and every claim; the shipped files fit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gpuLedger, type LedgerEntry } from "../../environments/lib/gpu-demand";
import { validateEnvironment } from "../../environments/lib/load";
import { exampleEnvironments, exampleInput } from "../helpers/delivery-examples";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";
import { projectEnvironments } from "../helpers/synth";

const STG = 'environment "staging"';
const INFERENCE = "compute.gpuInferencePool.limits.gpus";

/** Staging with nothing on the inference pool (no Triton model, vLLM model, Ray Serve or inference quota), then `mutate`. */
const bare = (mutate: (e: LooseInput) => void) =>
  brokenStaging((e) => {
    e.ml.llm.models = [];
    e.ml.ray = { enabled: false };
    e.teams = { tenants: [], pipelines: { gpus: {} } };
    mutate(e);
  });
const team = (name: string, gpus: LooseInput) => ({ name, costCenter: `cc-${name}`, gpus });
/** The pool, unit, claimed and capacity of each entry, and its claims as `claimant units`. */
const summary = (l: LedgerEntry) => [l.pool.name, l.unit, l.claimed, l.capacity, l.claims.map((c) => `${c.claimant} ${c.units}`)];

describe("the shipped environments and their examples fit their pools", () => {
  test("every pool's claims, in every unit, stay within what it holds", () => {
    for (const env of [...projectEnvironments(), ...exampleEnvironments()]) {
      for (const l of gpuLedger(env)) expect([env.name, l.pool.name, l.unit, l.claimed <= l.capacity]).toEqual([env.name, l.pool.name, l.unit, true]);
    }
  });

  test("dev's inference pool, by hand: Ray Serve 2, vLLM's scale-to-zero model 1, team sandbox 1 of 4 GPUs", () => {
    const dev = projectEnvironments().find((e) => e.name === "dev")!;
    expect(gpuLedger(dev).map(summary)).toEqual([["gpu-inference", "nvidia.com/gpu", 4, 4, ["ray-serve 2", "vllm qwen-1-5b 1", "team sandbox 1"]]]);
  });

  test("staging, by hand: a team's dedicated pool is in the ledger, full with its owner's implied quota; another team naming it is left to the dedicated-pool rule", () => {
    const staging = projectEnvironments().find((e) => e.name === "staging")!;
    expect(gpuLedger(staging).filter((l) => l.pool.name === "team-vision").map(summary)).toEqual([["team-vision", "nvidia.com/gpu", 4, 4, ["team vision 4"]]]);
  });

  test("prod, by hand: MIG slices counted apart from whole GPUs, EFA and training pools full with the teams' quotas", () => {
    const prod = projectEnvironments().find((e) => e.name === "prod")!;
    expect(gpuLedger(prod).map(summary)).toEqual([
      ["gpu-inference", "nvidia.com/gpu", 38, 64, ["ray-serve 2", "vllm llama-8b 8", "team vision 8", "team recsys 16", "pipelines 4"]],
      ["gpu-training", "nvidia.com/gpu", 32, 32, ["team vision 16", "team nlp 16"]],
      ["efa-training", "nvidia.com/gpu", 64, 64, ["team vision 32", "team nlp 32"]],
      // Two p5 (16 H100) at 7 x 1g.10gb per GPU.
      ["shared-gpu", "nvidia.com/mig-1g.10gb", 8, 112, ["vllm qwen-1-5b 8"]],
    ]);
  });
});

describe("each kind of claim alone pushes a pool over its limit, reported on its own field", () => {
  test.each<[string, (e: LooseInput) => void, string]>([
    [
      "Triton's canary peak (6 pods of 1 GPU on 5)",
      (e) => ((e.compute.gpuInferencePool.limits.gpus = 5), (e.delivery.models = structuredClone(exampleInput("staging").delivery as LooseInput).models)),
      `${STG}: delivery.models[0]: got "churn"; puts pool gpu-inference over its limit: its worst-case claims add up to 6 nvidia.com/gpu, over the 5 it holds (${INFERENCE} 5 GPUs): triton churn 6 (6 pods x 1 at the canary peak; delivery.models[0]); lower one of them or raise ${INFERENCE}`,
    ],
    [
      "a vLLM model at replicas.max",
      (e) => e.ml.llm.models.push({ name: "llama-8b", modelId: "meta-llama/Llama-3.1-8B-Instruct", weights: "meta-llama/Llama-3.1-8B-Instruct", gpu: { instanceType: "g6e.12xlarge" }, tensorParallelSize: 4, maxModelLen: 8192, replicas: { min: 1, max: 5 } }),
      `${STG}: ml.llm.models[0].replicas.max: got 5; puts pool gpu-inference over its limit: its worst-case claims add up to 20 nvidia.com/gpu, over the 16 it holds (${INFERENCE} 16 GPUs): vllm llama-8b 20 (5 replicas x 4; ml.llm.models[0].replicas.max); lower one of them or raise ${INFERENCE}`,
    ],
    [
      "Ray Serve's workers at their maximum",
      (e) => (e.ml.ray = { enabled: true, serve: { maxWorkers: 17 } }),
      `${STG}: ml.ray.serve.maxWorkers: got 17; puts pool gpu-inference over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (${INFERENCE} 16 GPUs): ray-serve 17 (17 workers x 1; ml.ray.serve.maxWorkers); lower one of them or raise ${INFERENCE}`,
    ],
    [
      "a team's nominal quotas over two flavors of one pool",
      (e) => e.teams.tenants.push(team("vision", { "gpu-inference-l4": { nominal: 10 }, "gpu-inference-l40s": { nominal: 7 } })),
      `${STG}: teams.tenants[0].gpus.gpu-inference-l40s.nominal: got 7; puts pool gpu-inference over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (${INFERENCE} 16 GPUs): team vision 10 (nominal quota; teams.tenants[0].gpus.gpu-inference-l4.nominal), team vision 7 (nominal quota; teams.tenants[0].gpus.gpu-inference-l40s.nominal); lower one of them or raise ${INFERENCE}`,
    ],
    [
      "the pipelines queue's quota",
      (e) => (e.teams.pipelines.gpus = { "gpu-training-l40s": { nominal: 17 } }),
      `${STG}: teams.pipelines.gpus.gpu-training-l40s.nominal: got 17; puts pool gpu-training over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (compute.gpuTrainingPool.limits.gpus 16 GPUs): pipelines 17 (nominal quota; teams.pipelines.gpus.gpu-training-l40s.nominal); lower one of them or raise compute.gpuTrainingPool.limits.gpus`,
    ],
  ])("%s", (_what, mutate, message) => {
    expect(problemsOf("staging", bare(mutate))).toEqual([message]);
  });
});

describe("together: claims that each fit alone cannot promise the same GPUs twice", () => {
  // Triton 6 (the example model's canary peak), vLLM 2 x 2 = 4 and a team's 6: each fits in 16, and so does any pair.
  const combined = (teamGpus: number) =>
    bare((e) => {
      e.delivery.models = structuredClone((exampleInput("staging").delivery as LooseInput).models);
      e.ml.llm.models.push({ name: "llama-8b", modelId: "meta-llama/Llama-3.1-8B-Instruct", weights: "meta-llama/Llama-3.1-8B-Instruct", gpu: { instanceType: "g6e.12xlarge" }, tensorParallelSize: 2, maxModelLen: 8192, replicas: { min: 1, max: 2 } });
      e.teams.tenants.push(team("vision", { "gpu-inference-l4": { nominal: teamGpus } }));
    });

  test("Triton + vLLM + a team's quota: over by one GPU, reported on the quota that goes over, every claim listed", () => {
    expect(() => validateEnvironment("staging", combined(6))).not.toThrow();
    expect(problemsOf("staging", combined(7))).toEqual([
      `${STG}: teams.tenants[0].gpus.gpu-inference-l4.nominal: got 7; puts pool gpu-inference over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (${INFERENCE} 16 GPUs): triton churn 6 (6 pods x 1 at the canary peak; delivery.models[0]), vllm llama-8b 4 (2 replicas x 2; ml.llm.models[0].replicas.max), team vision 7 (nominal quota; teams.tenants[0].gpus.gpu-inference-l4.nominal); lower one of them or raise ${INFERENCE}`,
    ]);
  });

  test("Ray Serve counts too: with its 2 workers the same quota of 6 no longer fits", () => {
    const withRay = combined(6);
    withRay.ml.ray = { enabled: true, serve: { maxWorkers: 2 } };
    expect(problemsOf("staging", withRay)).toEqual([expect.stringMatching(/^environment "staging": teams\.tenants\[0\]\.gpus\.gpu-inference-l4\.nominal: got 6; .* add up to 18 nvidia\.com\/gpu, over the 16 .*: ray-serve 2 \(2 workers x 1; ml\.ray\.serve\.maxWorkers\), triton churn 6 .*, team vision 6 /)]);
  });
});

describe("what a pool holds is counted in the unit its pods request", () => {
  test("time-slicing: a pool of 16 GPUs sliced 4 ways holds 64 nvidia.com/gpu", () => {
    const sliced = (nominal: number) => bare((e) => ((e.compute.gpuSharing = { "gpu-training": { mode: "time-slicing", replicas: 4 } }), e.teams.tenants.push(team("vision", { "gpu-training-l40s": { nominal } }))));
    expect(() => validateEnvironment("staging", sliced(64))).not.toThrow();
    expect(problemsOf("staging", sliced(65))).toEqual([
      `${STG}: teams.tenants[0].gpus.gpu-training-l40s.nominal: got 65; puts pool gpu-training over its limit: its worst-case claims add up to 65 nvidia.com/gpu, over the 64 it holds (compute.gpuTrainingPool.limits.gpus 16 GPUs x 4 time-slicing replicas per GPU): team vision 65 (nominal quota; teams.tenants[0].gpus.gpu-training-l40s.nominal); lower one of them or raise compute.gpuTrainingPool.limits.gpus`,
    ]);
  });

  /** Staging with a shared p5 pool (8 H100) and vLLM models on it. */
  const migPool = (sharing: LooseInput, models: Array<[string, string | undefined, number]>) =>
    bare((e) => {
      e.compute.sharedGpuPool = { instanceTypes: ["p5.48xlarge"], capacityTypes: ["on-demand"], limits: { gpus: 8 }, sharing };
      for (const [name, migProfile, max] of models) e.ml.llm.models.push({ name, modelId: "Qwen/Qwen2.5-1.5B-Instruct", weights: "Qwen/Qwen2.5-1.5B-Instruct", gpu: { instanceType: "p5.48xlarge", ...(migProfile ? { migProfile } : {}) }, maxModelLen: 4096, replicas: { min: 1, max } });
    });

  test("MIG single: 8 H100 of 7 slices hold 56 nvidia.com/gpu", () => {
    expect(problemsOf("staging", migPool({ mode: "mig", strategy: "single", layouts: { "p5.48xlarge": "all-1g.10gb" } }, [["qwen", undefined, 57]]))).toEqual([
      `${STG}: ml.llm.models[0].replicas.max: got 57; puts pool shared-gpu over its limit: its worst-case claims add up to 57 nvidia.com/gpu, over the 56 it holds (compute.sharedGpuPool.limits.gpus 8 GPUs x 7 MIG slices (single strategy) per GPU): vllm qwen 57 (57 replicas x 1; ml.llm.models[0].replicas.max); lower one of them or raise compute.sharedGpuPool.limits.gpus`,
    ]);
  });

  test("MIG mixed: each profile is its own unit, held as many times per GPU as the layout makes it", () => {
    // H100 all-balanced: 2 x 1g.10gb, 1 x 2g.20gb, 1 x 3g.40gb per GPU.
    const balanced = { mode: "mig", strategy: "mixed", layouts: { "p5.48xlarge": "all-balanced" } };
    const env = validateEnvironment("staging", migPool(balanced, [["small", "1g.10gb", 16], ["medium", "2g.20gb", 8]]));
    expect(gpuLedger(env).filter((l) => l.pool.name === "shared-gpu").map(summary)).toEqual([
      ["shared-gpu", "nvidia.com/mig-1g.10gb", 16, 16, ["vllm small 16"]],
      ["shared-gpu", "nvidia.com/mig-2g.20gb", 8, 8, ["vllm medium 8"]],
    ]);
    expect(problemsOf("staging", migPool(balanced, [["small", "1g.10gb", 16], ["medium", "2g.20gb", 9]]))).toEqual([
      `${STG}: ml.llm.models[1].replicas.max: got 9; puts pool shared-gpu over its limit: its worst-case claims add up to 9 nvidia.com/mig-2g.20gb, over the 8 it holds (compute.sharedGpuPool.limits.gpus 8 GPUs x 1 2g.20gb slices per GPU): vllm medium 9 (9 replicas x 1; ml.llm.models[1].replicas.max); lower one of them or raise compute.sharedGpuPool.limits.gpus`,
    ]);
  });

  test("an EFA managed node group holds max size x the GPUs of its type", () => {
    const mng = bare((e) => {
      e.compute.efa = { mode: "managed-node-group", instanceTypes: ["p5.48xlarge"], availabilityZones: ["us-east-1b"], minSize: 0, maxSize: 2, desiredSize: 0 };
      e.teams.tenants.push(team("vision", { "efa-training-h100": { nominal: 17 } }));
    });
    expect(problemsOf("staging", mng)).toEqual([
      `${STG}: teams.tenants[0].gpus.efa-training-h100.nominal: got 17; puts pool efa-training over its limit: its worst-case claims add up to 17 nvidia.com/gpu, over the 16 it holds (compute.efa.maxSize 2 nodes, 16 GPUs): team vision 17 (nominal quota; teams.tenants[0].gpus.efa-training-h100.nominal); lower one of them or raise compute.efa.maxSize`,
    ]);
  });

  test("a pool whose own settings are already reported is not checked: one message, about the cause", () => {
    const problems = problemsOf("staging", migPool({ mode: "mig", strategy: "mixed", layouts: { "p5.48xlarge": "all-1g.5gb" } }, [["qwen", "1g.10gb", 100]]));
    expect(problems).toEqual([`${STG}: compute.sharedGpuPool.sharing.layouts.p5.48xlarge: got "all-1g.5gb"; is not a MIG layout of H100-SXM5-80GB (all-1g.10gb, all-1g.20gb, all-2g.20gb, all-3g.40gb, all-4g.40gb, all-7g.80gb, all-balanced)`]);
  });
});

test("docs/tenancy.md's example of the message is what synth prints for it", () => {
  const doc = readFileSync(join(__dirname, "../../docs/tenancy.md"), "utf8");
  const example = /### The GPU ledger[\s\S]*?```\n(environment [^\n]*)\n```/.exec(doc)?.[1];
  const input = bare((e) => (e.teams.tenants = [team("vision", { "gpu-training-l40s": { nominal: 10 } }), team("nlp", { "gpu-training-l40s": { nominal: 7 } })]));
  expect(problemsOf("staging", input)).toEqual([example]);
});
