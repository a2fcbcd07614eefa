// A V8 code cache for the CommonJS modules `npm run synth` loads (the 5 MB dist/main.js bundle of cdktf, the provider
// bindings, zod and the project, and the few files beside it; jest's global setup keeps its own for the separately
// built modules). Compiling them was ~10% of synthesis. Node 22 has module.enableCompileCache;
// Node 20 (this project's minimum) does not, so scripts/synth.mjs installs this hook, as v8-compile-cache did:
// modules are compiled with vm.Script and V8's cached data, and at exit the cache is rewritten with the code V8
// compiled during the run (lazily compiled functions included) if any module missed. CommonJS so jest can test it.
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname } = require("node:path");
const vm = require("node:vm");

const MAGIC = "mlp-code-cache-1\n";

/**
 * Cache keys: the file name and a SHA-1 of the source. V8 itself only checks the source's length, its own version
 * and its flags before using cached code, so an edited file of the same length would run stale code without the hash.
 */
function keyOf(filename, source) {
  return `${filename}\0${createHash("sha1").update(source).digest("base64")}`;
}

/** Reads a cache file: MAGIC, then per entry a uint32 key length, the key, a uint32 data length, the data. */
function readCache(file) {
  const entries = new Map();
  let buf;
  try {
    buf = readFileSync(file);
  } catch {
    return entries;
  }
  if (buf.toString("latin1", 0, MAGIC.length) !== MAGIC) return entries;
  let at = MAGIC.length;
  while (at + 8 <= buf.length) {
    const keyLength = buf.readUInt32LE(at);
    const key = buf.toString("utf8", at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const dataLength = buf.readUInt32LE(at);
    if (at + 4 + dataLength > buf.length) break; // truncated: keep what is whole
    entries.set(key, buf.subarray(at + 4, at + 4 + dataLength));
    at += 4 + dataLength;
  }
  return entries;
}

/** Writes a cache file atomically (temp file, then rename), so a concurrent reader sees the old or the new one. */
function writeCache(file, entries) {
  const parts = [Buffer.from(MAGIC, "latin1")];
  for (const [key, data] of entries) {
    const k = Buffer.from(key, "utf8");
    const header = Buffer.alloc(4);
    header.writeUInt32LE(k.length);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(data.length);
    parts.push(header, k, size, data);
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, file);
}

/** `require` for a module, as Node's own loader builds it (lib/internal/modules/helpers.js makeRequireFunction). */
function makeRequire(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Compiles every CommonJS module loaded from now on with the code cached in `file`, and rewrites `file` at exit when
 * a module was not in it (only entries used in this run are kept, so old versions drop out). A rejected or missing
 * entry only means a normal compile. Returns counters for tests: modules served from the cache, and compiled.
 */
function installCodeCache(file) {
  const cached = readCache(file);
  const kept = new Map();
  const compiled = new Map();
  let fromCache = 0;
  const original = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename) {
    // A hashbang is valid only at the very start of a script, not inside the module wrapper.
    if (content.startsWith("#!")) return original.call(this, content, filename);
    const key = keyOf(filename, content);
    const cachedData = cached.get(key);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
    if (cachedData && !script.cachedDataRejected) {
      kept.set(key, cachedData);
      fromCache++;
    } else compiled.set(key, script);
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, makeRequire(this), this, filename, dirname(filename));
  };
  process.once("exit", () => {
    if (compiled.size === 0) return;
    // After the run: the cached data then holds the functions V8 compiled lazily, not only the top level.
    for (const [key, script] of compiled) kept.set(key, script.createCachedData());
    try {
      writeCache(file, kept);
    } catch {
      // An unwritable cache only costs speed next time.
    }
  });
  return { stats: () => ({ fromCache, compiled: compiled.size }) };
}

module.exports = { installCodeCache, readCache, writeCache, keyOf };
