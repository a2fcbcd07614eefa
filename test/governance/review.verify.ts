// `npm run review` end to end, in a temporary git repository holding this project: real source edits a reviewer
// meets in pull requests, each raising its banner; outputs through files and pipes (never cut at 64 KiB); three new
// environments in a comment that still fits GitHub's limit.
import Ajv2020 from "ajv/dist/2020";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { COMMENT_LIMIT, type Review } from "../../scripts/lib/plan-diff";

const repo = resolve(__dirname, "../..");
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(repo, "scripts/lib/review/review.schema.json"), "utf8")));

describe("npm run review (end to end, temporary git repository)", () => {
  let tmp: string;
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: tmp, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const edit = (file: string, from: string | RegExp, to: string) => {
    const p = join(tmp, file);
    const text = readFileSync(p, "utf8");
    const next = text.replace(from, to);
    if (next === text) throw new Error(`${file} has no ${from}`);
    writeFileSync(p, next);
  };
  // What `npm run review -- <args>` runs; `shell` runs a pipeline instead, as a workflow step would.
  const review = (...args: string[]) => spawnSync(process.execPath, ["dist/scripts/review.js", ...args], { cwd: tmp, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const shell = (script: string) => spawnSync("bash", ["-o", "pipefail", "-c", script], { cwd: tmp, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "mlp-review-"));
    // The project as committed (git archive), plus the working-tree files that are not committed yet.
    const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: repo, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    const tar = spawnSync("tar", ["-cf", "-", ...files], { cwd: repo, maxBuffer: 256 * 1024 * 1024 });
    spawnSync("tar", ["-xf", "-"], { cwd: tmp, input: tar.stdout });
    symlinkSync(join(repo, "node_modules"), join(tmp, "node_modules"), "dir");
    // prod serves the documented example model at version 7 (docs/delivery.md "Adding a model"; the shipped file has none).
    edit("environments/prod.ts", "    models: [],", '    models: [{ name: "churn", registry: { model: "churn", alias: "champion" }, version: 7 }],');
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "base");
    spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: tmp });
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  describe("a pull request with one change per banner", () => {
    let out: Review;
    let comment: string;
    beforeAll(() => {
      git("checkout", "-q", "-b", "change");
      edit("constructs/data/ml-data-stores.ts", 'databaseName: "mlflow"', 'databaseName: "tracking"');
      edit("constructs/data/ml-data-stores.ts", 'bucket("mlflow-artifacts", ', 'bucket("mlflow-artifact-store", ');
      edit("constructs/ml/mlflow.ts", "props.dataStores.grantMlflowArtifactsReadWrite(this.role);", 'props.dataStores.grantMlflowArtifactsReadWrite(this.role);\n    this.role.addToPolicy({ Sid: "BucketPolicies", Effect: "Allow", Action: ["s3:PutBucketPolicy"], Resource: "*" }, "mlflow-artifacts");');
      edit("constructs/karpenter/node-role.ts", "managedPolicies: [...NODE_ROLE_POLICIES]", 'managedPolicies: [...NODE_ROLE_POLICIES, "AdministratorAccess"]');
      edit("environments/dev.ts", "    adminRoleArns:", '    publicAccessCidrs: ["198.51.100.0/24"],\n    adminRoleArns:');
      edit("constructs/deploy/vpc-runner.ts", '    new VpcSecurityGroupIngressRule(this, "api-from-runner", {', '    new VpcSecurityGroupIngressRule(this, "api-from-anywhere", { securityGroupId: props.apiSecurityGroupId, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });\n    new VpcSecurityGroupIngressRule(this, "api-from-runner", {');
      edit("environments/prod.ts", "budget: { monthlyUsd: 700_000 }", "budget: { monthlyUsd: 100_000 }");
      edit("constructs/observability/targets.ts", 'version: "88.5.3"', 'version: "89.0.0"');
      edit("environments/dev.ts", 'instanceFamilies: ["g6", "g5"]', 'instanceFamilies: ["g6", "g6e", "g5"]');
      edit("constructs/observability/amp-remote-write.ts", "{ alias: props.alias, kmsKeyArn", "{ kmsKeyArn");
      edit("environments/prod.ts", 'models: [{ name: "churn", registry: { model: "churn", alias: "champion" }, version: 7 }]', 'models: [{ name: "churn", registry: { model: "churn", alias: "champion" }, version: 8 }]');
      edit("environments/staging.ts", '"gpu-inference-l40s": { nominal: 4, borrowingLimit: 2 }', '"gpu-inference-l40s": { nominal: 5, borrowingLimit: 2 }');
      git("commit", "-qam", "change");
      const r = review("--base", "main", "--json", "review.json", "--markdown", "comment.md", "--full", "full.md", "--tests", "failure");
      expect([r.status, r.stderr]).toEqual([0, ""]);
      out = JSON.parse(readFileSync(join(tmp, "review.json"), "utf8"));
      comment = readFileSync(join(tmp, "comment.md"), "utf8");
    });

    const find = (kind: string, text: string | RegExp) => out.banners.filter((b) => b.kind === kind && (typeof text === "string" ? `${b.stack}: ${b.message}`.includes(text) : text.test(`${b.stack}: ${b.message}`)));

    test("the JSON review is valid against the committed schema", () => {
      expect(validate(out) ? [] : validate.errors).toEqual([]);
      expect(out.tests).toBe("failure");
    });

    test("db_name: dev loses its database without a final snapshot; prod's plan fails on prevent_destroy", () => {
      expect(find("data-loss", /^dev-foundation: `ml-data\/mlflow-db\/instance` .* REPLACED .*db_name forces replacement.*no final snapshot/)).toHaveLength(1);
      expect(find("plan-fails", /^prod-foundation: Terraform plan fails: `ml-data\/mlflow-db\/instance` .*prevent_destroy/)).toHaveLength(1);
    });

    test("the renamed bucket construct destroys the MLflow artifact bucket in every environment, prod's too", () => {
      for (const env of ["dev", "staging", "prod"]) expect([env, find("data-loss", new RegExp(`^${env}-foundation: \`ml-data/mlflow-artifact-store/bucket\` \\(aws_s3_bucket .*construct renamed`)).length]).toEqual([env, 1]);
      expect(find("data-loss", /^prod-foundation: `ml-data\/mlflow-artifact-store\/bucket`.*prevent_destroy does NOT apply/)).toHaveLength(1);
    });

    test("IAM: s3:PutBucketPolicy on * for MLflow and AdministratorAccess on the Karpenter node role", () => {
      expect(find("iam-widened", "role `mlp-dev-mlflow` is granted `s3:PutBucketPolicy` on `*`")).toHaveLength(1);
      expect(find("iam-widened", "role `mlp-prod-karpenter-node` gets managed policy `arn:aws:iam::aws:policy/AdministratorAccess`")).toHaveLength(1);
    });

    test("security: dev's public API endpoint and the 0.0.0.0/0 ingress", () => {
      expect(find("security", "dev-foundation: EKS API endpoint is public, reachable from 198.51.100.0/24")).toHaveLength(1);
      expect(find("security", /^prod-foundation: open to the internet: ingress tcp 443 from 0\.0\.0\.0\/0/)).toHaveLength(1);
    });

    test("the prod budget breach is a banner, the review still exits 0 and writes the comment", () => {
      expect(find("budget", "budget breach in `prod`")).toEqual([expect.objectContaining({ severity: "critical" })]);
      expect(comment).toContain("> **Budget breach** (1)");
    });

    test("the chart major bump, the dev GPU pool that rolls, and the AMP workspace that may be replaced", () => {
      expect(find("chart-major", "chart `kube-prometheus-stack` 88.5.3 → 89.0.0")).toHaveLength(3);
      expect(find("node-roll", "dev-platform: NodePool `gpu-inference` rolls: its template changed (spec.template.spec.requirements[key=karpenter.k8s.aws/instance-family].values: + g6e)")).toHaveLength(1);
      expect(find("may-replace", /^staging-platform: may replace: confirm in plan\. `observability\/amp\/workspace`/)).toHaveLength(1);
    });

    test("the served model version pinned in prod moves 7 → 8: the comment says so, with its canary", () => {
      expect(find("model-version", "prod-ml: model churn: version 7 → 8 (canary 10% → 25% → 50% → 100%, rolled back if its analysis fails)")).toHaveLength(1);
      expect(comment).toContain("model churn: version 7 → 8");
    });

    test("staging's nlp quota 4 → 5 inference L40S: its worst-case cost before and after, and the pool's ledger", () => {
      // One L40S more at g6e.16xlarge's $7.5772 per GPU-hour for 720 hours: $5,455.58 (test/governance/review-teams.test.ts).
      expect(comment).toContain("| staging | nlp | $65,211.26 | $70,666.85 | $43,516.80 | $48,972.38 |");
      expect(comment).toContain("- staging: `gpu-inference` nvidia.com/gpu: 12 → 13 claimed of 16 (team nlp 4 → 5)");
      expect(out.cost.find((c) => c.environment === "staging")?.teams?.map((t) => t.queue)).toEqual(["nlp"]);
    });

    test("the comment leads with the failed tests, the summary and the banners, and fits", () => {
      expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
      expect(comment).toMatch(/^## Infrastructure review\n/);
      expect(comment.indexOf("`npm test` failed on this change")).toBeLessThan(comment.indexOf("<details>"));
      const full = readFileSync(join(tmp, "full.md"), "utf8");
      for (const s of out.stacks.filter((x) => x.status !== "unchanged")) expect(full).toContain(`<summary><code>${s.stack}</code>`);
    });

    test("stdout through a pipe carries every byte, and `npm run -s review -- --json | jq` works", () => {
      const size = statSync(join(tmp, "review.json")).size;
      expect(size).toBeGreaterThan(65_536);
      const piped = shell("node dist/scripts/review.js --base main --tests failure --json | cat > piped.json");
      expect([piped.status, piped.stderr]).toEqual([0, ""]);
      expect(readFileSync(join(tmp, "piped.json"), "utf8")).toBe(readFileSync(join(tmp, "review.json"), "utf8"));
      const jq = shell("npm run -s review -- --base main --tests failure --json | jq -r '.schemaVersion, (.banners | length)'");
      expect([jq.status, jq.stdout]).toEqual([0, `1\n${out.banners.length}\n`]);
    });

    test("the README's review commands run as written (against origin/main)", () => {
      const readme = readFileSync(join(repo, "README.md"), "utf8");
      const block = /## Review a change\n\n```sh\n([^]*?)```/.exec(readme)![1];
      const commands = block.split("\n").filter((l) => l.startsWith("npm run -s review")).map((l) => l.replace(/\s+# .*$/, ""));
      expect(commands).toHaveLength(2);
      git("update-ref", "refs/remotes/origin/main", "main");
      const [comment, critical] = commands.map((c) => shell(c));
      expect([comment.status, comment.stdout.startsWith("## Infrastructure review\n")]).toEqual([0, true]);
      expect(critical.status).toBe(0);
      expect(critical.stdout).toContain("Terraform plan fails: `ml-data/mlflow-db/instance`");
    });
  });

  test("three new environments (copies of staging with their own CIDRs): the comment fits and summarizes them", () => {
    git("checkout", "-q", "main");
    ["research", "vision", "speech"].forEach((name, i) => {
      copyFileSync(join(tmp, "environments/staging.ts"), join(tmp, `environments/${name}.ts`));
      edit(`environments/${name}.ts`, 'vpcCidr: "10.30.0.0/16"', `vpcCidr: "10.${41 + i}.0.0/16"`);
    });
    const r = shell("node dist/scripts/review.js --base main --markdown comment-envs.md --json - | cat > envs.json");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const comment = readFileSync(join(tmp, "comment-envs.md"), "utf8");
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment).toMatch(/\*\*New environments\*\* .*`research` \(5 stacks, \d+ resources to add\), `speech` \(5 stacks, \d+ resources to add\), `vision` \(5 stacks/);
    const json = JSON.parse(readFileSync(join(tmp, "envs.json"), "utf8")) as Review;
    expect(json.summary.filter((e) => e.status === "new").map((e) => e.environment)).toEqual(["research", "speech", "vision"]);
    expect(statSync(join(tmp, "envs.json")).size).toBeGreaterThan(65_536);
    for (const name of ["research", "vision", "speech"]) rmSync(join(tmp, `environments/${name}.ts`));
  });

  test("a base ref that does not exist fails with the reason and exit 1; a usage error exits 2", () => {
    const bad = review("--base", "no-such-ref");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no-such-ref/);
    const usage = review("--json", "--markdown", "-", "--base", "main");
    expect([usage.status, usage.stderr]).toEqual([2, expect.stringContaining("only one output can go to stdout")]);
  });
});
