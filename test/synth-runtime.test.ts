import { Lazy } from "cdktf";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SYNTH_PATCHES_VAR, setAsidePreviousAssets, synthRuntime } from "../scripts/lib/synth-runtime";
import { filesUnder } from "./helpers/dir-diff";

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
        expect(runtime.synthRuntime).toEqual({ tokenStackTracesDisabled: false, archiverDeferred: false, tokenResolutionSpedUp: false });
        const stack = (FreshLazy.anyValue({ produce: () => 1 }) as unknown as WithCreationStack).creationStack;
        expect(stack.some((frame) => frame.includes("synth-runtime.test.ts"))).toBe(true);
      });
    } finally {
      if (previous === undefined) delete process.env[SYNTH_PATCHES_VAR];
      else process.env[SYNTH_PATCHES_VAR] = previous;
    }
  });
});

describe("setAsidePreviousAssets: the previous synthesis's assets go, everything else in the stacks stays", () => {
  const outdir = mkdtempSync(join(tmpdir(), "mlp-aside-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const write = (path: string) => {
    mkdirSync(dirname(join(outdir, path)), { recursive: true });
    writeFileSync(join(outdir, path), path);
  };

  test("assets of every stack (stale ones too) and leftovers of an interrupted run are deleted; .terraform stays", async () => {
    const kept = ["manifest.json", "stacks/dev-ml/cdk.tf.json", "stacks/dev-ml/.terraform.lock.hcl", "stacks/dev-ml/.terraform/providers/p", "stacks/dev-bootstrap/cdk.tf.json"];
    for (const f of kept) write(f);
    write("stacks/dev-ml/assets/triton_release_chart_6528D509/0A1B/Chart.yaml");
    write("stacks/dev-ml/assets/removed_construct_chart_1234ABCD/0A1B/Chart.yaml");
    write("stacks/dev-platform/assets/compute_node-pools_chart_CD4E9895/0A1B/values.yaml");
    write(".previous-assets-interrupted/dev-ml/x/Chart.yaml");

    const done = setAsidePreviousAssets(outdir);
    // Set aside synchronously: cdktf finds no previous asset directory to delete.
    expect(readdirSync(join(outdir, "stacks", "dev-ml")).sort()).toEqual([".terraform", ".terraform.lock.hcl", "cdk.tf.json"]);
    await done;
    expect(filesUnder(outdir)).toEqual([...kept].sort());
  });

  test("an outdir without stacks (first synthesis) is left alone", async () => {
    const fresh = join(outdir, "fresh");
    mkdirSync(fresh);
    await setAsidePreviousAssets(fresh);
    expect(readdirSync(fresh)).toEqual([]);
  });
});
