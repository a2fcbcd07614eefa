import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { changedPaths, diffStack, reviewMarkdown, summarize, type Review } from "../../scripts/lib/plan-diff";

const repo = resolve(__dirname, "../..");

/** A minimal synthesized stack. */
function stackJson(resource: Record<string, Record<string, unknown>>) {
  return { resource };
}

const policy = (actions: string[]) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "arn:aws:s3:::models/*" }] });

describe("plan diff (pure)", () => {
  test("reports changed attribute paths and summarizes long values", () => {
    expect(changedPaths({ a: 1, b: { c: [1, 2], d: "x" } }, { a: 1, b: { c: [1, 3], d: "y" }, e: true })).toEqual(["b.c[1]", "b.d", "e"]);
    expect(summarize("x".repeat(100), 20)).toBe("xxxxxxxxxxxxxxxxx... (100 chars)");
  });

  test("flags a force-new attribute change as a replacement, louder for stateful types", () => {
    const d = diffStack("dev-foundation", stackJson({ aws_s3_bucket: { b: { bucket: "mlp-dev-a" } } }), stackJson({ aws_s3_bucket: { b: { bucket: "mlp-dev-b" } } }));
    expect(d.replaced).toEqual([{ address: "aws_s3_bucket.b", stateful: true, reason: "bucket: mlp-dev-a -> mlp-dev-b" }]);
    expect(reviewMarkdown({ base: "main", stacks: [d], cost: [] })).toContain("> - **DATA LOSS RISK** `dev-foundation` `aws_s3_bucket.b`: bucket: mlp-dev-a -> mlp-dev-b");
  });

  test("flags a renamed construct (same config, new address) as a replacement that needs a move", () => {
    const cfg = { vpc_id: "${aws_vpc.v.id}", service_name: "com.amazonaws.us-east-1.s3" };
    const d = diffStack("dev-foundation", stackJson({ aws_vpc_endpoint: { old_1: cfg } }), stackJson({ aws_vpc_endpoint: { new_2: cfg } }));
    expect(d.replaced).toEqual([
      { address: "aws_vpc_endpoint.old_1", stateful: false, reason: "address changed to aws_vpc_endpoint.new_2: destroyed and recreated unless a move is added (moveTo / addMoveTarget)" },
    ]);
  });

  test("lists IAM actions granted and revoked per role", () => {
    const role = { name: "mlp-dev-triton", assume_role_policy: "{}" };
    const d = diffStack(
      "dev-ml",
      stackJson({ aws_iam_role: { r: role }, aws_iam_role_policy: { p: { role: "${aws_iam_role.r.id}", policy: policy(["s3:GetObject", "s3:ListBucket"]) } } }),
      stackJson({ aws_iam_role: { r: role }, aws_iam_role_policy: { p: { role: "${aws_iam_role.r.id}", policy: policy(["s3:GetObject", "s3:PutObject"]) } } }),
    );
    expect(d.iam).toEqual([{ role: "mlp-dev-triton", granted: ["Allow s3:PutObject on arn:aws:s3:::models/*"], revoked: ["Allow s3:ListBucket on arn:aws:s3:::models/*"] }]);
  });

  test("reports chart versions, value changes and NodePool limits from Helm releases", () => {
    const pools = (gpus: number) => `manifests:\n  - apiVersion: karpenter.sh/v1\n    kind: NodePool\n    metadata:\n      name: gpu-inference\n    spec:\n      limits:\n        nvidia.com/gpu: ${gpus}\n`;
    const d = diffStack(
      "dev-platform",
      stackJson({ helm_release: { plugin: { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", version: "0.19.2", values: ["a: 1\n"] }, pools: { name: "node-pools", chart: "assets/x/1", values: [pools(4)] } } }),
      stackJson({ helm_release: { plugin: { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", version: "0.20.0", values: ["a: 2\n"] }, pools: { name: "node-pools", chart: "assets/x/2", values: [pools(8)] } } }),
    );
    expect(d.helm).toEqual([
      { release: "nvidia-device-plugin", chart: { from: "nvidia-device-plugin 0.19.2", to: "nvidia-device-plugin 0.20.0" }, values: ["a: 1 -> 2"] },
      { release: "node-pools", chart: undefined, values: ["manifests[0].spec.limits.nvidia.com/gpu: 4 -> 8"] },
    ]);
    expect(d.nodePoolLimits).toEqual([{ nodePool: "gpu-inference", from: { "nvidia.com/gpu": 4 }, to: { "nvidia.com/gpu": 8 } }]);
  });

  test("handles a stack that exists on one side only", () => {
    const d = diffStack("research-foundation", undefined, stackJson({ aws_vpc: { v: { cidr_block: "10.9.0.0/16" } } }));
    expect([d.status, d.added]).toEqual(["added", ["aws_vpc.v"]]);
    expect(diffStack("old-foundation", stackJson({ aws_vpc: { v: {} } }), undefined).status).toBe("removed");
  });
});

describe("npm run review (end to end, temporary git repository)", () => {
  let tmp: string;
  const git = (...args: string[]) => {
    const r = spawnSync("git", args, { cwd: tmp, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const edit = (file: string, from: string, to: string) => {
    const p = join(tmp, file);
    const text = readFileSync(p, "utf8");
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    writeFileSync(p, text.replace(from, to));
  };
  // What `npm run review -- <args>` runs.
  const review = (...args: string[]) => {
    spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: tmp });
    return spawnSync(process.execPath, ["dist/scripts/review.js", ...args], { cwd: tmp, encoding: "utf8" });
  };

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "mlp-review-"));
    // The project as committed (git archive), plus the working-tree files that are not committed yet.
    const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: repo, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    const tar = spawnSync("tar", ["-cf", "-", ...files], { cwd: repo, maxBuffer: 256 * 1024 * 1024 });
    spawnSync("tar", ["-xf", "-"], { cwd: tmp, input: tar.stdout });
    symlinkSync(join(repo, "node_modules"), join(tmp, "node_modules"), "dir");
    git("init", "-q", "-b", "main");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base");
    edit("environments/dev.ts", "limits: { gpus: 4, cpu: 64 }", "limits: { gpus: 8, cpu: 64 }");
    edit("constructs/network/vpc.ts", '"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"', '"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"');
    edit("constructs/gpu/nvidia-device-plugin.ts", 'version: "0.20.0"', 'version: "0.19.2"');
    edit("constructs/network/vpc.ts", 'new VpcEndpoint(this, "s3-endpoint"', 'new VpcEndpoint(this, "s3-gateway-endpoint"');
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "change");
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  let out: Review;
  test("summarizes a GPU limit, an IAM grant, a chart version and a renamed construct against HEAD~1", () => {
    const r = review("--base", "HEAD~1", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    out = JSON.parse(r.stdout) as Review;
    const s = (id: string) => out.stacks.find((x) => x.stack === id)!;

    expect(s("dev-platform").nodePoolLimits).toEqual([{ nodePool: "gpu-inference", from: { cpu: 64, "nvidia.com/gpu": 4 }, to: { cpu: 64, "nvidia.com/gpu": 8 } }]);
    // 8 GPUs / 64 vCPU: now g5.2xlarge (1 GPU, 8 vCPU, $1.212/h) fills 8 nodes = $9.696/h instead of $6.496/h;
    // 10.556/h + 3.2/h = 13.756/h x 720 h = 9,904.32.
    expect(out.cost.find((c) => c.environment === "dev")).toEqual({ environment: "dev", fromPer30Days: 7600.32, toPer30Days: 9904.32 });

    for (const env of ["dev", "staging", "prod"]) {
      expect(s(`${env}-foundation`).iam).toEqual([
        {
          role: `mlp-${env}-vpc-flow-logs`,
          granted: [
            "Allow logs:GetLogEvents on ${aws_cloudwatch_log_group.network_flow-logs_D7C94307.arn}",
            "Allow logs:GetLogEvents on ${aws_cloudwatch_log_group.network_flow-logs_D7C94307.arn}:*",
          ],
          revoked: [],
        },
      ]);
      expect(s(`${env}-platform`).helm).toEqual(
        expect.arrayContaining([expect.objectContaining({ release: "nvidia-device-plugin", chart: { from: "nvidia-device-plugin 0.20.0", to: "nvidia-device-plugin 0.19.2" } })]),
      );
      expect(s(`${env}-foundation`).replaced).toEqual([
        expect.objectContaining({ address: expect.stringMatching(/^aws_vpc_endpoint\.network_s3-endpoint_/), reason: expect.stringMatching(/^address changed to aws_vpc_endpoint\.network_s3-gateway-endpoint_.*moveTo/) }),
      ]);
    }
    expect(s("staging-ml").status).toBe("unchanged");
  });

  test("renders that review as Markdown with the replacements flagged, and fails clearly on a ref that does not exist", () => {
    // The same content as the JSON above (the CLI prints reviewMarkdown(review) without --json).
    const md = reviewMarkdown(out);
    expect(md).toContain("**3 resource(s) would be REPLACED (destroyed and recreated):**");
    expect(md).toContain('- NodePool `gpu-inference` limits: {"cpu":64,"nvidia.com/gpu":4} -> {"cpu":64,"nvidia.com/gpu":8}');
    expect(md).toContain("| dev | $7,600.32 | $9,904.32 | +$2,304.00 |");
    const bad = review("--base", "no-such-ref");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no-such-ref/);
  });
});
