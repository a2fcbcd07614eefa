import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diffDirs, filesUnder } from "../helpers/dir-diff";
import { projectEnvironments, synthesize, synthesizeAll } from "../helpers/synth";

describe("determinism", () => {
  test("two synths of every environment write byte-identical files (stacks, manifest.json, assets)", () => {
    // The shared synthesis was made by jest's global setup in another process: a fresh one must match it byte for byte.
    const first = synthesizeAll().outdir;
    const second = synthesize(projectEnvironments()).outdir;
    const files = filesUnder(first);
    expect(files).toEqual(expect.arrayContaining(["manifest.json", ...projectEnvironments().map((e) => `stacks/${e.name}-foundation/cdk.tf.json`)]));
    expect(diffDirs(first, second)).toEqual([]);
  });
});

describe("diffDirs can fail", () => {
  test("fails a file that differs and files that exist on one side only", () => {
    const a = mkdtempSync(join(tmpdir(), "mlp-diff-a-"));
    const b = mkdtempSync(join(tmpdir(), "mlp-diff-b-"));
    for (const d of [a, b]) mkdirSync(join(d, "stacks", "dev-x"), { recursive: true });
    writeFileSync(join(a, "manifest.json"), '{\n  "version": "0.21.0"\n}');
    writeFileSync(join(b, "manifest.json"), '{\n  "version": "0.21.0"\n}');
    writeFileSync(join(a, "stacks", "dev-x", "cdk.tf.json"), '{\n  "name": "a-1"\n}');
    writeFileSync(join(b, "stacks", "dev-x", "cdk.tf.json"), '{\n  "name": "a-2"\n}');
    writeFileSync(join(a, "stacks", "dev-x", "only-a.txt"), "x");
    writeFileSync(join(b, "stacks", "dev-x", "only-b.txt"), "x");
    expect(diffDirs(a, b)).toEqual([
      "stacks/dev-x/only-a.txt: only in the first synth",
      "stacks/dev-x/only-b.txt: only in the second synth",
      'stacks/dev-x/cdk.tf.json: differs at line 2: "  \\"name\\": \\"a-1\\"" vs "  \\"name\\": \\"a-2\\""',
    ]);
  });
});
