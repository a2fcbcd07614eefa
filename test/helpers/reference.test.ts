import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { referenceAvailable, referenceDir, referenceGate } from "./reference";

describe("reference data location", () => {
  const saved = { dir: process.env.ML_PLATFORM_REFERENCE_DIR, ci: process.env.CI };
  afterEach(() => {
    for (const [k, v] of [["ML_PLATFORM_REFERENCE_DIR", saved.dir], ["CI", saved.ci]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("defaults to <repo>/../shared/reference", () => {
    delete process.env.ML_PLATFORM_REFERENCE_DIR;
    expect(referenceDir()).toBe(resolve(__dirname, "../../../shared/reference"));
  });

  test("follows ML_PLATFORM_REFERENCE_DIR and reports what is there", () => {
    const dir = mkdtempSync(join(tmpdir(), "mlp-ref-"));
    mkdirSync(join(dir, "karpenter"));
    writeFileSync(join(dir, "karpenter", "values.yaml"), "settings: {}\n");
    process.env.ML_PLATFORM_REFERENCE_DIR = dir;
    expect(referenceDir()).toBe(dir);
    expect(referenceAvailable("karpenter/values.yaml")).toBe(true);
    expect(referenceAvailable("karpenter/crds/karpenter.sh_nodepools.yaml")).toBe(false);
    delete process.env.CI;
    expect(referenceGate(["karpenter/values.yaml"])).toEqual({ mode: "run" });
  });

  test("skips locally but fails on CI when reference data is missing, naming the files", () => {
    process.env.ML_PLATFORM_REFERENCE_DIR = mkdtempSync(join(tmpdir(), "mlp-ref-empty-"));
    delete process.env.CI;
    expect(referenceGate(["feast/feast-operator/crds/feast.dev_featurestores.yaml"])).toEqual({
      mode: "skip",
      message: expect.stringContaining("reference data missing under " + process.env.ML_PLATFORM_REFERENCE_DIR + ": feast/feast-operator/crds/feast.dev_featurestores.yaml"),
    });
    process.env.CI = "true";
    expect(referenceGate(["feast/feast-operator/crds/feast.dev_featurestores.yaml"])).toEqual({ mode: "fail", message: expect.stringMatching(/feast\.dev_featurestores\.yaml .*; CI requires it$/) });
    process.env.CI = "false";
    expect(referenceGate(["feast/feast-operator/crds/feast.dev_featurestores.yaml"]).mode).toBe("skip");
  });
});
