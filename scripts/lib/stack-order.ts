import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The part of cdktf's `cdktf.out/manifest.json` this reads. */
export interface SynthManifest {
  readonly stacks: Readonly<Record<string, { readonly dependencies: readonly string[]; readonly workingDirectory: string; readonly synthesizedStackPath: string }>>;
}

/** Reads the manifest of a synthesized output directory; explains how to make one when it is missing. */
export function readManifest(outdir: string): SynthManifest {
  const file = join(outdir, "manifest.json");
  if (!existsSync(file)) throw new Error(`${file} does not exist: run \`npm run synth\` first`);
  return JSON.parse(readFileSync(file, "utf8")) as SynthManifest;
}

/** The environments a synthesized output holds (each has a `<env>-bootstrap` stack). */
export function environmentsOf(m: SynthManifest): string[] {
  return Object.keys(m.stacks)
    .filter((id) => id.endsWith("-bootstrap"))
    .map((id) => id.slice(0, -"-bootstrap".length))
    .sort();
}

/**
 * The stacks of one environment in the order Terraform must apply them: every stack after the stacks it depends on
 * (cross-stack references and explicit dependencies, as cdktf records them), ties broken by name. Destroy runs the
 * reverse. Throws when the environment has no stacks or the graph has a cycle.
 */
export function applyOrder(m: SynthManifest, env: string): string[] {
  const mine = Object.keys(m.stacks).filter((id) => id.startsWith(`${env}-`) && id.slice(env.length + 1) !== "" && !id.slice(env.length + 1).includes("-"));
  if (!mine.length) throw new Error(`no stacks of environment "${env}" in the synthesized output; have: ${environmentsOf(m).join(", ")}`);
  const out: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (out.includes(id)) return;
    if (visiting.has(id)) throw new Error(`stack dependency cycle through ${id}`);
    visiting.add(id);
    for (const dep of [...m.stacks[id].dependencies].sort()) visit(dep);
    visiting.delete(id);
    out.push(id);
  };
  for (const id of mine.sort()) visit(id);
  return out;
}
