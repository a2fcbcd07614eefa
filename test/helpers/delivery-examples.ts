// The shipped environments with the models of docs/delivery.md added, as a team adds them once the version is
// registered in the environment's MLflow (the shipped files serve no model, so they apply on an empty account). The
// delivery tests, the review scenarios and the verify checks (helm, CRDs, review end to end) read these, so the
// Rollout, promotion and drift path stays covered although no shipped environment has a model.
import devInput from "../../environments/dev";
import prodInput from "../../environments/prod";
import stagingInput from "../../environments/staging";
import { validateEnvironment } from "../../environments/lib/load";
import type { Environment } from "../../environments/lib/schema";
import { readStacks, synthesize, type SynthesizedStack } from "./synth";

/** The example models per environment, as docs/delivery.md shows them. */
export const EXAMPLE_MODELS = {
  // Development follows the alias; until it names a version nothing is served (no GPU pod).
  dev: [{ name: "churn", registry: { model: "churn", alias: "champion" }, promotion: "automatic" }],
  staging: [{ name: "churn", registry: { model: "churn", alias: "champion" }, version: 7, experiment: { weight: 10, durationMinutes: 60 } }],
  prod: [{ name: "churn", registry: { model: "churn", alias: "champion" }, version: 7 }],
} as const;

/**
 * The inference pool's GPU limit with the example model, where the shipped one has no room for its canary peak beside
 * vLLM, Ray Serve and the team quotas (environments/lib/gpu-demand.ts): dev's churn peaks at 3 GPUs beside 4 claimed
 * (limit 4), staging's at 6 beside 12 (limit 16), so adding the model raises the limit in the same change.
 */
export const EXAMPLE_INFERENCE_GPUS: Partial<Record<keyof typeof EXAMPLE_MODELS, number>> = { dev: 8, staging: 20 };

const INPUTS = { dev: devInput, staging: stagingInput, prod: prodInput };

/** The environment `name`'s input with its example models (a deep copy: the shipped input stays untouched). */
export function exampleInput(name: keyof typeof EXAMPLE_MODELS): Record<string, unknown> {
  const input = structuredClone(INPUTS[name]) as Record<string, unknown> & { delivery?: Record<string, unknown>; compute: { gpuInferencePool: { limits: { gpus: number } } } };
  const gpus = EXAMPLE_INFERENCE_GPUS[name];
  if (gpus !== undefined) input.compute.gpuInferencePool.limits.gpus = gpus;
  return { ...input, delivery: { ...(input.delivery ?? {}), models: structuredClone(EXAMPLE_MODELS[name]) } };
}

let envCache: Environment[] | undefined;
/** dev, staging and prod with their example models, validated like any environment file. */
export function exampleEnvironments(): Environment[] {
  envCache ??= (Object.keys(EXAMPLE_MODELS) as Array<keyof typeof EXAMPLE_MODELS>).map((n) => validateEnvironment(n, exampleInput(n)));
  return envCache;
}

export function exampleEnvironment(name: string): Environment {
  const env = exampleEnvironments().find((e) => e.name === name);
  if (!env) throw new Error(`no example environment ${name}`);
  return env;
}

/** Env var through which jest's global setup hands every test file the examples' synthesis. */
export const EXAMPLES_SYNTH_DIR_VAR = "MLP_TEST_EXAMPLES_SYNTH_DIR";

let allCache: { outdir: string; stacks: SynthesizedStack[] } | undefined;
/** Every stack of the example environments (made once by the global setup under jest). */
export function synthesizeExamples(): { outdir: string; stacks: SynthesizedStack[] } {
  const shared = process.env[EXAMPLES_SYNTH_DIR_VAR];
  allCache ??= shared ? { outdir: shared, stacks: readStacks(shared) } : synthesize(exampleEnvironments());
  return allCache;
}

/** One stack of the example environments, for example `prod-ml`. */
export function exampleStack(id: string): SynthesizedStack {
  const s = synthesizeExamples().stacks.find((x) => x.id === id);
  if (!s) throw new Error(`no example stack ${id}; have ${synthesizeExamples().stacks.map((x) => x.id).join(", ")}`);
  return s;
}
