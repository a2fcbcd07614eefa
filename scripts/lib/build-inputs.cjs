// What scripts/build.mjs builds from, and whether a build output is current. CommonJS so that build.mjs (before
// anything is built) and the jest tests (test/build-inputs.test.ts) load the same code.
// A build output is current when `<outdir>/.build-stamp` holds the SHA-256 of every input file's path and bytes
// (plus esbuild's version) and every output it lists exists. Content, not mtimes: a fresh clone, a `git checkout`,
// an edit, an added or deleted file all change it; a touch or a checkout back to the same bytes does not.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, readdirSync, readFileSync, writeFileSync } = require("node:fs");
const { join, relative } = require("node:path");

/** Directories whose .ts files are transpiled; every file in them is an input. */
const SOURCE_DIRS = ["stacks", "constructs", "environments", "scripts"];
/** Copied into the output as they are (constructs find the in-repo charts at the same relative path). */
const COPIED_DIRS = ["charts"];
/** Single files that change what esbuild emits. */
const INPUT_FILES = ["main.ts", "tsconfig.json"];
const STAMP = ".build-stamp";

/** Every file under `dir`, as sorted paths relative to `base` with forward slashes. */
function filesUnder(dir, base) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = join(dir, e.name);
      return e.isDirectory() ? filesUnder(p, base) : e.isFile() ? [relative(base, p).split("\\").join("/")] : [];
    })
    .sort();
}

/** The build's inputs under `root`, sorted: the input files, every file in the source and copied directories. */
function inputFiles(root) {
  const dirs = [...SOURCE_DIRS, ...COPIED_DIRS].filter((d) => existsSync(join(root, d)));
  return [...INPUT_FILES.filter((f) => existsSync(join(root, f))), ...dirs.flatMap((d) => filesUnder(join(root, d), root))].sort();
}

/** The .ts files esbuild transpiles (main.ts and the source directories' modules), relative to `root`. */
function entryPoints(root) {
  return inputFiles(root).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && (f === "main.ts" || SOURCE_DIRS.some((d) => f.startsWith(`${d}/`))));
}

/** SHA-256 over esbuild's version and every input's path, size and bytes. */
function inputDigest(root) {
  const hash = createHash("sha256");
  hash.update(`esbuild ${require("esbuild/package.json").version}\0`);
  for (const file of inputFiles(root)) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

/** Whether `outdir` holds a complete build of the inputs with this digest. */
function isCurrent(outdir, digest) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(outdir, STAMP), "utf8"));
  } catch {
    return false;
  }
  return stamp.digest === digest && Array.isArray(stamp.outputs) && stamp.outputs.length > 0 && stamp.outputs.every((f) => existsSync(join(outdir, f)));
}

/** Records that `outdir` now holds a complete build of the inputs with this digest (written after the build). */
function writeStamp(outdir, digest) {
  writeFileSync(join(outdir, STAMP), `${JSON.stringify({ digest, outputs: filesUnder(outdir, outdir) })}\n`);
}

module.exports = { SOURCE_DIRS, COPIED_DIRS, INPUT_FILES, STAMP, inputFiles, entryPoints, inputDigest, isCurrent, writeStamp };
