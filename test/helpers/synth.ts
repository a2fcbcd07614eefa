import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironments } from "../../environments/lib/load";
import type { Environment } from "../../environments/lib/schema";

/** The project's environment files, validated (loaded once per test worker). */
let envCache: Environment[] | undefined;
export function projectEnvironments(): Environment[] {
  envCache ??= loadEnvironments(join(__dirname, "../../environments"));
  return envCache;
}

export function projectEnvironment(name: string): Environment {
  const env = projectEnvironments().find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
}

/** A synthesized stack: its id and parsed cdk.tf.json. */
export interface SynthesizedStack {
  readonly id: string;
  readonly json: TerraformJson;
  readonly text: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TerraformJson = { resource?: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>>; provider?: Record<string, any[]>; terraform?: any; output?: Record<string, any>; variable?: Record<string, any> };

/** Synthesizes environments with the real app into a fresh temp dir and reads every stack back. */
export function synthesize(envs: readonly Environment[]): { outdir: string; stacks: SynthesizedStack[] } {
  const outdir = mkdtempSync(join(tmpdir(), "mlp-synth-"));
  // Loaded lazily: tests that only read the shared synthesis never pay for cdktf and the providers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require("../../stacks/app") as typeof import("../../stacks/app");
  buildApp(envs, outdir).synth();
  return { outdir, stacks: readStacks(outdir) };
}

/** Reads every stack of a synthesized output dir. */
export function readStacks(outdir: string): SynthesizedStack[] {
  return readdirSync(join(outdir, "stacks"))
    .sort()
    .map((id) => {
      const text = readFileSync(join(outdir, "stacks", id, "cdk.tf.json"), "utf8");
      return { id, text, json: JSON.parse(text) as TerraformJson };
    });
}

let allCache: { outdir: string; stacks: SynthesizedStack[] } | undefined;
/** Env var through which jest's global setup hands every test file one shared synthesis. */
export const SHARED_SYNTH_DIR_VAR = "MLP_TEST_SYNTH_DIR";

/**
 * Every stack of every project environment. Under jest this is the synthesis made once by the global setup
 * (test/global-setup.ts) and read back per test file; elsewhere it synthesizes on first use.
 */
export function synthesizeAll(): { outdir: string; stacks: SynthesizedStack[] } {
  const shared = process.env[SHARED_SYNTH_DIR_VAR];
  allCache ??= shared ? { outdir: shared, stacks: readStacks(shared) } : synthesize(projectEnvironments());
  return allCache;
}

export function stack(id: string): SynthesizedStack {
  const s = synthesizeAll().stacks.find((x) => x.id === id);
  if (!s) throw new Error(`no stack ${id}; have ${synthesizeAll().stacks.map((x) => x.id).join(", ")}`);
  return s;
}

/** All resources of one type in a stack, keyed by logical id. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function resources(s: SynthesizedStack, type: string): Record<string, any> {
  return s.json.resource?.[type] ?? {};
}

/** Every resource of the stack as [type, logicalId, config]. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function allResources(s: SynthesizedStack): Array<[string, string, any]> {
  return Object.entries(s.json.resource ?? {}).flatMap(([type, byId]) => Object.entries(byId).map(([id, cfg]) => [type, id, cfg] as [string, string, unknown]));
}
