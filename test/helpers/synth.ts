import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironments } from "../../environments/lib/load";
import type { Environment } from "../../environments/lib/schema";
import { buildApp } from "../../stacks/app";

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
export type TerraformJson = { resource?: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>>; provider?: Record<string, any[]>; terraform?: any; output?: Record<string, any> };

/** Synthesizes environments with the real app into a fresh temp dir and reads every stack back. */
export function synthesize(envs: readonly Environment[]): { outdir: string; stacks: SynthesizedStack[] } {
  const outdir = mkdtempSync(join(tmpdir(), "mlp-synth-"));
  buildApp(envs, outdir).synth();
  const stacks = readdirSync(join(outdir, "stacks"))
    .sort()
    .map((id) => {
      const text = readFileSync(join(outdir, "stacks", id, "cdk.tf.json"), "utf8");
      return { id, text, json: JSON.parse(text) as TerraformJson };
    });
  return { outdir, stacks };
}

let allCache: { outdir: string; stacks: SynthesizedStack[] } | undefined;
/** Every stack of every project environment, synthesized once per test worker. */
export function synthesizeAll(): { outdir: string; stacks: SynthesizedStack[] } {
  allCache ??= synthesize(projectEnvironments());
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
