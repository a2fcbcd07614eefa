// A reviewed promotion in the pull request: `npm run review` names the model and its versions, and the way the new
// version reaches users; other changes to a model's Rollout raise no model banner. (The same change made in
// environments/prod.ts and reviewed end to end: test/governance/review.verify.ts.)
import type { Banner, Review } from "../../scripts/lib/plan-diff";
import { edited, editValues, exampleStacks, manifestNamed, projectStacks, review } from "../helpers/review-scenarios";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const models = (r: Review): Banner[] => r.banners.filter((b) => b.kind === "model-version");
const annotations = (v: Json) => manifestNamed(v, "Rollout", "triton-churn").spec.template.metadata.annotations;

describe("review: model versions", () => {
  // The example environments: the shipped ones serve no model (docs/delivery.md "Adding a model").
  const stacks = exampleStacks();
  const reviewOf = (head: Map<string, Json>) => review(head, { base: stacks });

  test("prod's churn pinned from version 7 to 8: 'model churn: version 7 → 8' with its canary steps and rollback", () => {
    const head = edited(stacks, "prod-ml", (s) => editValues(s, "triton-churn", (v) => (annotations(v)["ml-platform.io/model-version"] = "8")));
    expect(models(reviewOf(head))).toEqual([
      {
        kind: "model-version",
        severity: "notice",
        environment: "prod",
        stack: "prod-ml",
        subject: "churn",
        message: "model churn: version 7 → 8 (canary 10% → 25% → 50% → 100%, rolled back if its analysis fails)",
      },
    ]);
  });

  test("staging's version change names its A/B experiment before the canary", () => {
    const head = edited(stacks, "staging-ml", (s) => editValues(s, "triton-churn", (v) => (annotations(v)["ml-platform.io/model-version"] = "8")));
    expect(models(reviewOf(head)).map((b) => b.message)).toEqual(["model churn: version 7 → 8 (A/B experiment for 60m, then canary 10% → 25% → 50% → 100%, rolled back if its analysis fails)"]);
  });

  test("a model added in dev follows its alias: the banner says so instead of naming the seed version 0", () => {
    const head = edited(stacks, "dev-ml", (s) => {
      const releases = s.resource.helm_release;
      const [id, churn] = Object.entries<Json>(releases).find(([, r]) => r.name === "triton-churn")!;
      const fraud = JSON.parse(JSON.stringify(churn).replace(/triton-churn/g, "triton-fraud"));
      releases[id.replace("churn", "fraud")] = fraud;
      editValues(s, "triton-fraud", (v) => (manifestNamed(v, "Rollout", "triton-fraud").metadata.labels["ml-platform.io/model"] = "fraud"));
    });
    expect(models(reviewOf(head)).map((b) => b.message)).toEqual(["model fraud: new, promoted from its MLflow alias (automatic promotion)"]);
  });

  test("a change to the Rollout that keeps the version (its canary steps) raises no model banner", () => {
    const head = edited(stacks, "prod-ml", (s) => editValues(s, "triton-churn", (v) => (manifestNamed(v, "Rollout", "triton-churn").spec.strategy.canary.steps[0].setWeight = 5)));
    const r = reviewOf(head);
    expect(models(r)).toEqual([]);
    expect(r.stacks.find((x) => x.stack === "prod-ml")!.objects).toEqual([expect.objectContaining({ kind: "Rollout", name: "triton-churn", action: "update" })]);
  });
});

describe("review: adding a model to a shipped environment", () => {
  test("prod gains the documented churn at version 7: 'model churn: new, version 7'", () => {
    const head = new Map([...projectStacks(), ["prod-ml", exampleStacks().get("prod-ml")]]);
    expect(models(review(head)).map((b) => b.message)).toEqual(["model churn: new, version 7 (its first pods serve it directly)"]);
  });
});
