#!/usr/bin/env node
// Transpiles the project's TypeScript to dist/ with esbuild (no type-check: `npm test` runs tsc --noEmit).
// Keeps type-checking and ts-node off the synth hot path: synth is plain node on the emitted JS.
// Skips the build when the outdir was built from exactly the current inputs (scripts/lib/build-inputs.cjs: a
// content hash, ~10 ms, instead of a ~250 ms build). Usage: node scripts/build.mjs [--outdir <dir>] [--force] [--verbose]
import { cpSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import inputs from "./lib/build-inputs.cjs";

const root = resolve(import.meta.dirname, "..");

/** Builds into `outdir` unless it is current (or always with `force`). Returns the outdir and whether it built. */
export async function ensureBuilt({ outdir = join(root, "dist"), force = false, verbose = false } = {}) {
  const digest = inputs.inputDigest(root);
  if (!force && inputs.isCurrent(outdir, digest)) {
    if (verbose) console.log(`${relative(process.cwd(), outdir) || "."} is current (inputs ${digest.slice(0, 12)})`);
    return { outdir, built: false };
  }
  // Loaded only to build: most runs find the outdir current.
  const { buildSync } = await import("esbuild");
  const entryPoints = inputs.entryPoints(root);
  rmSync(outdir, { recursive: true, force: true });
  buildSync({ entryPoints: entryPoints.map((f) => join(root, f)), outdir, outbase: root, format: "cjs", platform: "node", target: "node20", sourcemap: false, logLevel: "warning" });
  for (const dir of inputs.COPIED_DIRS) cpSync(join(root, dir), join(outdir, dir), { recursive: true });
  // Last: an interrupted build leaves no stamp, so the next run builds again.
  inputs.writeStamp(outdir, digest);
  if (verbose) console.log(`built ${entryPoints.length} files: ${entryPoints.join(" ")}`);
  return { outdir, built: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--outdir <dir>` builds elsewhere (tests build into a temp dir so they never touch the repo's dist/).
  const outdirFlag = process.argv.indexOf("--outdir");
  if (outdirFlag >= 0 && !process.argv[outdirFlag + 1]) throw new Error("--outdir needs a directory");
  await ensureBuilt({
    outdir: outdirFlag >= 0 ? resolve(process.argv[outdirFlag + 1]) : undefined,
    force: process.argv.includes("--force"),
    verbose: process.argv.includes("--verbose"),
  });
}
