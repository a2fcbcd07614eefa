// The jest transform (test/esbuild-transform.cjs): what every test file and module under test goes through.
import { runInNewContext } from "node:vm";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const transform = require("./esbuild-transform.cjs") as { process(src: string, file: string): { code: string }; getCacheKey(src: string, file: string): string };

const SOURCE = `import type { Foo } from "./nowhere";
import { join } from "node:path";
export const answer = (x: number): number => x * 2;
export function joined(a: Foo | string): string { return join(String(a), "b"); }
`;

test("TypeScript becomes CommonJS: types and type-only imports gone, runtime imports kept as require", () => {
  const { code } = transform.process(SOURCE, "/x/example.ts");
  const required: string[] = [];
  const mod = { exports: {} as Record<string, (...a: unknown[]) => unknown> };
  runInNewContext(code, { module: mod, exports: mod.exports, require: (id: string) => (required.push(id), require(id)) });
  expect(required).toEqual(["node:path"]);
  expect(mod.exports.answer(21)).toBe(42);
  expect(mod.exports.joined("a")).toBe("a/b");
});

test("the cache key follows the source and the file name, so an edit is never served stale", () => {
  const key = transform.getCacheKey(SOURCE, "/x/example.ts");
  expect(transform.getCacheKey(SOURCE, "/x/example.ts")).toBe(key);
  expect(transform.getCacheKey(SOURCE.replace("* 2", "* 3"), "/x/example.ts")).not.toBe(key);
  expect(transform.getCacheKey(SOURCE, "/x/other.ts")).not.toBe(key);
});

test("a syntax error fails the transform, naming the file", () => {
  expect(() => transform.process("export const = 1;", "/x/broken.ts")).toThrow(/broken\.ts/);
});
