/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Type-checking happens once in `npm test` (tsc --noEmit); esbuild only transpiles (isolatedModules in tsconfig).
  transform: { "^.+\\.ts$": "<rootDir>/test/esbuild-transform.cjs" },
  testTimeout: 60000,
  // Jest defaults to cores - 1 workers, which is one on a 2-core machine; the suite is CPU-bound and parallelizes.
  maxWorkers: 2,
  // cdktf runtime patches of `npm run synth` (scripts/lib/synth-runtime.ts) in every test file's module registry.
  setupFiles: ["<rootDir>/test/setup-synth-runtime.ts"],
  globalSetup: "<rootDir>/test/global-setup.ts",
  globalTeardown: "<rootDir>/test/global-teardown.ts",
};
