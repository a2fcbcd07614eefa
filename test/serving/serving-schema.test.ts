// Bad GPU sharing and LLM settings are rejected at synth time with the environment, the field, the value and the rule.
import { validateEnvironment } from "../../environments/lib/load";
import { routerObjects } from "../../constructs/serving/vllm-router";
import { EXAMPLE_MODELS } from "../helpers/delivery-examples";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const STG = 'environment "staging"';

/** A staging copy with a MIG shared-GPU pool on p5 and two models: one on an L40S node, one on a 1g.10gb slice. */
function withServing(mutate: (e: LooseInput) => void = () => undefined): LooseInput {
  return brokenStaging((e) => {
    e.compute.sharedGpuPool = {
      instanceTypes: ["p5.48xlarge"],
      capacityTypes: ["on-demand"],
      limits: { gpus: 8 },
      sharing: { mode: "mig", strategy: "mixed", layouts: { "p5.48xlarge": "all-1g.10gb" } },
    };
    e.ml.llm = {
      models: [
        { name: "llama-8b", modelId: "meta-llama/Llama-3.1-8B-Instruct", weights: "meta-llama/Llama-3.1-8B-Instruct", gpu: { instanceType: "g6e.xlarge" }, maxModelLen: 8192, replicas: { min: 1, max: 2 } },
        { name: "qwen-3b", modelId: "Qwen/Qwen2.5-3B-Instruct", weights: "Qwen/Qwen2.5-3B-Instruct", gpu: { instanceType: "p5.48xlarge", migProfile: "1g.10gb" }, maxModelLen: 4096, replicas: { min: 1, max: 8 } },
      ],
    };
    mutate(e);
  });
}

describe("GPU sharing and LLM models", () => {
  test("a MIG pool on p5 with a slice-sized model and a whole-GPU model is accepted", () => {
    const env = validateEnvironment("staging", withServing());
    expect(env.ml.llm.models.map((m) => [m.name, m.tensorParallelSize, m.gpu.count])).toEqual([["llama-8b", 1, undefined], ["qwen-3b", 1, undefined]]);
  });

  test.each<[string, (e: LooseInput) => void, string]>([
    [
      "tensor parallel size larger than the GPUs of the chosen type",
      (e) => (e.ml.llm.models[0].tensorParallelSize = 2),
      `${STG}: ml.llm.models[0].tensorParallelSize: got 2; is larger than the 1 GPUs of g6e.xlarge (one replica runs on one node)`,
    ],
    [
      "MIG on a pool whose types have no MIG",
      (e) => (e.compute.gpuSharing = { "gpu-inference": { mode: "mig", strategy: "single", layouts: {} } }),
      `${STG}: compute.gpuSharing.gpu-inference.mode: got "mig"; `,
    ],
    [
      "MIG on a shared pool type without MIG",
      (e) => (e.compute.sharedGpuPool.instanceTypes = ["p5.48xlarge", "g4dn.12xlarge"]),
      `${STG}: compute.sharedGpuPool.sharing.mode: got "mig"; g4dn.12xlarge has no MIG-capable GPU (MIG exists on p4d.24xlarge, p4de.24xlarge, p5.4xlarge, p5.48xlarge, p5e.48xlarge, p5en.48xlarge, p6-b200.48xlarge, p6-b300.48xlarge)`,
    ],
    [
      "time-slicing on the EFA training pool",
      (e) => (e.compute.gpuSharing = { "efa-training": { mode: "time-slicing", replicas: 4 } }),
      `${STG}: compute.gpuSharing.efa-training.mode: got "time-slicing"; EFA training pools share no GPUs: their multi-node jobs need whole GPUs and the EFA devices of the node (time-slicing only where no EFA training runs)`,
    ],
    ["a model without a weights path", (e) => delete e.ml.llm.models[0].weights, `${STG}: ml.llm.models[0].weights: got nothing; Invalid input: expected string, received undefined`],
    ["min replicas above max", (e) => (e.ml.llm.models[1].replicas = { min: 3, max: 2 }), `${STG}: ml.llm.models[1].replicas.min: got 3; must be at most replicas.max (2)`],
    [
      "scale-to-zero outside development",
      (e) => (e.ml.llm.models[0].replicas.min = 0),
      `${STG}: ml.llm.models[0].replicas.min: got 0; must be at least 1 in staging tier: scale-to-zero (cold starts of minutes while a GPU node and the weights arrive) is for development only`,
    ],
    [
      "a slice profile the pool's layout does not make",
      (e) => (e.ml.llm.models[1].gpu.migProfile = "3g.40gb"),
      `${STG}: ml.llm.models[1].gpu.migProfile: got "3g.40gb"; is not in the all-1g.10gb layout of p5.48xlarge (1g.10gb)`,
    ],
    [
      "a layout the GPU does not have",
      (e) => (e.compute.sharedGpuPool.sharing.layouts["p5.48xlarge"] = "all-1g.18gb"),
      `${STG}: compute.sharedGpuPool.sharing.layouts.p5.48xlarge: got "all-1g.18gb"; is not a MIG layout of H100-SXM5-80GB (all-1g.10gb, all-1g.20gb, all-2g.20gb, all-3g.40gb, all-4g.40gb, all-7g.80gb, all-balanced)`,
    ],
    [
      "the single strategy with a layout of several profiles",
      (e) => {
        e.compute.sharedGpuPool.sharing = { mode: "mig", strategy: "single", layouts: { "p5.48xlarge": "all-balanced" } };
        delete e.ml.llm.models[1].gpu.migProfile;
      },
      `${STG}: compute.sharedGpuPool.sharing.layouts.p5.48xlarge: got "all-balanced"; mixes profiles, which the single strategy cannot advertise as one resource: use mixed, or a layout of one profile`,
    ],
    [
      "a model whose type is in no serving pool",
      (e) => (e.ml.llm.models[0].gpu.instanceType = "p4d.24xlarge"),
      `${STG}: ml.llm.models[0].gpu.instanceType: got "p4d.24xlarge"; is in no serving pool (gpu-inference families g6, g6e, g5; shared-gpu types p5.48xlarge)`,
    ],
    [
      "more replicas at full scale than the pool's limit holds",
      // With docs/delivery.md's example model served beside them (the shipped staging serves none).
      (e) => ((e.ml.llm.models[0].replicas.max = 13), (e.delivery.models = structuredClone(EXAMPLE_MODELS.staging))),
      `${STG}: ml.llm.models[0].replicas.max: got 13; puts pool gpu-inference over its limit: its worst-case claims add up to 29 nvidia.com/gpu, over the 16 it holds (compute.gpuInferencePool.limits.gpus 16 GPUs): ray-serve 2 (2 workers x 1; ml.ray.serve.maxWorkers), triton churn 6 (6 pods x 1 at the canary peak; delivery.models[0]), vllm llama-8b 13 (13 replicas x 1; ml.llm.models[0].replicas.max), team vision 2 (nominal quota; teams.tenants[0].gpus.gpu-inference-l4.nominal), team nlp 4 (nominal quota; teams.tenants[1].gpus.gpu-inference-l40s.nominal), pipelines 2 (nominal quota; teams.pipelines.gpus.gpu-inference-l4.nominal); lower one of them or raise compute.gpuInferencePool.limits.gpus`,
    ],
    [
      "more slices at full scale than the shared pool's limit holds",
      (e) => (e.ml.llm.models[1].replicas.max = 57),
      `${STG}: ml.llm.models[1].replicas.max: got 57; puts pool shared-gpu over its limit: its worst-case claims add up to 57 nvidia.com/mig-1g.10gb, over the 56 it holds (compute.sharedGpuPool.limits.gpus 8 GPUs x 7 1g.10gb slices per GPU): vllm qwen-3b 57 (57 replicas x 1; ml.llm.models[1].replicas.max); lower one of them or raise compute.sharedGpuPool.limits.gpus`,
    ],
    [
      "tensor parallelism on a time-sliced pool",
      (e) => {
        e.compute.gpuSharing = { "gpu-inference": { mode: "time-slicing", replicas: 4 } };
        e.ml.llm.models[0].gpu.instanceType = "g6e.12xlarge";
        e.ml.llm.models[0].tensorParallelSize = 2;
        e.ml.llm.models[0].gpuMemoryUtilization = 0.25;
      },
      `${STG}: ml.llm.models[0].tensorParallelSize: got 2; must be 1 with one GPU on gpu-inference, which is time-sliced (the device plugin refuses requests for more than one shared GPU)`,
    ],
    [
      "vLLM's default GPU memory share on a time-sliced pool (a second engine on the GPU fails at start)",
      (e) => (e.compute.gpuSharing = { "gpu-inference": { mode: "time-slicing", replicas: 4 } }),
      `${STG}: ml.llm.models[0].gpuMemoryUtilization: got 0.9; must be at most 0.25 on gpu-inference, which time-slices each GPU 4 ways: vLLM reserves this fraction of the whole GPU at start and fails when other engines on the same GPU hold the rest`,
    ],
    [
      "session routing without a session key (the router exits at start without --session-key)",
      (e) => (e.ml.llm.router = { routingLogic: "session" }),
      `${STG}: ml.llm.router.routingLogic: got "session"; needs ml.llm.router.sessionKey (the request header that identifies a session): the router exits at start without --session-key`,
    ],
    [
      "a session key the routing logic ignores",
      (e) => (e.ml.llm.router = { routingLogic: "roundrobin", sessionKey: "x-user-id" }),
      `${STG}: ml.llm.router.sessionKey: got "x-user-id"; is only used by routingLogic "session" (got "roundrobin")`,
    ],
  ])("rejects %s", (_what, mutate, message) => {
    const problems = problemsOf("staging", withServing(mutate));
    expect(problems).toEqual([expect.stringContaining(message)]);
  });

  test("a time-sliced pool takes engines whose memory shares fit one GPU together", () => {
    const env = validateEnvironment("staging", withServing((e) => {
      e.compute.gpuSharing = { "gpu-inference": { mode: "time-slicing", replicas: 3 } };
      e.ml.llm.models[0].gpuMemoryUtilization = 0.33;
    }));
    expect(env.ml.llm.models[0].gpuMemoryUtilization).toBe(0.33);
  });

  test("session routing with a key reaches the router as --session-key", () => {
    const env = validateEnvironment("staging", withServing((e) => (e.ml.llm.router = { routingLogic: "session", sessionKey: "x-user-id" })));
    const { routingLogic, sessionKey, replicas } = env.ml.llm.router;
    const deployment = routerObjects({ name: "vllm-router", namespace: "llm", replicas, routingLogic, sessionKey, nodeSelector: {}, tolerations: [] }).find((o) => o.kind === "Deployment") as Any;
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    expect([args[args.indexOf("--routing-logic") + 1], args[args.indexOf("--session-key") + 1]]).toEqual(["session", "x-user-id"]);
  });

  test("the EFA pool of an environment without EFA, and a sharing setting for a pool it lacks, are named", () => {
    const problems = problemsOf("dev", brokenStaging((e) => {
      e.tier = "development";
      e.compute.efa = { mode: "disabled" };
      delete e.resilience;
      delete e.compute.gpuTrainingPool;
      e.compute.gpuSharing = { "gpu-training": { mode: "time-slicing", replicas: 2 } };
    }));
    expect(problems).toEqual(['environment "dev": compute.gpuSharing.gpu-training.mode: got "time-slicing"; the environment has no gpu-training pool']);
  });
});

describe("ml.ray", () => {
  test.each<[string, (e: LooseInput) => void, string]>([
    ["the former maxWorkers (training workers are now fixed, the RayService's maximum is serve.maxWorkers)", (e) => (e.ml.ray = { maxWorkers: 4 }), `${STG}: ml.ray.maxWorkers: unknown field (got 4)`],
    ["no training workers", (e) => (e.ml.ray = { trainingWorkers: 0 }), `${STG}: ml.ray.trainingWorkers: got 0; `],
    ["a RayService that may never scale past zero workers", (e) => (e.ml.ray = { serve: { maxWorkers: 0 } }), `${STG}: ml.ray.serve.maxWorkers: got 0; `],
  ])("%s is rejected", (_name, mutate, message) => {
    expect(problemsOf("staging", brokenStaging(mutate))).toEqual([expect.stringContaining(message)]);
  });

  test("defaults: two training workers, a RayService of up to two workers", () => {
    expect(validateEnvironment("staging", brokenStaging(() => undefined)).ml.ray).toEqual({ enabled: true, trainingWorkers: 2, serve: { maxWorkers: 2 } });
  });
});
