import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { TIERS } from "../../environments/lib/schema";
import { ciEnvironment } from "../../scripts/ci";
import { projectEnvironments, synthesizeAll } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const dir = join(__dirname, "../../.github");
const workflow = (name: string) => parse(readFileSync(join(dir, "workflows", name), "utf8"));
const action = parse(readFileSync(join(dir, "actions", "stacks", "action.yml"), "utf8"));
const texts = [...readdirSync(join(dir, "workflows")).map((f) => readFileSync(join(dir, "workflows", f), "utf8")), readFileSync(join(dir, "actions", "stacks", "action.yml"), "utf8")];
const steps = (job: Any) => (job.steps as Any[]).map((s) => s.run ?? s.uses);

describe("CI/CD workflows for users", () => {
  test("name no environment and need no per-environment variable: environments come from environments/*.ts (npm run ci)", () => {
    for (const t of texts) {
      // Tier names (development, staging, production) are the schema's, not environments'.
      for (const env of projectEnvironments().filter((e) => !(TIERS as readonly string[]).includes(e.name))) {
        expect([env.name, new RegExp(`(?<![\\w/.-])${env.name}(?![\\w/.-])`).test(t.replace(/environment[s]?/g, ""))]).toEqual([env.name, false]);
      }
      expect(t).not.toMatch(/\bvars\./);
    }
  });

  test("pull requests: tests, the review (even when tests fail), checkov, and plans of cloud stacks only with the read-only pull-request role", () => {
    const wf = workflow("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(Object.keys(wf.jobs).sort()).toEqual(["checkov", "plan", "review", "test"]);
    // checkov is advisory (never run against these stacks here); the gate is the audit in npm test.
    expect(wf.jobs.checkov.steps.find((s: Any) => String(s.uses).startsWith("bridgecrewio/checkov-action")).with.soft_fail).toBe(true);
    expect(steps(wf.jobs.test)).toEqual(expect.arrayContaining(["npm ci", "npm run synth", "npm test", "npm run tools", "npm run verify"]));
    expect([wf.jobs.review.needs, wf.jobs.review.if]).toEqual(["test", "always()"]);
    expect(wf.jobs.review.steps.find((x: Any) => x.name === "Review against the base branch (offline)").run).toContain('--tests "$TESTS"');
    expect(steps(wf.jobs.review)).toEqual(expect.arrayContaining([expect.stringMatching(/^marocchino\/sticky-pull-request-comment@v\d+$/)]));
    expect(wf.jobs.plan.needs).toBe("review");
    expect(wf.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
    const creds = wf.jobs.plan.steps.find((s: Any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials"));
    expect(creds.with["role-to-assume"]).toBe("${{ matrix.environment.roles.pullRequest }}");
    const plan = wf.jobs.plan.steps.find((s: Any) => s.name === "Plan the stacks that need no cluster access").run as string;
    expect(plan).toContain("--stacks bootstrap --lock-false");
    expect(plan).toContain("--stacks foundation --lock-false");
    expect(plan).toContain("npm run -s stacks -- bootstrap");
    // A new environment has no CI roles yet: the credentials step may fail, and the plan step says what to do.
    expect(creds["continue-on-error"]).toBe(true);
    expect(plan).toContain('if [ "$CREDENTIALS" != "success" ]');
    // Terraform's own plan is merged into the review, and the plan JSON (values in clear) is deleted in the job.
    expect(plan).toContain('npm run -s review -- --base "$BASE" "${plan_json[@]}"');
    expect(plan).toContain('rm -f "$RUNNER_TEMP"/*.plan.json');
    // Plans hold values in clear: nothing of them leaves a pull request's job.
    expect(steps(wf.jobs.plan).some((s: string) => s.startsWith("actions/upload-artifact"))).toBe(false);
  });

  test("main: environments changed since the last successful deploy, by tier: development, then staging, then production", () => {
    const wf = workflow("deploy.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.jobs.development.needs).toBe("prepare");
    expect(wf.jobs.staging.needs).toEqual(["prepare", "development"]);
    expect(wf.jobs.production.needs).toEqual(["prepare", "staging"]);
    for (const tier of ["development", "staging", "production"]) {
      expect(wf.jobs[tier].uses).toBe("./.github/workflows/deploy-environment.yml");
      expect(wf.jobs[tier].with["review-base"]).toBe("${{ needs.prepare.outputs.base }}");
    }
    const select = wf.jobs.prepare.steps.find((s: Any) => s.id === "select").run as string;
    // Not github.event.before: a queued run GitHub drops, or a deploy that failed, would lose its changes.
    expect(select).toContain("gh run list --workflow deploy.yml --branch \"$GITHUB_REF_NAME\" --status success --limit 1");
    expect(select).toContain("npm run -s ci -- environments --touched review.json --by-tier");
    expect(select).not.toContain("event.before");
    expect(wf.jobs.prepare.permissions).toEqual({ contents: "read", actions: "read" });
  });

  test("each environment in stages (bootstrap, foundation, cluster): each applied before the next is planned, an apply only behind approval and only when its plan changes something", () => {
    const jobs = workflow("deploy-environment.yml").jobs;
    const stages = ["bootstrap", "foundation", "cluster"];
    expect(Object.keys(jobs)).toEqual(stages.flatMap((s) => [`plan-${s}`, `apply-${s}`]));
    const uses = (job: Any) => job.steps.find((s: Any) => s.uses === "./.github/actions/stacks").with;
    for (const [i, stage] of stages.entries()) {
      const parts = `\${{ join(fromJSON(inputs.environment).stages.${stage}, ',') }}`;
      expect(uses(jobs[`plan-${stage}`])).toEqual(expect.objectContaining({ command: "plan", parts, "role-arn": "${{ fromJSON(inputs.environment).roles.plan }}", "review-base": "${{ inputs.review-base }}" }));
      expect(uses(jobs[`apply-${stage}`])).toEqual(expect.objectContaining({ command: "apply", parts, "role-arn": "${{ fromJSON(inputs.environment).roles.apply }}" }));
      expect(jobs[`apply-${stage}`].environment).toBe("${{ fromJSON(inputs.environment).name }}");
      expect(jobs[`apply-${stage}`].if).toContain(`needs.plan-${stage}.outputs.changed == 'true'`);
      const runner = stage === "cluster" ? "codebuild-${{ fromJSON(inputs.environment).runnerProject }}-${{ github.run_id }}-${{ github.run_attempt }}" : "ubuntu-24.04";
      for (const j of [`plan-${stage}`, `apply-${stage}`]) expect([j, jobs[j]["runs-on"]]).toEqual([j, runner]);
      if (i === 0) continue;
      // The previous stage's plan succeeded, and its apply succeeded or had nothing to apply.
      const prev = stages[i - 1];
      expect(jobs[`plan-${stage}`].needs).toEqual([`plan-${prev}`, `apply-${prev}`]);
      expect(jobs[`plan-${stage}`].if).toBe(`always() && needs.plan-${prev}.result == 'success' && (needs.apply-${prev}.result == 'success' || needs.apply-${prev}.result == 'skipped')`);
    }
  });

  test("no stack reads outputs of a stack planned in the same or a later stage (its plan would fail on an output not yet applied)", () => {
    for (const env of projectEnvironments()) {
      const stages = ciEnvironment(env).stages;
      const stageOf = new Map<string, number>(Object.values(stages).flatMap((parts, i) => parts.map((p) => [`${env.name}-${p}`, i] as const)));
      expect([...stageOf.keys()].sort()).toEqual(synthesizeAll().stacks.filter((s) => s.id.startsWith(`${env.name}-`)).map((s) => s.id).sort());
      for (const s of synthesizeAll().stacks.filter((x) => stageOf.has(x.id))) {
        for (const source of Object.keys(s.json.data?.terraform_remote_state ?? {})) {
          const producer = source.replace(/^cross-stack-reference-input-/, "");
          expect([s.id, producer, stageOf.get(producer)! < stageOf.get(s.id)!]).toEqual([s.id, producer, true]);
        }
      }
    }
  });

  test("an apply refuses a GitHub environment that admits other branches, or has no reviewers above development", () => {
    const guard = action.runs.steps.find((s: Any) => String(s.name).startsWith("The GitHub environment deploys only from the deploy branch")) as Any;
    expect(guard.if).toBe("inputs.command == 'apply'");
    expect(guard.run).toContain(".deployment_branch_policy.custom_branch_policies");
    expect(guard.run).toContain('"branch:$BRANCH"');
    expect(guard.run).toContain('select(.type == "required_reviewers")');
    expect(guard.env.BRANCH).toBe("${{ fromJSON(inputs.environment).branch }}");
  });

  test("approvals apply exactly what was planned: saved plans, encrypted with the plans key, kept one day", () => {
    const [plan] = action.runs.steps.filter((s: Any) => s.id === "plan");
    expect(plan.run).toContain("aws kms generate-data-key --key-id \"$KEY\"");
    expect(plan.run).toContain('rm -f "plans/$part.secret" "$dir/tfplan"');
    const upload = action.runs.steps.find((s: Any) => String(s.uses).startsWith("actions/upload-artifact"));
    expect(upload.with).toEqual(expect.objectContaining({ path: "plans/", "retention-days": 1 }));
    const apply = action.runs.steps.find((s: Any) => s.name === "Apply the approved plans").run as string;
    expect(apply).toContain("aws kms decrypt");
    expect(apply).toContain("--saved-plan");
    // A stack whose inputs moved (the stack before it was just applied) is re-planned and not applied if it differs.
    expect(apply).toContain("node dist/scripts/same-plan.js <(terraform -chdir=\"$dir\" show -json tfplan) <(terraform -chdir=\"$dir\" show -json replan)");
    expect(plan.run).toContain('npm run -s review -- --base "$REVIEW_BASE" "${plan_json[@]}"');
    // Read-only plans take no state lock (the plan role cannot write one); the passphrase is the key's base64 text
    // (raw key bytes may hold a newline or NUL, where openssl stops reading a passphrase file).
    expect(plan.run).toContain('--stacks "$PARTS" --lock-false');
    expect(plan.run).not.toMatch(/Plaintext[^\n]*base64 -d/);
    expect(apply).not.toMatch(/--query Plaintext --output text \| base64 -d/);
  });
});
