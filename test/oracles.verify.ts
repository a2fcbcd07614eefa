import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkOracles } from "../scripts/lib/oracles/check";
import { referenceDir } from "../scripts/lib/oracles/sources";

const REPO = resolve(__dirname, "..");
const REFERENCE = referenceDir(REPO);

/**
 * The slow half of test/oracles.test.ts: every oracle, the big CRDs included (2-3 s of YAML), regenerated in memory
 * from the reference data and compared byte for byte with the committed files. Without the reference data nothing
 * can be regenerated; the test then checks what it can (hashes, provenance, index, generator), as the unit test does.
 */
describe("oracles, fully regenerated", () => {
  test("every committed oracle is byte for byte what `npm run generate:oracles` derives from the reference data", () => {
    const present = existsSync(join(REFERENCE, "SOURCES.md"));
    const result = checkOracles({ repoRoot: REPO, referenceDir: present ? REFERENCE : undefined, regenerate: "all" });
    expect(result.problems).toEqual([]);
    // 88 oracles, the two catalog modules among them, plus index.json and README.md.
    if (present) expect(result.regenerated).toBe(result.oracles + 2);
  });
});
