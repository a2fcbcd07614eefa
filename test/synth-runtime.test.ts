import { Lazy } from "cdktf";
import { SYNTH_PATCHES_VAR, synthRuntime } from "../scripts/lib/synth-runtime";

/** A cdktf token as created: Lazy and Intrinsic tokens keep the stack they were created at. */
type WithCreationStack = { creationStack: string[] };

// The patches only drop work: test/synth-runtime.verify.ts synthesizes every environment with and without them and
// compares the bytes. Here: that they are in force (a cdktf upgrade that moves the patched export fails this).
describe("cdktf runtime patches (scripts/lib/synth-runtime.ts)", () => {
  test("tokens are created without capturing a stack trace", () => {
    expect(synthRuntime.tokenStackTracesDisabled).toBe(true);
    expect((Lazy.anyValue({ produce: () => 1 }) as unknown as WithCreationStack).creationStack).toEqual([]);
  });

  test(`with ${SYNTH_PATCHES_VAR}=off nothing is patched and tokens keep cdktf's creation stack (failing case)`, () => {
    const previous = process.env[SYNTH_PATCHES_VAR];
    process.env[SYNTH_PATCHES_VAR] = "off";
    try {
      jest.isolateModules(() => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const runtime = require("../scripts/lib/synth-runtime") as typeof import("../scripts/lib/synth-runtime");
        const { Lazy: FreshLazy } = require("cdktf/lib/tokens/lazy") as typeof import("cdktf/lib/tokens/lazy");
        /* eslint-enable @typescript-eslint/no-require-imports */
        expect(runtime.synthRuntime).toEqual({ tokenStackTracesDisabled: false, archiverDeferred: false });
        const stack = (FreshLazy.anyValue({ produce: () => 1 }) as unknown as WithCreationStack).creationStack;
        expect(stack.some((frame) => frame.includes("synth-runtime.test.ts"))).toBe(true);
      });
    } finally {
      if (previous === undefined) delete process.env[SYNTH_PATCHES_VAR];
      else process.env[SYNTH_PATCHES_VAR] = previous;
    }
  });
});
