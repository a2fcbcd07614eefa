#!/usr/bin/env node
// Regenerates the project's oracles (test/oracles/**, constructs/catalog/*.generated.ts) from the upstream reference
// data, so tests and synth never read ../shared. Run after the reference data or the generator changes:
//   npm run generate:oracles            writes every file and removes oracles nothing generates any more
//   npm run generate:oracles -- --check exits 1, listing what differs, without writing
// The reference directory is ML_PLATFORM_REFERENCE_DIR or <repo>/../shared/reference. `npm run generate:catalog` is
// the same command (the catalog used to have its own script).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import oracles from "./lib/oracles/generate.js";
import sources from "./lib/oracles/sources.js";

const root = resolve(import.meta.dirname, "..");
const ref = sources.referenceDir(root);
if (!existsSync(join(ref, "SOURCES.md"))) {
  console.error(`no reference data at ${ref} (SOURCES.md missing): set ML_PLATFORM_REFERENCE_DIR to the reference directory`);
  process.exit(2);
}

const files = oracles.generateOracles({ repoRoot: root, referenceDir: ref });
const committed = sources.listFiles(join(root, oracles.ORACLE_DIR)).map((f) => `${oracles.ORACLE_DIR}/${f}`);
// Oracles nothing generates any more (a reference file was removed); test files may sit beside them.
const stale = committed.filter((f) => !files.has(f) && !f.endsWith(".ts"));
const changed = [...files].filter(([f, text]) => !existsSync(join(root, f)) || readFileSync(join(root, f), "utf8") !== text).map(([f]) => f);

if (process.argv.includes("--check")) {
  for (const f of changed) console.error(`differs or missing: ${f}`);
  for (const f of stale) console.error(`not generated any more: ${f}`);
  if (changed.length || stale.length) {
    console.error(`oracles are out of date: run \`${oracles.COMMAND}\``);
    process.exitCode = 1;
  } else console.log(`${files.size} files up to date`);
} else {
  for (const f of changed) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), files.get(f));
  }
  for (const f of stale) rmSync(join(root, f));
  let bytes = 0;
  for (const text of files.values()) bytes += Buffer.byteLength(text);
  console.log(`${files.size} files (${(bytes / 1e6).toFixed(2)} MB) from ${ref}: ${changed.length} written, ${stale.length} removed`);
}
