import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkOracles } from "../scripts/lib/oracles/check";
import { referenceDir } from "../scripts/lib/oracles/sources";
import { CRD_DIRECTORIES } from "./helpers/crd";
import { FIXTURE_COMMIT, oracleFixture } from "./helpers/oracle-fixture";
import { oracleFiles, oracleIndex } from "./helpers/oracles";

const REPO = resolve(__dirname, "..");
const REFERENCE = referenceDir(REPO);
const RERUN = "run `npm run generate:oracles`";

/**
 * With the reference data present, oracles of reference files up to this size are regenerated in memory here and
 * compared byte for byte; the larger ones (big CRDs, 2-3 s of YAML parsing) are proven current by their reference
 * blob id and the generator fingerprint here, and regenerated in full by `npm run verify` (oracles.verify.ts).
 */
const REGENERATE_MAX_BYTES = 64_000;

/** Reference paths of oracles that test sources name in string literals, with the file naming each. */
function oraclePathsNamedIn(sources: ReadonlyArray<{ file: string; text: string }>, components: ReadonlySet<string>): Array<{ file: string; path: string }> {
  const out: Array<{ file: string; path: string }> = [];
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/["'`]((?:[a-z0-9-]+\/)+[A-Za-z0-9._-]+\.(?:ya?ml|json))["'`]/g)) {
      if (components.has(m[1].split("/")[0])) out.push({ file, path: m[1] });
    }
    for (const m of text.matchAll(/oracleFiles\("([^"]+)"\)/g)) out.push({ file, path: `${m[1]}/` });
  }
  return out;
}

/** Named oracles that do not exist (a path ending in `/` names a directory, which must hold at least one). */
function missingOracles(named: ReadonlyArray<{ file: string; path: string }>): string[] {
  const index = oracleIndex();
  return named.filter(({ path }) => (path.endsWith("/") ? !oracleFiles(path).length : !index[path])).map(({ file, path }) => `${file}: ${path}`);
}

function testSources(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "oracles" ? [] : testSources(p);
    return e.name.endsWith(".ts") ? [{ file: p.slice(REPO.length + 1), text: readFileSync(p, "utf8") }] : [];
  });
}

describe("oracles (test/oracles, constructs/catalog/*.generated.ts)", () => {
  const present = existsSync(join(REFERENCE, "SOURCES.md"));

  test("are intact (hash, provenance, index, generator) and, when the reference data is present, current against it", () => {
    const small = (refPath: string) => statSync(join(REFERENCE, refPath)).size <= REGENERATE_MAX_BYTES;
    const result = checkOracles({ repoRoot: REPO, referenceDir: present ? REFERENCE : undefined, regenerate: small });
    expect(result.problems).toEqual([]);
    expect(result.oracles).toBeGreaterThanOrEqual(88);
    expect(result.referenceChecked).toBe(present);
    if (present) expect(result.regenerated).toBeGreaterThan(40);
  });

  test("every oracle a test names exists, and so do the CRD directories the validator reads", () => {
    const components = new Set(Object.keys(oracleIndex()).map((p) => p.split("/")[0]));
    const named = oraclePathsNamedIn(testSources(join(REPO, "test")), components);
    // The scan itself must find the tests' oracles, or this check would pass on nothing.
    expect(named.length).toBeGreaterThanOrEqual(20);
    expect(missingOracles([...named, ...CRD_DIRECTORIES.map((d) => ({ file: "test/helpers/crd.ts", path: `${d}/` }))])).toEqual([]);
    // Split so that this file's own scan does not find them.
    const bad = 'oracle("karpenter/' + 'valuez.yaml"); oracleFiles' + '("karpenter/nope")';
    expect(missingOracles(oraclePathsNamedIn([{ file: "x.test.ts", text: bad }], components))).toEqual([
      "x.test.ts: karpenter/valuez.yaml",
      "x.test.ts: karpenter/nope/",
    ]);
  });

  test("fails, naming the file and the command, when an oracle or a catalog table was edited by hand", () => {
    // A copy of two real oracles (one JSON, one catalog table) with an index trimmed to them: the check reads what
    // the index lists, so it stays fast.
    const repo = mkdtempSync(join(tmpdir(), "mlp-oracles-copy-"));
    const copied = ["karpenter/values.yaml", "pricing/ec2-on-demand-linux.tsv"];
    for (const p of ["scripts/lib/oracles", "test/oracles/README.md", ...copied.map((c) => oracleIndex()[c].file)]) cpSync(join(REPO, p), join(repo, p), { recursive: true });
    const index = JSON.parse(readFileSync(join(REPO, "test/oracles/index.json"), "utf8"));
    index.oracles = Object.fromEntries(copied.map((c) => [c, index.oracles[c]]));
    writeFileSync(join(repo, "test/oracles/index.json"), JSON.stringify(index));
    try {
      expect(checkOracles({ repoRoot: repo }).problems).toEqual([]);
      const values = join(repo, "test/oracles/karpenter/values.json");
      writeFileSync(values, readFileSync(values, "utf8").replace('"clusterName": ""', '"clusterName": "mlp-dev"'));
      const prices = join(repo, "constructs/catalog/ec2-prices.generated.ts");
      writeFileSync(prices, readFileSync(prices, "utf8").replace('"p5.48xlarge": 55.04,', '"p5.48xlarge": 5.504,'));
      expect(checkOracles({ repoRoot: repo }).problems).toEqual([
        expect.stringMatching(/^test\/oracles\/karpenter\/values\.json: its data hashes to [0-9a-f]{64}, not the recorded [0-9a-f]{64} \(edited by hand\?\): run `npm run generate:oracles`$/),
        expect.stringMatching(/^constructs\/catalog\/ec2-prices\.generated\.ts: its data hashes to [0-9a-f]{64}, not the recorded [0-9a-f]{64} \(edited by hand\?\): run `npm run generate:oracles`$/),
      ]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  test("without the reference data: fails a missing or stray oracle, malformed provenance and a changed generator", () => {
    const f = oracleFixture();
    expect(checkOracles({ repoRoot: f.repo }).problems).toEqual([]);
    const crd = join(f.repo, "test/oracles/demo/crds/demo.example.com_widgets.json");
    const oracle = JSON.parse(readFileSync(crd, "utf8"));
    // What the CRD oracle keeps: names, versions, the served schema without documentation; a property called
    // "description" is data and stays.
    expect(oracle.data).toEqual([
      {
        group: "demo.example.com",
        kind: "Widget",
        plural: "widgets",
        scope: "Namespaced",
        versions: [
          { name: "v1", served: true, storage: true, schema: { type: "object", properties: { spec: { type: "object", properties: { description: { type: "string" }, size: { type: "integer", minimum: 1 } } } } } },
          { name: "v1beta1", served: false, storage: false },
        ],
      },
    ]);
    expect(oracle.source).toEqual(expect.objectContaining({ repository: "github.com/example/demo", ref: "v1.0.0", commit: FIXTURE_COMMIT, path: "charts/demo/crds/demo.example.com_widgets.yaml" }));
    writeFileSync(crd, readFileSync(crd, "utf8").replace(`"commit": "${FIXTURE_COMMIT}"`, '"commit": "0123456"'));
    rmSync(join(f.repo, "test/oracles/demo/values.json"));
    writeFileSync(join(f.repo, "test/oracles/demo/extra.json"), "{}\n");
    writeFileSync(join(f.repo, "scripts/lib/oracles/json.js"), `${readFileSync(join(f.repo, "scripts/lib/oracles/json.js"), "utf8")}\n// changed\n`);
    expect(checkOracles({ repoRoot: f.repo }).problems).toEqual([
      `test/oracles/index.json: the generator changed since the oracles were generated: ${RERUN}`,
      `test/oracles/demo/crds/demo.example.com_widgets.json: source.commit "0123456" is not a 40-hex git id: ${RERUN}`,
      `test/oracles/demo/values.json is missing: ${RERUN}`,
      `test/oracles/demo/extra.json is not in test/oracles/index.json (left over?): ${RERUN}`,
    ]);
  });

  test("with the reference data: fails a changed reference file, one without an oracle and an oracle that is not what the generator derives", () => {
    const f = oracleFixture();
    const check = () => checkOracles({ repoRoot: f.repo, referenceDir: f.reference, regenerate: "all" });
    expect(check()).toEqual({ problems: [], oracles: 2, regenerated: 4, referenceChecked: true });

    // Data edited and its hash recomputed: only regeneration can tell.
    const values = join(f.repo, "test/oracles/demo/values.json");
    const edited = JSON.parse(readFileSync(values, "utf8"));
    edited.data.replicas = 2;
    edited.sha256 = require("node:crypto").createHash("sha256").update(JSON.stringify(edited.data)).digest("hex");
    writeFileSync(values, JSON.stringify(edited));
    expect(check().problems).toEqual([`test/oracles/demo/values.json differs from what the generator derives from ${f.reference}: ${RERUN}`]);

    f.generate();
    f.addReference("demo/values.yaml", "replicas: 3\n");
    f.addReference("demo/values.schema.json", '{"type": "object"}\n');
    expect(check().problems).toEqual([
      `reference file demo/values.schema.json has no oracle: ${RERUN}`,
      expect.stringMatching(/^test\/oracles\/demo\/values\.json: demo\/values\.yaml changed since the oracle was generated \(git blob [0-9a-f]{40}\): run `npm run generate:oracles`$/),
      `test/oracles/demo/values.schema.json is missing: ${RERUN}`,
      `test/oracles/demo/values.json differs from what the generator derives from ${f.reference}: ${RERUN}`,
      `test/oracles/index.json differs from what the generator derives from ${f.reference}: ${RERUN}`,
    ]);

    f.generate();
    expect(check().problems).toEqual([]);
    writeFileSync(join(f.reference, "demo/NOTES.txt"), "prose\n");
    expect(check().problems).toEqual([
      "reference file demo/NOTES.txt has no oracle rule: add one in scripts/lib/oracles/generate.js (kindOf) or list it in EXCLUDED with the reason",
      "cannot regenerate the oracles: reference file demo/NOTES.txt has no oracle rule: add one in scripts/lib/oracles/generate.js (kindOf) or list it in EXCLUDED with the reason",
    ]);
  });
});
