import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { TIERS } from "../../environments/lib/schema";
import { projectEnvironments } from "../helpers/synth";

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
    expect(steps(wf.jobs.test)).toEqual(expect.arrayContaining(["npm ci", "npm run synth", "npm test", "npm run tools", "npm run verify"]));
    expect([wf.jobs.review.needs, wf.jobs.review.if]).toEqual(["test", "always()"]);
    expect(wf.jobs.review.steps.find((x: Any) => x.name === "Review against the base branch (offline)").run).toContain('--tests "$TESTS"');
    expect(steps(wf.jobs.review)).toEqual(expect.arrayContaining([expect.stringMatching(/^marocchino\/sticky-pull-request-comment@v\d+$/)]));
    expect(wf.jobs.plan.needs).toBe("review");
    expect(wf.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
    const creds = wf.jobs.plan.steps.find((s: Any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials"));
    expect(creds.with["role-to-assume"]).toBe("${{ matrix.environment.roles.pullRequest }}");
    const plan = wf.jobs.plan.steps.find((s: Any) => s.name === "Plan the stacks that need no cluster access").run as string;
    expect(plan).toContain("--stacks bootstrap,foundation --lock-false");
    expect(plan).toContain("npm run -s stacks -- bootstrap");
    // Terraform's own plan is merged into the review, and the plan JSON (values in clear) is deleted in the job.
    expect(plan).toContain('npm run -s review -- --base "$BASE" "${plan_json[@]}"');
    expect(plan).toContain('rm -f "$RUNNER_TEMP"/*.plan.json');
    // Plans hold values in clear: nothing of them leaves a pull request's job.
    expect(steps(wf.jobs.plan).some((s: string) => s.startsWith("actions/upload-artifact"))).toBe(false);
  });

  test("main: changed environments by tier, development, then staging, then production", () => {
    const wf = workflow("deploy.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.jobs.development.needs).toBe("prepare");
    expect(wf.jobs.staging.needs).toEqual(["prepare", "development"]);
    expect(wf.jobs.production.needs).toEqual(["prepare", "staging"]);
    for (const tier of ["development", "staging", "production"]) expect(wf.jobs[tier].uses).toBe("./.github/workflows/deploy-environment.yml");
    expect(wf.jobs.prepare.steps.find((s: Any) => s.id === "select").run).toContain("npm run -s ci -- environments --touched review.json --by-tier");
  });

  test("each environment: cloud stacks planned and applied from GitHub, cluster stacks from the in-VPC runner, each apply behind the environment's approval", () => {
    const jobs = workflow("deploy-environment.yml").jobs;
    expect(Object.keys(jobs)).toEqual(["plan-cloud", "apply-cloud", "plan-cluster", "apply-cluster"]);
    const uses = (job: Any) => job.steps.find((s: Any) => s.uses === "./.github/actions/stacks").with;
    expect(uses(jobs["plan-cloud"])).toEqual(expect.objectContaining({ command: "plan", parts: "bootstrap,foundation", "role-arn": "${{ fromJSON(inputs.environment).roles.plan }}" }));
    expect(uses(jobs["apply-cloud"])).toEqual(expect.objectContaining({ command: "apply", parts: "bootstrap,foundation", "role-arn": "${{ fromJSON(inputs.environment).roles.apply }}" }));
    expect(uses(jobs["plan-cluster"])).toEqual(expect.objectContaining({ command: "plan", parts: "platform,ml,teams" }));
    expect(uses(jobs["apply-cluster"])).toEqual(expect.objectContaining({ command: "apply", parts: "platform,ml,teams" }));
    for (const j of ["apply-cloud", "apply-cluster"]) expect(jobs[j].environment).toBe("${{ fromJSON(inputs.environment).name }}");
    for (const j of ["plan-cluster", "apply-cluster"]) expect(jobs[j]["runs-on"]).toBe("codebuild-${{ fromJSON(inputs.environment).runnerProject }}-${{ github.run_id }}-${{ github.run_attempt }}");
    for (const j of ["plan-cloud", "apply-cloud"]) expect(jobs[j]["runs-on"]).toBe("ubuntu-24.04");
    expect(jobs["plan-cluster"].needs).toBe("apply-cloud");
    expect(jobs["apply-cloud"].steps.find((s: Any) => String(s.name).startsWith("Staging and production")).run).toContain("required_reviewers");
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
    const jobs = workflow("deploy-environment.yml").jobs;
    for (const j of ["plan-cloud", "plan-cluster"]) expect(jobs[j].steps.find((s: Any) => s.uses === "./.github/actions/stacks").with["review-base"]).toBe("${{ github.event.before }}");
  });
});
