// Child process of jest's global setup (test/global-setup.ts): synthesizes environments with the esbuild build in
// dist/, as `npm run synth` does, instead of ts-jest-transpiled modules in jest's own process. Two of these run at
// once (the project's environments and the delivery examples), each with a V8 code cache beside the build.
// Usage: node synth-child.cjs <dist> <outdir> [<inputs file: v8-serialized [name, input] pairs>]
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const v8 = require("node:v8");

const [dist, outdir, inputsFile] = process.argv.slice(2);
// Its own cache file: `npm run synth` loads the bundle, this the separately built modules (each run keeps only the
// entries it used). Both children write it atomically.
require("../../scripts/lib/code-cache.cjs").installCodeCache(join(dist, ".code-cache-tests"));
// First, as in main.ts: cdktf's runtime patches must be in place before cdktf loads.
require(join(dist, "scripts/lib/synth-runtime.js"));
const { loadEnvironments, validateEnvironment } = require(join(dist, "environments/lib/load.js"));
const { buildApp } = require(join(dist, "stacks/app.js"));

const envs = inputsFile
  ? v8.deserialize(readFileSync(inputsFile)).map(([name, input]) => validateEnvironment(name, input))
  : loadEnvironments(join(dist, "environments"));
buildApp(envs, outdir).synth();
