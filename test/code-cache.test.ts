import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** scripts/lib/code-cache.cjs (the V8 code cache of `npm run synth`); its hook is exercised in synth-launcher.verify.ts. */
interface CodeCache {
  keyOf(filename: string, source: string): string;
  readCache(file: string): Map<string, Buffer>;
  writeCache(file: string, entries: Map<string, Buffer>): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cache = require("../scripts/lib/code-cache.cjs") as CodeCache;

describe("code cache file and keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlp-code-cache-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("entries written are read back byte for byte", () => {
    const entries = new Map([
      [cache.keyOf("/a.js", "module.exports = 1;"), Buffer.from([1, 2, 3])],
      [cache.keyOf("/dir/b.js", "exports.b = 'ü';"), Buffer.alloc(70_000, 7)],
    ]);
    cache.writeCache(join(dir, "sub", "cache"), entries);
    expect(cache.readCache(join(dir, "sub", "cache"))).toEqual(entries);
  });

  test("a source edited to the same length gets another key (V8 alone would accept the old code)", () => {
    expect(cache.keyOf("/a.js", "module.exports = 1;")).not.toBe(cache.keyOf("/a.js", "module.exports = 2;"));
    expect(cache.keyOf("/a.js", "x")).not.toBe(cache.keyOf("/b.js", "x"));
  });

  test("a missing, foreign or truncated file gives the entries that are whole, never an error", () => {
    expect(cache.readCache(join(dir, "missing")).size).toBe(0);
    writeFileSync(join(dir, "foreign"), "not a cache");
    expect(cache.readCache(join(dir, "foreign")).size).toBe(0);
    const entries = new Map([[cache.keyOf("/a.js", "1"), Buffer.alloc(10, 1)], [cache.keyOf("/b.js", "2"), Buffer.alloc(1000, 2)]]);
    cache.writeCache(join(dir, "whole"), entries);
    const bytes = readFileSync(join(dir, "whole"));
    writeFileSync(join(dir, "truncated"), bytes.subarray(0, bytes.length - 10));
    expect([...cache.readCache(join(dir, "truncated")).keys()]).toEqual([cache.keyOf("/a.js", "1")]);
  });
});
