// jest `setupFiles`: every test file gets the same cdktf runtime patches as `npm run synth` (main.ts), so tests
// synthesize what users synthesize, at the same speed. Importing the module patches cdktf's token stack capture in
// this test file's module registry. Jest's registry ignores Node's require cache, so archiver is deferred here.
import { dirname } from "node:path";
import { SYNTH_PATCHES_VAR } from "../scripts/lib/synth-runtime";

if (process.env[SYNTH_PATCHES_VAR] !== "off") {
  const archiver = require.resolve("archiver", { paths: [dirname(require.resolve("cdktf/lib/private/fs"))] });
  // Loaded only if called: cdktf calls archiver only in the child process that zips an ARCHIVE asset.
  jest.doMock(archiver, () => (...args: unknown[]) => (jest.requireActual(archiver) as (...a: unknown[]) => unknown)(...args));
}
