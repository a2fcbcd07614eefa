#!/usr/bin/env node
// Transpiles the project's TypeScript to dist/ with esbuild (no type-check: `npm test` runs tsc --noEmit).
// Keeps type-checking and ts-node off the synth hot path: synth is plain node on the emitted JS.
import { buildSync } from "esbuild";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
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
try {
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
} catch (e) {
  // esbuild has printed each error with its file, line and source excerpt; a stack trace of this script adds nothing.
  const errors = e.errors ?? [];
  console.error(`build failed: ${errors.length || "an"} error(s)${errors[0]?.location ? `, first in ${errors[0].location.file}:${errors[0].location.line}` : `: ${e.message}`}`);
  process.exit(1);
}
// Anything in environments/ that is not a module would vanish from dist/ and be ignored without a word: copy it so
// the loader sees it and rejects it with its name.
for (const e of readdirSync(join(root, "environments"), { withFileTypes: true })) {
  if (e.name === "lib" || e.name.startsWith(".") || (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))) continue;
  if (e.isDirectory()) mkdirSync(join(outdir, "environments", e.name), { recursive: true });
  else if (e.name.endsWith(".js") && entryPoints.includes(join(root, "environments", e.name.replace(/\.js$/, ".ts")))) {
    // Copying it would silently replace the module built from the .ts file of the same name.
    console.error(`build failed: environments/${e.name} and environments/${e.name.replace(/\.js$/, ".ts")} both define environment "${e.name.replace(/\.js$/, "")}": keep one`);
    process.exit(1);
  } else cpSync(join(root, "environments", e.name), join(outdir, "environments", e.name));
}
// The in-repo charts travel with the JS so constructs find them at the same relative path in src and dist.
cpSync(join(root, "charts"), join(outdir, "charts"), { recursive: true });
if (process.argv.includes("--verbose")) console.log(`built ${entryPoints.length} files: ${entryPoints.map((p) => relative(root, p)).join(" ")}`);
