#!/usr/bin/env node
// `npm run synth` and `cdktf synth` (cdktf.json's app): builds dist/ only when an input changed since the last
// build (scripts/build.mjs), then runs dist/main.js in this same process, saving a second node start-up, with a V8
// code cache kept beside the build (scripts/lib/code-cache.cjs). MLP_SYNTH_PATCHES=off (scripts/lib/synth-runtime.ts)
// turns the cache off with the other runtime tuning.
import { createRequire } from "node:module";
import { join } from "node:path";
import { BuildError, ensureBuilt } from "./build.mjs";
import codeCache from "./lib/code-cache.cjs";

let outdir;
try {
  ({ outdir } = await ensureBuilt());
} catch (e) {
  if (!(e instanceof BuildError)) throw e;
  console.error(e.message);
  process.exit(1);
}
// Inside dist/: a rebuild deletes it, and a cache entry only serves the exact source it was made from anyway.
if (process.env.MLP_SYNTH_PATCHES !== "off") codeCache.installCodeCache(join(outdir, ".code-cache"));
createRequire(import.meta.url)(join(outdir, "main.js"));
