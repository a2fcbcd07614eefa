// `npm run review` on a pull request that adds a team and raises a quota: per queue, the worst-case monthly GPU cost
// before and after, and the GPU ledger's pools that moved, in the comment, the full report and the JSON review.
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateEnvironment } from "../../environments/lib/load";
import { teamCosts } from "../../environments/lib/team-cost";
import { buildReview, fullReport, reviewComment } from "../../scripts/lib/plan-diff";
import { ledgerChanges, teamCostChanges } from "../../scripts/lib/review/teams";
import type { CostChange } from "../../scripts/lib/review/types";
import { brokenStaging } from "../helpers/environments";
import { projectEnvironment } from "../helpers/synth";

const schema = JSON.parse(readFileSync(join(__dirname, "../../scripts/lib/review/review.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

/** staging after the pull request: team speech with 2 L4s of the inference pool, nlp's inference L40S quota 4 → 5. */
const after = validateEnvironment(
  "staging",
  brokenStaging((e) => {
    e.teams.tenants.push({ name: "speech", costCenter: "ml-stg-4230", gpus: { "gpu-inference-l4": { nominal: 2 } } });
    e.teams.tenants[1].gpus["gpu-inference-l40s"].nominal = 5;
  }),
);
const [base, head] = [teamCosts(projectEnvironment("staging")), teamCosts(after)];
/** The cost entry scripts/review.ts builds for staging (the ceiling does not move: pool limits are unchanged). */
const cost: CostChange[] = [{ environment: "staging", fromPer30Days: 100_000, toPer30Days: 100_000, teams: teamCostChanges(base, head), gpuPools: ledgerChanges(base, head) }];
const review = buildReview({ base: { ref: "main", commit: "a".repeat(40) }, baseStacks: new Map(), headStacks: new Map(), cost });

describe("the review of a change to the teams", () => {
  test("per queue whose cost moved: worst case and nominal, before and after (checked by hand)", () => {
    // L4 $3.3968/GPU-hour (g6.16xlarge), inference L40S $7.5772 (g6e.16xlarge), training L40S $3.7664 (g6e.48xlarge), 720 h.
    expect(cost[0].teams).toEqual([
      // vision may now also borrow speech's 2 L4s: its worst case grows by 2 x 3.3968 x 720 = 4,891.39, its nominal does not.
      // Both include its dedicated pool, 4 L4s of g6.12xlarge ($4.6016/h, 1.1504/GPU-hour): 4 x 1.1504 x 720 = 3,313.15.
      { queue: "vision", fromPer30Days: 45637.63, toPer30Days: 50529.02, nominalFromPer30Days: 29899.01, nominalToPer30Days: 29899.01 },
      // nlp: (8 x 3.7664 + 5 x 7.5772) x 720 = 48,972.38; borrowing adds vision's 8 training L40S (8 x 3.7664 x 720).
      { queue: "nlp", fromPer30Days: 65211.26, toPer30Days: 70666.85, nominalFromPer30Days: 43516.8, nominalToPer30Days: 48972.38 },
      // speech: 2 x 3.3968 x 720 = 4,891.39; it may borrow vision's 2 and the pipelines' 2 L4s: 6 x 3.3968 x 720.
      // The pipelines queue may borrow speech's 2 L4s too.
      { queue: "speech", fromPer30Days: null, toPer30Days: 14674.18, nominalFromPer30Days: null, nominalToPer30Days: 4891.39 },
      { queue: "pipelines", fromPer30Days: 9782.78, toPer30Days: 14674.18, nominalFromPer30Days: 4891.39, nominalToPer30Days: 4891.39 },
    ]);
  });

  test("the inference pool's ledger: 12 → 15 of 16, the two claims that moved", () => {
    expect(cost[0].gpuPools).toEqual([
      { pool: "gpu-inference", unit: "nvidia.com/gpu", claimed: { from: 12, to: 15 }, capacity: { from: 16, to: 16 }, claims: [{ claimant: "team nlp", from: 4, to: 5 }, { claimant: "team speech", from: null, to: 2 }] },
    ]);
  });

  test("the comment and the full report print both; the JSON review validates against the committed schema", () => {
    for (const text of [reviewComment(review), fullReport(review)]) {
      expect(text).toContain("| staging | speech | n/a | $14,674.18 | n/a | $4,891.39 |");
      expect(text).toContain("| staging | nlp | $65,211.26 | $70,666.85 | $43,516.80 | $48,972.38 |");
      expect(text).toContain("- staging: `gpu-inference` nvidia.com/gpu: 12 → 15 claimed of 16 (team nlp 4 → 5, team speech none → 2)");
    }
    expect(validate(JSON.parse(JSON.stringify(review))) ? [] : validate.errors).toEqual([]);
  });

  test("nothing about teams when no queue's cost and no pool's ledger moved; no ledger lines against a base without one", () => {
    expect([teamCostChanges(base, base), ledgerChanges(base, base)]).toEqual([[], []]);
    const quiet = buildReview({ base: { ref: "main", commit: "a".repeat(40) }, baseStacks: new Map(), headStacks: new Map(), cost: [{ ...cost[0], teams: [], gpuPools: [] }] });
    expect(fullReport(quiet)).not.toContain("### Cost ceiling");
    // A base from before the ledger: team costs still compare, the pools have nothing to compare with.
    expect(ledgerChanges({ queues: base.queues }, head)).toEqual([]);
    expect(teamCostChanges({ queues: base.queues }, head)).toEqual(cost[0].teams);
  });
});
