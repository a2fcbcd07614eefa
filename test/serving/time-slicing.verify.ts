// A staging variant whose GPU inference pool is time-sliced (2 per GPU), synthesized and walked end to end: no shipped
// environment time-slices, so this is where the path is proven. Here rather than in the unit suite: it synthesizes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateEnvironment } from "../../environments/lib/load";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { walkDeploy } from "../helpers/deploy-walk/walk";
import { brokenStaging } from "../helpers/environments";
import { release, renderedObjects } from "../helpers/ml-helm";
import { synthesize } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe("staging with a time-sliced GPU inference pool", () => {
  // Two Llama-3.1-8B engines (16 GB of bf16 weights each) per 48 GB L40S: each may reserve at most half of it.
  const env = validateEnvironment("staging", brokenStaging((e) => {
    e.compute.gpuSharing = { "gpu-inference": { mode: "time-slicing", replicas: 2 } };
    e.ml.llm.models[0].gpuMemoryUtilization = 0.45;
  }));
  const { outdir, stacks } = synthesize([env]);
  const platform = stacks.find((s) => s.id === "staging-platform")!;

  test("the first deploy walks clean: Triton and vLLM get time-sliced GPUs on the inference pool", () => {
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
    const input = stacks.filter((s) => manifest.stacks[s.id]);
    const result = walkDeploy({ stacks: input, dependencies: Object.fromEntries(input.map((s) => [s.id, manifest.stacks[s.id].dependencies])), footprints: declaredFootprints([env]) });
    expect(result.findings).toEqual([]);
  });

  test("the pool's nodes select the time-slicing config, its limit counts slices, and Karpenter learns them", () => {
    const pool = renderedObjects(platform).find(({ obj }) => obj.kind === "NodePool" && obj.metadata.name === "gpu-inference")!.obj;
    expect(pool.spec.template.metadata.labels["nvidia.com/device-plugin.config"]).toBe("gpu-inference");
    expect(pool.spec.limits["nvidia.com/gpu"]).toBe(16 * 2);
    const plugin = release(platform, "nvidia-device-plugin").values as Any;
    expect(parse(plugin.config.map["gpu-inference"]).sharing.timeSlicing.resources).toEqual([{ name: "nvidia.com/gpu", replicas: 2 }]);
    expect((release(platform, "karpenter").values as Any).settings.featureGates).toMatchObject({ nodeOverlay: true });
    const overlay = renderedObjects(platform).find(({ obj }) => obj.kind === "NodeOverlay" && obj.metadata.name === "gpu-inference-g6e-48xlarge")!.obj;
    expect(overlay.spec.capacity).toEqual({ "nvidia.com/gpu": "16" });
    // No MIG pool, so no GPU Operator.
    expect(renderedObjects(platform).some(({ release: r }) => r === "gpu-operator")).toBe(false);
    expect(() => release(platform, "gpu-operator")).toThrow("has no helm release gpu-operator");
  });
});
