// What `npm run review` writes: a comment that always fits GitHub's limit, a JSON review valid against its committed
// schema, Terraform plans merged over the offline guesses, and the command line the workflows call.
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMENT_LIMIT, fullReport, reviewComment, type Review } from "../../scripts/lib/plan-diff";
import { parsePlan } from "../../scripts/lib/review/plan-json";
import { parseArgs } from "../../scripts/review";
import { edited, projectStacks, renameConstruct, resourceAt, review } from "../helpers/review-scenarios";
import { buildReview } from "../../scripts/lib/plan-diff";

const schema = JSON.parse(readFileSync(join(__dirname, "../../scripts/lib/review/review.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const errors = (r: unknown) => (validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors!.map((e) => `${e.instancePath || "(root)"} ${e.message}`));

const stacks = projectStacks();
const withDbName = edited(stacks, "dev-foundation", (s) => (resourceAt(s, "aws_db_instance", "mlflow-db/instance")[1].db_name = "tracking"));

/** `terraform show -json` of a dev-foundation plan: the database updated in place, the MLflow bucket replaced. */
function devFoundationPlan(): string {
  const dev = stacks.get("dev-foundation");
  const [dbId, db] = resourceAt(dev, "aws_db_instance", "mlflow-db/instance");
  const [bucketId, bucket] = resourceAt(dev, "aws_s3_bucket", "mlflow-artifacts/bucket");
  const { ["//"]: _a, ...dbCfg } = db;
  const { ["//"]: _b, ...bucketCfg } = bucket;
  return JSON.stringify({
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: [
      { address: `aws_db_instance.${dbId}`, mode: "managed", type: "aws_db_instance", name: dbId, provider_name: "registry.terraform.io/hashicorp/aws", change: { actions: ["update"], before: dbCfg, after: { ...dbCfg, db_name: "tracking" }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } },
      {
        address: `aws_s3_bucket.${bucketId}`,
        mode: "managed",
        type: "aws_s3_bucket",
        name: bucketId,
        provider_name: "registry.terraform.io/hashicorp/aws",
        change: { actions: ["delete", "create"], before: bucketCfg, after: { ...bucketCfg, bucket: "mlp-dev-renamed" }, after_unknown: { id: true }, before_sensitive: {}, after_sensitive: {}, replace_paths: [["bucket"]] },
        action_reason: "replace_because_cannot_update",
      },
      { address: "data.aws_caller_identity.current", mode: "data", type: "aws_caller_identity", name: "current", change: { actions: ["read"] } },
    ],
  });
}

describe("the pull-request comment", () => {
  test("three new environments fit: summarized in one line each, with the note pointing to the full report", () => {
    const r = buildReview({ base: { ref: "main", commit: "b".repeat(40) }, baseStacks: new Map(), headStacks: stacks });
    const comment = reviewComment(r, { fullReportUrl: "https://github.com/example-org/ml-platform/actions/runs/1/artifacts/2" });
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment).toContain("**New environments** (every stack added; resource lists in the full report): `dev` (5 stacks, ");
    expect(comment).toContain("[the full report](https://github.com/example-org/ml-platform/actions/runs/1/artifacts/2)");
    // The full report lists what the new environments create.
    expect(fullReport(r)).toContain("- + `ml-data/mlflow-db/instance` (aws_db_instance `mlp-prod-mlflow`)");
    expect(comment).not.toContain("`ml-data/mlflow-db/instance`");
  });

  test("a change too large to post is cut to the limit: summary and banners first, details collapsed, a note where it was cut", () => {
    // Every top-level construct of every stack renamed: every resource replaced, data stores destroyed.
    let head = new Map(withDbName);
    for (const id of stacks.keys()) {
      head = edited(head, id, (s) => {
        const tops = new Set(Object.values<Record<string, { "//": { metadata: { path: string } } }>>(s.resource).flatMap((byId) => Object.values(byId).map((c) => c["//"].metadata.path.split("/")[1])));
        for (const top of tops) renameConstruct(s, top, `${top}-v2`);
      });
    }
    const r = review(head);
    expect(fullReport(r).length).toBeGreaterThan(3 * COMMENT_LIMIT);
    const comment = reviewComment(r);
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment.indexOf("| environment | stack | add | change | replace | destroy |")).toBeLessThan(comment.indexOf("### What could break"));
    expect(comment.indexOf("### What could break")).toBeLessThan(comment.indexOf("<details>"));
    expect(comment).toMatch(/> \*\*Data loss\*\* \(\d+\)/);
    expect(comment).toMatch(/This comment is shortened to fit GitHub's size limit: .*Everything is in the full report/);
    expect(reviewComment(r, { limit: 5_000 }).length).toBeLessThanOrEqual(5_000);
  });

  test("a review with nothing to show says so", () => {
    const comment = reviewComment(review(stacks));
    expect(comment).toContain("No stack changes.");
    expect(comment).toContain("Nothing flagged.");
  });
});

describe("Terraform's plan merged into the review", () => {
  test("its replace and update actions override the offline guesses, and each disagreement is shown", () => {
    const r = buildReview({ base: { ref: "main", commit: "c".repeat(40) }, baseStacks: stacks, headStacks: withDbName, plans: new Map([["dev-foundation", { file: "dev-foundation.plan.json", text: devFoundationPlan() }]]) });
    const s = r.stacks.find((x) => x.stack === "dev-foundation")!;
    expect(s.plan).toBe("dev-foundation.plan.json");
    const db = s.resources.find((x) => x.type === "aws_db_instance")!;
    expect(db).toMatchObject({ action: "update", source: "plan", disagreement: "the offline review expected replace; Terraform plans update" });
    const bucket = s.resources.find((x) => x.type === "aws_s3_bucket")!;
    expect(bucket).toMatchObject({ action: "replace", source: "plan", reasons: ["Terraform replaces it because of bucket (replace_because_cannot_update)"] });
    expect(bucket.attributes).toEqual(expect.arrayContaining([{ path: "bucket", from: expect.stringMatching(/^mlp-dev-/), to: "mlp-dev-renamed" }, { path: "id", to: "(known after apply)" }]));
    expect(s.counts).toEqual({ add: 0, change: 1, replace: 1, destroy: 0 });
    const kinds = r.banners.map((b) => `${b.kind}: ${b.subject}`);
    expect(kinds).toEqual(expect.arrayContaining([`data-loss: ${bucket.address}`, `plan-disagreement: ${db.address}`, `plan-disagreement: ${bucket.address}`]));
    expect(kinds.filter((k) => k.startsWith(`data-loss: ${db.address}`))).toEqual([]);
    expect(errors(r)).toEqual([]);
  });

  test("anything but `terraform show -json` output is refused with the reason", () => {
    expect(() => parsePlan("{}", "x.json")).toThrow("x.json: no format_version/resource_changes; pass the output of `terraform show -json <planfile>`");
    expect(() => parsePlan("plan: 1 to add", "x.json")).toThrow(/^x\.json: not JSON/);
  });
});

describe("the JSON review", () => {
  test("validates against the committed, versioned schema: new environments, replacements, budgets, plans", () => {
    const cost = [{ environment: "prod", fromPer30Days: 600_000, toPer30Days: 700_000, budgetPer30Days: 650_000, tier: "production" }];
    for (const r of [review(withDbName, { cost }), buildReview({ base: { ref: "main", commit: "d".repeat(40) }, baseStacks: new Map(), headStacks: stacks, tests: "failure" })]) expect(errors(r)).toEqual([]);
  });

  test("a model whose maximum cost changed within its pool's limits is listed under the cost, and validates", () => {
    const cost = [{ environment: "prod", fromPer30Days: 700_000, toPer30Days: 700_000, budgetPer30Days: 700_000, serving: [{ key: "llm/llama-8b", fromPer30Days: 12914.64, toPer30Days: 25829.28 }] }];
    const r = review(withDbName, { cost });
    expect(errors(r)).toEqual([]);
    expect(fullReport(r)).toContain("Models and Ray at their maximum (inside the pool ceilings):\n\n- prod: `llm/llama-8b` at its maximum $12,914.64 → $25,829.28");
    expect(fullReport(review(withDbName, { cost: [{ ...cost[0], serving: [] }] }))).not.toContain("### Cost ceiling");
  });

  test("rejects another schemaVersion, an unknown action and a missing field", () => {
    const r = JSON.parse(JSON.stringify(review(withDbName))) as Review & { schemaVersion: number };
    expect(errors({ ...r, schemaVersion: 2 })).toEqual(["/schemaVersion must be equal to constant"]);
    const bad = JSON.parse(JSON.stringify(r));
    bad.stacks.find((s: { stack: string }) => s.stack === "dev-foundation").resources[0].action = "explode";
    expect(errors(bad)).toContain("/stacks/1/resources/0/action must be equal to one of the allowed values");
    const { banners: _b, ...noBanners } = r;
    expect(errors(noBanners)).toEqual(["(root) must have required property 'banners'"]);
  });
});

describe("command line", () => {
  test("defaults to the comment on stdout; --json alone goes to stdout; files for the others", () => {
    expect(parseArgs(["--base", "origin/main"])).toMatchObject({ base: "origin/main", markdown: "-" });
    expect(parseArgs(["--base", "x", "--json"])).toMatchObject({ json: "-" });
    expect(parseArgs(["--base", "x", "--json"]).markdown).toBeUndefined();
    const o = parseArgs(["--base", "x", "--json", "r.json", "--markdown", "c.md", "--full", "f.md", "--plan-json", "dev-ml=dev-ml.json", "--plan-json", "dev-platform=p.json", "--tests", "failure"]);
    expect(o).toMatchObject({ json: "r.json", markdown: "c.md", full: "f.md", tests: "failure" });
    expect([...o.plans]).toEqual([["dev-ml", "dev-ml.json"], ["dev-platform", "p.json"]]);
  });

  test("refuses two outputs on stdout, a malformed --plan-json, an unknown --tests outcome and a missing --base", () => {
    expect(() => parseArgs(["--base", "x", "--json", "--markdown", "-"])).toThrow("only one output can go to stdout");
    expect(() => parseArgs(["--base", "x", "--plan-json", "dev-ml"])).toThrow('--plan-json: got "dev-ml"; use <stack>=<file of terraform show -json>');
    expect(() => parseArgs(["--base", "x", "--tests", "red"])).toThrow('--tests: got "red"');
    expect(() => parseArgs(["--json"])).toThrow("--base is required");
  });
});
