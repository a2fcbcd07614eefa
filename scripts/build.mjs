#!/usr/bin/env node
// Transpiles the project's TypeScript to dist/ with esbuild (no type-check: `npm test` runs tsc --noEmit).
// Keeps type-checking and ts-node off the synth hot path: synth is plain node on the emitted JS.
import { buildSync } from "esbuild";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dirs = ["stacks", "constructs", "environments", "scripts"];

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

// `--outdir <dir>` builds elsewhere (tests build into a temp dir so they never touch the repo's dist/).
const outdirFlag = process.argv.indexOf("--outdir");
if (outdirFlag >= 0 && !process.argv[outdirFlag + 1]) throw new Error("--outdir needs a directory");
const outdir = outdirFlag >= 0 ? resolve(process.argv[outdirFlag + 1]) : join(root, "dist");

const entryPoints = [join(root, "main.ts"), ...dirs.flatMap((d) => tsFiles(join(root, d)))];
rmSync(outdir, { recursive: true, force: true });
buildSync({
  entryPoints,
  outdir,
  outbase: root,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
});
// The in-repo charts travel with the JS so constructs find them at the same relative path in src and dist.
cpSync(join(root, "charts"), join(outdir, "charts"), { recursive: true });
if (process.argv.includes("--verbose")) console.log(`built ${entryPoints.length} files: ${entryPoints.map((p) => relative(root, p)).join(" ")}`);
