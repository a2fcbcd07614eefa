import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const workflow = (name: string) => parse(readFileSync(join(__dirname, "../../.github/workflows", name), "utf8"));

describe("CI/CD workflows for users", () => {
  test("pull requests test, synth, post the review, scan with checkov and plan touched environments in order", () => {
    const wf = workflow("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(Object.keys(wf.jobs)).toEqual(["test", "checkov", "plan"]);
    const steps = wf.jobs.test.steps.map((s: { run?: string; uses?: string }) => s.run ?? s.uses);
    expect(steps).toEqual(expect.arrayContaining(["npm ci", "npm test", "npm run synth", expect.stringMatching(/^marocchino\/sticky-pull-request-comment@v\d+$/)]));
    expect(wf.jobs.checkov.steps.map((s: { uses?: string }) => s.uses)).toContain("bridgecrewio/checkov-action@v12");
    const plan = wf.jobs.plan.steps.find((s: { name?: string }) => s.name === "Plan foundation, platform, ml in order").run as string;
    expect(plan).toContain("for part in foundation platform ml; do");
    expect(plan).toContain("upstream stack not deployed yet");
    expect(wf.jobs.plan.steps.map((s: { uses?: string }) => s.uses)).toContain("aws-actions/configure-aws-credentials@v4");
    expect(wf.permissions["id-token"]).toBe("write");
  });

  test("main applies dev, then staging, then prod, each through its protected GitHub environment", () => {
    const wf = workflow("deploy.yml");
    expect(wf.jobs.dev.needs).toBe("synth");
    expect(wf.jobs.staging.needs).toBe("dev");
    expect(wf.jobs.prod.needs).toBe("staging");
    const apply = workflow("apply-environment.yml");
    expect(apply.jobs.apply.environment).toBe("${{ inputs.environment }}");
    expect(apply.jobs.apply.steps.find((s: { name?: string }) => s.name?.startsWith("Apply")).run).toContain("for part in foundation platform ml; do");
  });
});
