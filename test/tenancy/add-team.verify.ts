// Adding a team is a change to one environment file that touches only that environment's teams stack: staging
// synthesized again with a third team, compared stack by stack with the shipped staging and reviewed like a pull request.
import { validateEnvironment } from "../../environments/lib/load";
import type { EnvironmentInput } from "../../environments/lib/schema";
import stagingInput from "../../environments/staging";
import { buildReview } from "../../scripts/lib/plan-diff";
import { reviewComment } from "../../scripts/lib/review/markdown";
import { synthesize, synthesizeAll } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const speech = { name: "speech", costCenter: "ml-stg-4230", members: ["arn:aws:iam::111122223333:role/speech-ml-engineers"], gpus: { "gpu-inference-l4": { nominal: 1 } } };

describe("staging with a third team", () => {
  const input = structuredClone(stagingInput) as EnvironmentInput & { teams: { tenants: unknown[] } };
  input.teams.tenants.push(speech);
  const head = new Map(synthesize([validateEnvironment("staging", input)]).stacks.map((s) => [s.id, s.json]));
  const base = new Map(synthesizeAll().stacks.filter((s) => s.id.startsWith("staging-")).map((s) => [s.id, s.json]));

  test("changes the teams stack and nothing else", () => {
    const changed = [...head.keys()].filter((id) => JSON.stringify(head.get(id)) !== JSON.stringify(base.get(id)));
    expect(changed).toEqual(["staging-teams"]);
  });

  test("the review shows the new team's namespace, access entry, role and queue objects as additions, and only the quota of the team that may borrow from it changing", () => {
    const review = buildReview({ base: { ref: "main", commit: "b".repeat(40) }, baseStacks: base, headStacks: head });
    const teams = review.stacks.find((s) => s.stack === "staging-teams")!;
    expect(review.stacks.filter((s) => s.status !== "unchanged").map((s) => s.stack)).toEqual(["staging-teams"]);
    expect([teams.counts.change, teams.counts.replace, teams.counts.destroy]).toEqual([1, 0, 0]);
    // Vision may borrow the L4 speech lends (no borrowing limit on its L4s): its namespace quota makes room for that node.
    expect(teams.objects.filter((o: Any) => o.action !== "create").map((o: Any) => `${o.action} ${o.release} ${o.kind}/${o.name}`)).toEqual(["update team-vision ResourceQuota/team-quota"]);
    const added = teams.resources.filter((r) => r.action === "create").map((r) => r.type);
    expect(added).toEqual(expect.arrayContaining(["kubernetes_namespace_v1", "aws_eks_access_entry", "aws_eks_access_policy_association", "aws_iam_role", "aws_eks_pod_identity_association", "helm_release"]));
    const objects = teams.objects.filter((o: Any) => o.release === "team-speech").map((o: Any) => `${o.action} ${o.kind}/${o.name}`);
    expect(objects).toEqual(expect.arrayContaining(["create ClusterQueue/speech", "create LocalQueue/default", "create NetworkPolicy/team-isolation", "create ResourceQuota/team-quota", "create Role/team-member"]));
    expect(reviewComment(review)).toContain("staging-teams");
  });

  test("the comparison would see a change to another stack", () => {
    const tampered = new Map(head);
    tampered.set("staging-ml", { ...head.get("staging-ml"), extra: true } as Any);
    const changed = [...tampered.keys()].filter((id) => JSON.stringify(tampered.get(id)) !== JSON.stringify(base.get(id)));
    expect(changed).toEqual(["staging-ml", "staging-teams"]);
  });
});
