#!/usr/bin/env node
// `npm run synth` and `cdktf synth` (cdktf.json's app): builds dist/ only when an input changed since the last
// build (scripts/build.mjs), then runs dist/main.js in this same process, saving a second node start-up.
import { createRequire } from "node:module";
import { join } from "node:path";
import { ensureBuilt } from "./build.mjs";

const { outdir } = await ensureBuilt();
createRequire(import.meta.url)(join(outdir, "main.js"));
