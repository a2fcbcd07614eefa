import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadEnvironments } from "../environments/lib/load";
import { STACK_PARTS } from "../stacks/app";
import { allResources, projectEnvironment, synthesize, type SynthesizedStack } from "./helpers/synth";

const environments = resolve(__dirname, "../environments");

/** Physical names: the attributes AWS uses as a name unique per account/region (or globally, for buckets). */
function physicalNames(stacks: readonly SynthesizedStack[]): string[] {
  const names: string[] = [];
  for (const s of stacks) {
    for (const [type, , cfg] of allResources(s)) {
      // Inline policy names are scoped to their role, node group names to their cluster.
      // Helm releases and Kubernetes objects are named per cluster, not per account.
      if (type === "aws_iam_role_policy" || type === "aws_eks_node_group" || !type.startsWith("aws_")) continue;
      for (const key of ["name", "bucket", "name_prefix"]) {
        if (typeof cfg[key] === "string" && !cfg[key].includes("${")) names.push(`${type}:${cfg[key]}`);
      }
      if (typeof cfg.tags?.Name === "string") names.push(`${type}:tag:${cfg.tags.Name}`);
    }
    const backend = s.json.terraform?.backend;
    if (backend?.s3) names.push(`state:${backend.s3.bucket}/${backend.s3.key}`);
  }
  return names.sort();
}

/**
 * Forking an environment is copying its file under a new name: everything that must be unique
 * (stack ids, state keys, physical names, the Environment tag) derives from the file name.
 */
describe("forking staging into research", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlp-fork-"));
  const source = readFileSync(join(environments, "staging.ts"), "utf8");
  const copy = source.replace(`from "./lib/load"`, `from ${JSON.stringify(join(environments, "lib", "load"))}`);
  writeFileSync(join(dir, "research.ts"), copy);
  const [research] = loadEnvironments(dir);
  const staging = projectEnvironment("staging");
  const { outdir, stacks } = synthesize([staging, research]);
  const of = (env: string) => stacks.filter((s) => s.id.startsWith(`${env}-`));
  const get = (id: string) => stacks.find((s) => s.id === id)!;

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  test("the copy is the staging file with only its import path changed", () => {
    expect(copy).not.toBe(source);
    expect(research.name).toBe("research");
    expect({ ...research, name: "staging" }).toEqual(staging);
  });

  test("gets its own stack ids", () => {
    expect(of("research").map((s) => s.id)).toEqual(STACK_PARTS.map((part) => `research-${part}`).sort());
  });

  test("keeps its state under research/ in its own bucket", () => {
    expect(get("research-foundation").json.terraform.backend.s3).toEqual(
      expect.objectContaining({ bucket: "mlp-tfstate-research-111122223333", key: "research/foundation.tfstate" }),
    );
    expect(get("research-bootstrap").json.terraform.backend.s3).toEqual(expect.objectContaining({ bucket: "mlp-tfstate-research-111122223333", key: "research/bootstrap.tfstate" }));
    expect(Object.values(get("research-bootstrap").json.resource!.aws_s3_bucket).map((b) => b.bucket)).toEqual(["mlp-tfstate-research-111122223333"]);
  });

  test("names its cluster mlp-research", () => {
    expect(Object.values(get("research-foundation").json.resource!.aws_eks_cluster).map((c) => c.name)).toEqual(["mlp-research"]);
  });

  test.each(["research-bootstrap", "research-foundation"])("%s tags everything Environment=research through provider default_tags", (id) => {
    expect(get(id).json.provider!.aws).toEqual([
      expect.objectContaining({
        allowed_account_ids: ["111122223333"],
        default_tags: [{ tags: { CostCenter: "ml-stg-4200", Environment: "research", Project: "ml-platform", Team: "ml-platform" } }],
      }),
    ]);
  });

  test("no physical name or state location collides with staging's, and every one says research", () => {
    const researchNames = physicalNames(of("research"));
    const stagingNames = new Set(physicalNames(of("staging")));
    expect(researchNames.length).toBeGreaterThan(20);
    expect(researchNames.filter((n) => stagingNames.has(n))).toEqual([]);
    expect(researchNames.filter((n) => !n.includes("research"))).toEqual([]);
    expect(researchNames.filter((n) => n.includes("staging"))).toEqual([]);
  });
});
