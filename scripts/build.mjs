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

const entryPoints = [join(root, "main.ts"), ...dirs.flatMap((d) => tsFiles(join(root, d)))];
rmSync(join(root, "dist"), { recursive: true, force: true });
buildSync({
  entryPoints,
  outdir: join(root, "dist"),
  outbase: root,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
});
// The in-repo charts travel with the JS so constructs find them at the same relative path in src and dist.
cpSync(join(root, "charts"), join(root, "dist/charts"), { recursive: true });
if (process.argv.includes("--verbose")) console.log(`built ${entryPoints.length} files: ${entryPoints.map((p) => relative(root, p)).join(" ")}`);
