// Runtime tuning of cdktf 0.21 for synthesis: main.ts imports this module before anything loads cdktf, and so do
// jest's global setup and setup files. Both changes only drop work whose result synthesis never uses, so the
// output is byte for byte the same (test/synth-runtime.verify.ts and `npm run bench` compare against a run with
// MLP_SYNTH_PATCHES=off). node_modules is never edited.
import Module from "node:module";
import { dirname } from "node:path";

/** Set to `off` to run cdktf unpatched (cdktf's default path in the bench; token creation stacks for debugging). */
export const SYNTH_PATCHES_VAR = "MLP_SYNTH_PATCHES";

const patchesOff = () => process.env[SYNTH_PATCHES_VAR] === "off";

/**
 * Makes cdktf's tokens skip capturing their creation stack. cdktf captures a full stack trace (Error.stackTraceLimit
 * raised to the maximum) for every Intrinsic, Lazy and reference token it creates, only to print it if that token
 * later fails to resolve; no setting turns this off (`stackTraces: false` only keeps traces out of annotations).
 * It was ~15% of synthesis. Tokens look `captureStackTrace` up on the module's exports at each call, so replacing
 * the export is enough. Returns whether the patch is in place.
 */
export function disableTokenStackTraces(): boolean {
  if (patchesOff()) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace?: unknown };
  // Another cdktf version may have moved it: synthesis then keeps the slower path (test/synth-runtime.test.ts fails).
  if (typeof mod.captureStackTrace !== "function") return false;
  mod.captureStackTrace = noCreationStack;
  return true;
}

/** The creation stack of a token when capturing is off: none (cdktf then prints no stack with an error). */
function noCreationStack(): string[] {
  return [];
}

/**
 * Defers loading `archiver` (about 40 modules, ~60 ms) until something uses it. cdktf's private/fs.js requires it
 * at load time but calls it only when that file runs as its own child process to zip an ARCHIVE asset, and that
 * child loads the real module. Works through Node's require cache, so only under Node's CommonJS loader (not in a
 * jest test file) and only before cdktf is first required. Returns whether it is in place.
 */
export function deferArchiver(): boolean {
  if (patchesOff() || !(module instanceof Module)) return false;
  const path = require.resolve("archiver", { paths: [dirname(require.resolve("cdktf/lib/private/fs"))] });
  if (require.cache[path]) return false;
  let real: object | undefined;
  const load = (): object => {
    delete require.cache[path];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    real ??= require(path) as object;
    return real;
  };
  const lazy = new Proxy(function archiver() {}, {
    apply: (_target, thisArg, args) => Reflect.apply(load() as (...a: unknown[]) => unknown, thisArg, args),
    get: (_target, key) => Reflect.get(load(), key),
  });
  const record = new Module(path);
  record.filename = path;
  record.loaded = true;
  record.exports = lazy;
  require.cache[path] = record;
  return true;
}

/** What this module changed in the running process. */
export const synthRuntime = { tokenStackTracesDisabled: disableTokenStackTraces(), archiverDeferred: deferArchiver() };
