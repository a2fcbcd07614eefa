import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** scripts/lib/build-inputs.cjs: what `npm run synth` checks before deciding to skip the esbuild step. */
interface BuildInputs {
  entryPoints(root: string): string[];
  inputDigest(root: string): string;
  isCurrent(outdir: string, digest: string): boolean;
  writeStamp(outdir: string, digest: string): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const inputs = require("../scripts/lib/build-inputs.cjs") as BuildInputs;

/** A small project tree with the layout the build reads. */
function project(): { root: string; write: (path: string, text?: string) => void } {
  const root = mkdtempSync(join(tmpdir(), "mlp-build-inputs-"));
  const write = (path: string, text = path) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const f of ["main.ts", "tsconfig.json", "stacks/app.ts", "constructs/a.ts", "constructs/types.d.ts", "environments/dev.ts", "scripts/build.mjs", "charts/manifests/Chart.yaml", "README.md", "test/a.test.ts"]) write(f);
  return { root, write };
}

describe("build inputs: dist/ is rebuilt exactly when what it is built from changed", () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const fresh = () => {
    const p = project();
    roots.push(p.root);
    return { ...p, before: inputs.inputDigest(p.root) };
  };

  const changes: Array<[string, (p: ReturnType<typeof project>) => void]> = [
    ["a construct edited", (p) => p.write("constructs/a.ts", "export const a = 2;")],
    ["an environment file added (a fork)", (p) => p.write("environments/research.ts")],
    ["a source deleted", (p) => unlinkSync(join(p.root, "stacks/app.ts"))],
    ["a chart file edited", (p) => p.write("charts/manifests/Chart.yaml", "version: 0.2.0")],
    ["the build script edited", (p) => p.write("scripts/build.mjs", "// changed")],
    ["main.ts edited", (p) => p.write("main.ts", "// changed")],
    ["tsconfig.json edited", (p) => p.write("tsconfig.json", "{}")],
    ["a file renamed with the same bytes", (p) => (unlinkSync(join(p.root, "constructs/a.ts")), p.write("constructs/b.ts", "constructs/a.ts"))],
  ];
  test.each(changes)("%s: the digest changes", (_what, change) => {
    const p = fresh();
    change(p);
    expect(inputs.inputDigest(p.root)).not.toBe(p.before);
  });

  const nonChanges: Array<[string, (p: ReturnType<typeof project>) => void]> = [
    ["only modification times changed (touch, or a checkout back to the same bytes)", (p) => utimesSync(join(p.root, "constructs/a.ts"), new Date(0), new Date(0))],
    ["files outside the built directories changed (README, tests)", (p) => (p.write("README.md", "x"), p.write("test/b.test.ts"))],
  ];
  test.each(nonChanges)("%s: the digest stays (no needless rebuild)", (_what, change) => {
    const p = fresh();
    change(p);
    expect(inputs.inputDigest(p.root)).toBe(p.before);
  });

  test("an outdir is current only with a matching stamp and every output it lists", () => {
    const p = fresh();
    const out = join(p.root, "dist");
    expect(inputs.isCurrent(out, p.before)).toBe(false); // a fresh clone: no dist/
    p.write("dist/main.js");
    p.write("dist/charts/manifests/Chart.yaml");
    inputs.writeStamp(out, p.before);
    expect(inputs.isCurrent(out, p.before)).toBe(true);
    expect(inputs.isCurrent(out, inputs.inputDigest((p.write("constructs/a.ts", "edited"), p.root)))).toBe(false);
    unlinkSync(join(out, "main.js"));
    expect(inputs.isCurrent(out, p.before)).toBe(false);
  });

  test("entry points: main.ts and every module of the source directories, no declarations or charts", () => {
    const p = fresh();
    expect(inputs.entryPoints(p.root)).toEqual(["constructs/a.ts", "environments/dev.ts", "main.ts", "stacks/app.ts"]);
  });
});
