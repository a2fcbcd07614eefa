// Runtime tuning of cdktf 0.21 for synthesis: main.ts imports this module before anything loads cdktf, and so do
// jest's global setup and setup files. Each change only drops or moves work whose result synthesis never uses, so
// the output is byte for byte the same (test/synth-runtime.verify.ts and `npm run bench` compare against a run
// with MLP_SYNTH_PATCHES=off). node_modules is never edited.
import { existsSync, mkdtempSync, readdirSync, renameSync, rm } from "node:fs";
import Module from "node:module";
import { dirname, join } from "node:path";
import { fastResolve, type TokenEncoding } from "./fast-resolve";

/**
 * Set to `off` to synthesize as cdktf does by default: no patches, no assets set aside (the bench's reference, and
 * token creation stacks when debugging a resolution error).
 */
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

/**
 * cdktf's token encoding, as scripts/lib/fast-resolve.ts needs it, from the cdktf loaded in this module registry; or
 * undefined when this cdktf version differs from the one it was written against.
 */
export function cdktfTokenEncoding(): TokenEncoding | undefined {
  /* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
  const encoding = require("cdktf/lib/tokens/private/encoding") as Record<string, any>;
  const { Token } = require("cdktf/lib/tokens/token") as { Token: Record<string, unknown> };
  /* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
  const needed = ["TokenString", "extractTokenDouble", "containsStringListTokenElement", "containsNumberListTokenElement", "containsMapToken"];
  if (!needed.every((k) => typeof encoding[k] === "function") || typeof Token.NUMBER_MAP_TOKEN_VALUE !== "number") return undefined;
  // Every string or list token holds this marker; a plain string without it needs no tokenizing.
  if (encoding.BEGIN_STRING_TOKEN_MARKER !== "${TfToken[" || encoding.BEGIN_LIST_TOKEN_MARKER !== "#{TfToken[") return undefined;
  return {
    TOKEN_MARKER: "TfToken[",
    stringMapTokenValues: [Token.STRING_MAP_TOKEN_VALUE as string, Token.ANY_MAP_TOKEN_VALUE as string],
    numberMapTokenValue: Token.NUMBER_MAP_TOKEN_VALUE,
    hasNumberTokens: (s) => encoding.TokenString.forNumbers(s).test(),
    isNumberToken: (x) => encoding.extractTokenDouble(x, false) !== undefined,
    containsStringListTokenElement: encoding.containsStringListTokenElement,
    containsNumberListTokenElement: encoding.containsNumberListTokenElement,
    containsMapToken: encoding.containsMapToken,
  };
}

/**
 * Replaces the `resolve` export of cdktf's token resolver with one that walks plain data itself and calls cdktf's own
 * for tokens (scripts/lib/fast-resolve.ts). cdktf calls it through the module's exports (Tokenization.resolve), so
 * replacing the export is enough. Returns whether it is in place.
 */
export function speedUpTokenResolution(): boolean {
  if (patchesOff()) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("cdktf/lib/tokens/private/resolve") as { resolve?: unknown };
  const enc = cdktfTokenEncoding();
  // Another cdktf version may have moved these: synthesis then keeps cdktf's path (test/synth-runtime.test.ts fails).
  if (typeof mod.resolve !== "function" || !enc) return false;
  mod.resolve = fastResolve(mod.resolve as Parameters<typeof fastResolve>[0], enc);
  return true;
}

/** What this module changed in the running process. */
export const synthRuntime = { tokenStackTracesDisabled: disableTokenStackTraces(), archiverDeferred: deferArchiver(), tokenResolutionSpedUp: speedUpTokenResolution() };

/**
 * Where the process keeps `synthRuntime` for checks from outside: inside the dist/main.js bundle this module has no
 * file of its own to require (test/synth-runtime.verify.ts reads it after a bundled synthesis).
 */
export const SYNTH_RUNTIME_KEY = Symbol.for("ml-platform.synthRuntime");
(globalThis as Record<symbol, unknown>)[SYNTH_RUNTIME_KEY] = synthRuntime;

/** Where the previous synthesis's assets wait for deletion, inside the outdir (a rename must not cross devices). */
const PREVIOUS_ASSETS_PREFIX = ".previous-assets-";

/**
 * Moves every stack's `assets/` directory of a previous synthesis aside and deletes it in the background while this
 * synthesis runs. cdktf would delete each asset's directory synchronously before copying it again (~30 ms of
 * unlinks on the main thread); it then finds none and only copies. A stack's other files (.terraform, lock files)
 * stay. Asset directories of constructs that no longer exist go too, as do leftovers of an interrupted run. Call
 * after validation, before `app.synth()`. The promise says when the deletions are done (failures are left for the
 * next run); the process does not exit before that.
 */
export function setAsidePreviousAssets(outdir: string): Promise<void> {
  const stacks = join(outdir, "stacks");
  if (patchesOff() || !existsSync(stacks)) return Promise.resolve();
  let aside: string | undefined;
  for (const stack of readdirSync(stacks)) {
    const assets = join(stacks, stack, "assets");
    if (!existsSync(assets)) continue;
    aside ??= mkdtempSync(join(outdir, PREVIOUS_ASSETS_PREFIX));
    renameSync(assets, join(aside, stack));
  }
  const deletions = readdirSync(outdir)
    .filter((entry) => entry.startsWith(PREVIOUS_ASSETS_PREFIX))
    .map((entry) => new Promise<void>((done) => rm(join(outdir, entry), { recursive: true, force: true }, () => done())));
  return Promise.all(deletions).then(() => undefined);
}
