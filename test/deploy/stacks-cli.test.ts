import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { LOCAL_STATE_OVERRIDE, steps, type StackRun } from "../../scripts/stacks";
import { applyOrder, environmentsOf, readManifest } from "../../scripts/lib/stack-order";
import { ciEnvironments } from "../../scripts/ci";
import { projectEnvironments, synthesizeAll } from "../helpers/synth";

const outdir = synthesizeAll().outdir;
const run = (command: StackRun["command"], env: string, extra: Partial<StackRun> = {}): string[] =>
  steps({ command, env, outdir, terraform: "terraform", autoApprove: false, savedPlan: false, lockFalse: false, ...extra }).map((s) =>
    "run" in s ? s.run.join(" ").replace(`${outdir}/`, "cdktf.out/") : "write" in s ? `write ${s.write.replace(`${outdir}/`, "")}` : `remove ${s.remove.replace(`${outdir}/`, "")}`,
  );

describe("deploying an environment with plain terraform, in order (npm run stacks)", () => {
  test.each(projectEnvironments().map((e) => e.name))("%s applies bootstrap, foundation, platform, ml, teams; destroys teams, ml, platform, foundation (production tier: refused)", (env) => {
    expect(applyOrder(readManifest(outdir), env)).toEqual(["bootstrap", "foundation", "platform", "ml", "teams"].map((p) => `${env}-${p}`));
    expect(run("apply", env, { autoApprove: true }).filter((c) => c.includes(" apply "))).toEqual(
      ["bootstrap", "foundation", "platform", "ml", "teams"].map((p) => `terraform -chdir=cdktf.out/stacks/${env}-${p} apply -input=false -auto-approve`),
    );
    if (projectEnvironments().find((e) => e.name === env)!.tier === "production") {
      // Before anything is destroyed: Terraform itself would tear down the ML stack and stop at the platform's first protected resource.
      expect(() => run("destroy", env)).toThrow(new RegExp(`^${env}: refusing to destroy: \\d+ resource\\(s\\) carry prevent_destroy \\(${env}-platform: aws_secretsmanager_secret\\.`));
      return;
    }
    expect(run("destroy", env).filter((c) => c.includes(" destroy "))).toEqual(["teams", "ml", "platform", "foundation"].map((p) => `terraform -chdir=cdktf.out/stacks/${env}-${p} destroy -input=false`));
  });

  test("every stack is initialized before it is planned or applied, and saved plans are applied as planned", () => {
    const plan = run("plan", "dev", { parts: ["platform", "ml"], lockFalse: true });
    expect(plan).toEqual([
      "terraform -chdir=cdktf.out/stacks/dev-platform init -input=false",
      "terraform -chdir=cdktf.out/stacks/dev-platform plan -input=false -lock=false -out=tfplan",
      "terraform -chdir=cdktf.out/stacks/dev-ml init -input=false",
      "terraform -chdir=cdktf.out/stacks/dev-ml plan -input=false -lock=false -out=tfplan",
    ]);
    expect(run("apply", "dev", { parts: ["foundation"], savedPlan: true })).toEqual([
      "terraform -chdir=cdktf.out/stacks/dev-foundation init -input=false",
      "terraform -chdir=cdktf.out/stacks/dev-foundation apply -input=false tfplan",
    ]);
  });

  test("the first bootstrap applies with local state, then moves the state into the bucket it created", () => {
    expect(run("bootstrap", "staging")).toEqual([
      `write stacks/staging-bootstrap/${LOCAL_STATE_OVERRIDE}`,
      "terraform -chdir=cdktf.out/stacks/staging-bootstrap init -input=false",
      "terraform -chdir=cdktf.out/stacks/staging-bootstrap apply -input=false",
      `remove stacks/staging-bootstrap/${LOCAL_STATE_OVERRIDE}`,
      "terraform -chdir=cdktf.out/stacks/staging-bootstrap init -input=false -migrate-state -force-copy",
      "remove stacks/staging-bootstrap/bootstrap.tfstate",
    ]);
    const override = steps({ command: "bootstrap", env: "staging", outdir, terraform: "terraform", autoApprove: false, savedPlan: false, lockFalse: false })[0];
    expect("content" in override && JSON.parse(override.content)).toEqual({ terraform: { backend: { local: { path: "bootstrap.tfstate" } } } });
  });

  test("an unknown environment fails naming the ones there are", () => {
    expect(() => applyOrder(readManifest(outdir), "qa")).toThrow(`no stacks of environment "qa" in the synthesized output; have: ${environmentsOf(readManifest(outdir)).join(", ")}`);
  });
});

describe("the exit ramp: each synthesized stack is a self-contained Terraform configuration", () => {
  /** Local paths a stack's Terraform reads: chart directories of helm releases, module sources, file() arguments. */
  function localPaths(json: Record<string, unknown>): string[] {
    const text = JSON.stringify(json);
    const charts = Object.values(((json.resource as Record<string, Record<string, { chart?: string; repository?: string }>>) ?? {}).helm_release ?? {})
      .filter((r) => !r.repository)
      .map((r) => String(r.chart));
    const modules = Object.values((json.module as Record<string, { source?: string }>) ?? {}).map((m) => String(m.source)).filter((s) => s.startsWith("."));
    const files = [...text.matchAll(/\$\{(?:file|templatefile|filebase64)\("([^"]+)"/g)].map((m) => m[1]);
    return [...charts, ...modules, ...files];
  }

  test.each(synthesizeAll().stacks.map((s) => s.id))("%s references nothing outside its own folder", (id) => {
    const dir = join(outdir, "stacks", id);
    const paths = localPaths(synthesizeAll().stacks.find((s) => s.id === id)!.json);
    for (const p of paths) {
      expect([p, normalize(p).startsWith("..") || p.startsWith("/")]).toEqual([p, false]);
      expect([p, existsSync(join(dir, p)) && statSync(join(dir, p)).isDirectory()]).toEqual([p, true]);
    }
    expect(readdirSync(dir).sort()).toEqual(paths.length ? ["assets", "cdk.tf.json"] : ["cdk.tf.json"]);
  });

  test("the check can fail: a chart outside the stack folder or missing is reported", () => {
    const json = { resource: { helm_release: { a: { chart: "../../charts/manifests" }, b: { chart: "assets/missing" } } } };
    const paths = localPaths(json);
    expect(paths.map((p) => normalize(p).startsWith(".."))).toEqual([true, false]);
    expect(existsSync(join(outdir, "stacks", "dev-platform", paths[1]))).toBe(false);
  });
});

describe("what the workflows read (npm run -s ci -- environments)", () => {
  const ci = ciEnvironments(projectEnvironments());

  test("lists every environment file, development first and production last, with its roles and runner", () => {
    expect(ci.map((e) => e.name).sort()).toEqual(projectEnvironments().map((e) => e.name).sort());
    const tiers = ci.map((e) => e.tier);
    expect(tiers).toEqual([...tiers].sort((a, b) => ["development", "staging", "production"].indexOf(a) - ["development", "staging", "production"].indexOf(b)));
    const staging = ci.find((e) => e.name === "staging")!;
    expect(staging).toEqual(
      expect.objectContaining({
        requiresApproval: true,
        roles: {
          pullRequest: "arn:aws:iam::111122223333:role/mlp-staging-ci-pr",
          plan: "arn:aws:iam::111122223333:role/mlp-staging-ci-plan",
          apply: "arn:aws:iam::111122223333:role/mlp-staging-ci-apply",
        },
        runnerProject: "mlp-staging-runner",
        cloudStacks: ["staging-bootstrap", "staging-foundation"],
        clusterStacks: ["staging-platform", "staging-ml", "staging-teams"],
      }),
    );
  });

  test("the role ARNs are the roles the bootstrap stacks create, and the runner is the foundation's project", () => {
    for (const e of ci) {
      const bootstrap = synthesizeAll().stacks.find((s) => s.id === `${e.name}-bootstrap`)!;
      const names = Object.values(bootstrap.json.resource!.aws_iam_role).map((r) => `arn:aws:iam::${e.account}:role/${r.name}`);
      expect(names.sort()).toEqual(Object.values(e.roles).sort());
      const foundation = readFileSync(join(outdir, "stacks", `${e.name}-foundation`, "cdk.tf.json"), "utf8");
      expect(foundation).toContain(`"name": "${e.runnerProject}"`);
    }
  });
});
