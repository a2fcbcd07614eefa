#!/usr/bin/env node
// Transpiles the project's TypeScript to dist/ with esbuild (no type-check: `npm test` runs tsc --noEmit), one file
// per module, then replaces dist/main.js with a bundle of main.ts and its dependencies (bundleMain below).
// Keeps type-checking and ts-node off the synth hot path: synth is plain node on the emitted JS.
// Skips the build when the outdir was built from exactly the current inputs (scripts/lib/build-inputs.cjs: a
// content hash, ~10 ms, instead of a ~250 ms build). Usage: node scripts/build.mjs [--outdir <dir>] [--force] [--verbose]
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import inputs from "./lib/build-inputs.cjs";

const root = resolve(import.meta.dirname, "..");

/** A build failure the caller reports as one line and exit 1 (esbuild has printed each error with its source). */
export class BuildError extends Error {}

/** Builds into `outdir` unless it is current (or always with `force`). Returns the outdir and whether it built. */
export async function ensureBuilt({ outdir = join(root, "dist"), force = false, verbose = false } = {}) {
  const digest = inputs.inputDigest(root);
  if (!force && inputs.isCurrent(outdir, digest)) {
    if (verbose) console.log(`${relative(process.cwd(), outdir) || "."} is current (inputs ${digest.slice(0, 12)})`);
    return { outdir, built: false };
  }
  // Loaded only to build: most runs find the outdir current.
  const { build, buildSync } = await import("esbuild");
  const entryPoints = inputs.entryPoints(root);
  rmSync(outdir, { recursive: true, force: true });
  try {
    buildSync({ entryPoints: entryPoints.map((f) => join(root, f)), outdir, outbase: root, format: "cjs", platform: "node", target: "node20", sourcemap: false, logLevel: "warning" });
    await bundleMain(build, outdir, entryPoints);
  } catch (e) {
    const errors = e.errors ?? [];
    throw new BuildError(`build failed: ${errors.length || "an"} error(s)${errors[0]?.location ? `, first in ${errors[0].location.file}:${errors[0].location.line}` : `: ${e.message}`}`);
  }
  copyEnvironmentExtras(outdir, entryPoints);
  for (const dir of inputs.COPIED_DIRS) cpSync(join(root, dir), join(outdir, dir), { recursive: true });
  // Last: an interrupted build leaves no stamp, so the next run builds again.
  inputs.writeStamp(outdir, digest);
  if (verbose) console.log(`built ${entryPoints.length} files: ${entryPoints.join(" ")}`);
  return { outdir, built: true };
}

/**
 * dist/main.js as one bundle of main.ts with the project's modules and node_modules (cdktf, the providers, zod, yaml):
 * Node then resolves, stats and reads one file instead of ~570 (~10% of synthesis's CPU). The code cache
 * (scripts/lib/code-cache.cjs) serves the bundle as it served the single files. What stays outside:
 * - environments/<name>.js, which the loader requires at run time; their imports of environments/lib/* get the
 *   bundled modules (scripts/lib/bundle-registry.ts), so nothing loads twice;
 * - cdktf/lib/private/fs, which runs its own file (__filename) as a child process to zip ARCHIVE assets, and the
 *   archiver it loads, deferred by scripts/lib/synth-runtime.ts through Node's require cache;
 * - the files the separate build wrote, which the other scripts (cost, review, bench) still run.
 * A module's __dirname is its own directory in dist/ (the bundle sits at dist/'s root, which mirrors the repo's).
 */
async function bundleMain(build, outdir, entryPoints) {
  const shared = entryPoints.filter((f) => f.startsWith("environments/lib/") && f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const entry = [
    `require("./scripts/lib/bundle-registry").registerBundledModules({`,
    ...shared.map((f) => `  [require("node:path").join(__dirname, ${JSON.stringify(f.replace(/\.ts$/, ".js"))})]: () => require(${JSON.stringify(`./${f.replace(/\.ts$/, "")}`)}),`),
    `});`,
    `require("./main");`,
  ].join("\n");
  await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: "main-bundle-entry.js", loader: "js" },
    bundle: true,
    outfile: join(outdir, "main.js"),
    allowOverwrite: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    sourcemap: false,
    logLevel: "warning",
    external: ["archiver"],
    plugins: [
      {
        name: "mlp-synth-bundle",
        setup(b) {
          b.onResolve({ filter: /^\.\/private\/fs$|^cdktf\/lib\/private\/fs$/ }, (args) =>
            args.path.startsWith("cdktf/") || /[\\/]cdktf[\\/]lib$/.test(args.resolveDir) ? { path: "cdktf/lib/private/fs", external: true } : undefined,
          );
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            if (args.path.includes("/node_modules/")) return undefined;
            const source = readFileSync(args.path, "utf8");
            if (!source.includes("__dirname")) return { contents: source, loader: "ts" };
            const dir = relative(root, dirname(args.path)).split("\\").join("/");
            return { contents: source.replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${JSON.stringify(dir || ".")})`), loader: "ts" };
          });
        },
      },
    ],
  });
}

// Anything in environments/ that is not a module would vanish from dist/ and be ignored without a word: copy it so
// the loader sees it and rejects it with its name.
function copyEnvironmentExtras(outdir, entryPoints) {
  for (const e of readdirSync(join(root, "environments"), { withFileTypes: true })) {
    if (e.name === "lib" || e.name.startsWith(".") || (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))) continue;
    if (e.isDirectory()) mkdirSync(join(outdir, "environments", e.name), { recursive: true });
    else if (e.name.endsWith(".js") && entryPoints.includes(`environments/${e.name.replace(/\.js$/, ".ts")}`)) {
      // Copying it would silently replace the module built from the .ts file of the same name.
      throw new BuildError(`build failed: environments/${e.name} and environments/${e.name.replace(/\.js$/, ".ts")} both define environment "${e.name.replace(/\.js$/, "")}": keep one`);
    } else cpSync(join(root, "environments", e.name), join(outdir, "environments", e.name));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--outdir <dir>` builds elsewhere (tests build into a temp dir so they never touch the repo's dist/).
  const outdirFlag = process.argv.indexOf("--outdir");
  if (outdirFlag >= 0 && !process.argv[outdirFlag + 1]) {
    console.error("build: --outdir needs a directory");
    process.exit(1);
  }
  try {
    await ensureBuilt({
      outdir: outdirFlag >= 0 ? resolve(process.argv[outdirFlag + 1]) : undefined,
      force: process.argv.includes("--force"),
      verbose: process.argv.includes("--verbose"),
    });
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}
