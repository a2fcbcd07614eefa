// Runtime half of the synth bundle (scripts/build.mjs bundles main.ts and its dependencies into dist/main.js).
// Environment files stay separate modules (the loader discovers and requires them at run time) and import
// environments/lib/*: without this, Node would load the separately built copies of those modules (and zod, the
// schema and everything they import) a second time beside the bundled ones. Kept free of imports: the bundle's
// entry loads it before anything else.
import Module from "node:module";

/**
 * Makes `require` of each given file (absolute path of its separately built module, which must exist so that Node
 * resolves to it) return the bundled module's exports, loaded on first use.
 */
export function registerBundledModules(modules: Readonly<Record<string, () => unknown>>): void {
  for (const [filename, load] of Object.entries(modules)) {
    const record = new Module(filename);
    record.filename = filename;
    record.loaded = true;
    let exports: unknown;
    let done = false;
    // Node's loader returns a cached module's `exports` as it finds it, so a getter defers loading to first use.
    Object.defineProperty(record, "exports", {
      get: () => {
        if (!done) [exports, done] = [load(), true];
        return exports;
      },
      set: (value: unknown) => ([exports, done] = [value, true]),
      enumerable: true,
      configurable: true,
    });
    require.cache[filename] = record;
  }
}
