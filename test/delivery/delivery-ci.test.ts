// The drift-monitor image's way to the environment's ECR: a pinned Dockerfile, a content tag that the ML stack names
// and that is regenerated when the directory changes, and the deploy workflow building and pushing exactly the tags
// the environment lacks, after the foundation created the repository and before the cluster stacks are planned.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { ciEnvironments } from "../../scripts/ci";
import { projectEnvironment, projectEnvironments } from "../helpers/synth";
import { REPO_ROOT } from "../helpers/workflows";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const image = (file: string) => readFileSync(join(REPO_ROOT, "images/drift-monitor", file), "utf8");

/** Problems of a Dockerfile and requirements: an unpinned base image, a requirement without an exact version. */
function pinningProblems(dockerfile: string, requirements: string): string[] {
  const problems: string[] = [];
  for (const from of dockerfile.split("\n").filter((l) => /^FROM\s/i.test(l))) {
    const ref = from.split(/\s+/)[1];
    if (!/@sha256:[0-9a-f]{64}$/.test(ref) && !/:\d+\.\d+\.\d+[\w.-]*$/.test(ref)) problems.push(`base image ${ref} is not pinned to a release tag or digest`);
  }
  for (const req of requirements.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean)) {
    if (!/^[A-Za-z0-9_.-]+(\[[\w,]+\])?==\d[\w.]*$/.test(req)) problems.push(`requirement ${req} is not pinned with ==`);
  }
  if (!/^USER\s+\d+:\d+$/m.test(dockerfile)) problems.push("runs as root: no numeric USER");
  return problems;
}

describe("the drift-monitor image", () => {
  test("pins its base image to a release tag, every requirement with ==, and runs as a numeric non-root user", () => {
    expect(pinningProblems(image("Dockerfile"), image("requirements.txt"))).toEqual([]);
    expect(image("requirements.txt")).toMatch(/^evidently==0\.7\.\d+$/m);
  });

  test("the pinning check fails latest, a range and root", () => {
    expect(pinningProblems("FROM python:latest\n", "evidently>=0.7\nboto3\n")).toEqual([
      "base image python:latest is not pinned to a release tag or digest",
      "requirement evidently>=0.7 is not pinned with ==",
      "requirement boto3 is not pinned with ==",
      "runs as root: no numeric USER",
    ]);
  });

  test("its content tag is current (node scripts/generate-image-tags.mjs --check)", () => {
    const run = spawnSync("node", [join(REPO_ROOT, "scripts/generate-image-tags.mjs"), "--check"], { encoding: "utf8" });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(IMAGE_TAGS["drift-monitor"]).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("building and pushing it (deploy workflow)", () => {
  const jobs = parse(readFileSync(join(REPO_ROOT, ".github/workflows/deploy-environment.yml"), "utf8")).jobs;
  const step = (job: string, name: string) => (jobs[job].steps as Any[]).find((s) => s.name === name);

  test("every environment lists its images: its own ECR repository, the content tag the ML stack names", () => {
    for (const e of ciEnvironments(projectEnvironments())) {
      const image = (name: keyof typeof IMAGE_TAGS) => ({ name, repository: `${e.account}.dkr.ecr.${e.region}.amazonaws.com/mlp-${e.name}/${name}`, tag: IMAGE_TAGS[name], context: `images/${name}` });
      // The EFA pool's images (fabric check, PyTorch and Ray with EFA) only where there is one (dev has none).
      const efa = projectEnvironment(e.name).compute.efa.mode !== "disabled";
      expect(e.images).toEqual([image("drift-monitor"), ...(efa ? [image("nccl-tests"), image("ray-efa"), image("torch-efa")] : [])]);
      expect(e.images.length).toBe(e.name === "dev" ? 1 : 4);
    }
  });

  test("the plan job finds the tags the repository lacks; the apply job, behind the approval, pushes them after the foundation's apply", () => {
    expect(step("plan-foundation", "Images the environment's ECR lacks").run).toContain('aws ecr describe-images --repository-name "${repository#*/}" --image-ids "imageTag=$tag"');
    expect(jobs["plan-foundation"].outputs.images).toBe("${{ steps.images.outputs.missing }}");
    expect(jobs["apply-foundation"].if).toBe("always() && needs.plan-foundation.result == 'success' && (needs.plan-foundation.outputs.changed == 'true' || needs.plan-foundation.outputs.images != '[]')");
    const names = (jobs["apply-foundation"].steps as Any[]).map((s) => s.name ?? s.uses);
    expect(names.indexOf("Build and push the platform's images")).toBeGreaterThan(names.indexOf("./.github/actions/stacks"));
    const creds = (jobs["apply-foundation"].steps as Any[]).find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials"));
    expect(creds.with["role-to-assume"]).toBe("${{ fromJSON(inputs.environment).roles.apply }}");
    const push = step("apply-foundation", "Build and push the platform's images").run as string;
    expect(push).toContain('docker build --pull --tag "$repository:$tag" "$context"');
    expect(push).toContain('docker push "$repository:$tag"');
    // The CUDA images of an EFA environment do not fit the runner's disk together.
    expect(push.indexOf("docker system prune --all --force")).toBeGreaterThan(push.indexOf('docker push "$repository:$tag"'));
    expect(jobs["plan-cluster"].needs).toEqual(["plan-foundation", "apply-foundation"]);
  });

  test("pull requests never push images", () => {
    expect(readFileSync(join(REPO_ROOT, ".github/workflows/pull-request.yml"), "utf8")).not.toMatch(/docker push|ecr get-login-password/);
  });
});
