// Synthesizes every environment once for the whole test run; test files read it through synthesizeAll(). The
// example environments (the shipped ones with docs/delivery.md's models) are synthesized beside them.
// Both run at once in child processes on the esbuild build in dist/ (built first if an input changed, as by
// `npm run synth`), so jest's workers start after about one synthesis, not two in jest-compiled code.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { serialize } from "node:v8";
import { EXAMPLES_SYNTH_DIR_VAR, EXAMPLE_MODELS, exampleInput } from "./helpers/delivery-examples";
import { SHARED_SYNTH_DIR_VAR } from "./helpers/synth";

const repo = resolve(__dirname, "..");
const dist = join(repo, "dist");

/** Runs test/helpers/synth-child.cjs into a fresh temp dir; resolves to that dir, rejects with the child's stderr. */
function synthesizeInChild(args: readonly string[]): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), "mlp-synth-"));
  const child = spawn(process.execPath, [join(__dirname, "helpers", "synth-child.cjs"), dist, outdir, ...args], { cwd: repo, stdio: ["ignore", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((done, fail) => {
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done(outdir) : fail(new Error(`global setup: synthesis failed (exit ${code}):\n${stderr}`))));
  });
}

export default async function globalSetup(): Promise<void> {
  const build = spawnSync(process.execPath, [join(repo, "scripts", "build.mjs")], { cwd: repo, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`global setup: scripts/build.mjs failed:\n${build.stderr}${build.stdout}`);
  const project = synthesizeInChild([]);
  // Awaited below with the other; until then a failure must not count as unhandled.
  project.catch(() => undefined);
  // Built while the first child runs: the inputs are the environment files' data with the docs' models added.
  const inputsFile = join(mkdtempSync(join(tmpdir(), "mlp-examples-")), "inputs.v8");
  writeFileSync(inputsFile, serialize((Object.keys(EXAMPLE_MODELS) as Array<keyof typeof EXAMPLE_MODELS>).map((name) => [name, exampleInput(name)])));
  const examples = synthesizeInChild([inputsFile]).finally(() => rmSync(dirname(inputsFile), { recursive: true, force: true }));
  [process.env[SHARED_SYNTH_DIR_VAR], process.env[EXAMPLES_SYNTH_DIR_VAR]] = await Promise.all([project, examples]);
}
