// The EFA training image: the EFA runtime runs images/torch-efa with the EFA settings, the other runtimes keep the
// plain PyTorch image; every Dockerfile is pinned and runs as UID 1000; the versions the images pin agree with each
// other and with the constants the stacks use; the EFA settings are one function shared with the fabric check.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { efaEnv, gpuDirectRdma } from "../../constructs/ml/efa-environment";
import { EFA_INSTALLER, RAY_EFA_VERSIONS, TORCH_EFA_VERSIONS } from "../../constructs/ml/efa-images";
import { TORCH_IMAGE } from "../../constructs/ml/kubeflow-trainer";
import { ncclTestsRuntime } from "../../constructs/resilience/nccl-tests";
import { RAY_GPU_IMAGE } from "../../constructs/serving/ray-templates";
import { dockerfileProblems, readDockerfile } from "../helpers/dockerfile";
import { renderedObjects } from "../helpers/ml-helm";
import { stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const IMAGES = join(__dirname, "../../images");
const dockerfile = (image: string) => readFileSync(join(IMAGES, image, "Dockerfile"), "utf8");
const runtimes = (env: string): Json[] => renderedObjects(stack(`${env}-ml`)).filter(({ obj }) => obj.kind === "ClusterTrainingRuntime").map(({ obj }) => obj);
const pods = (rt: Json): Json[] => rt.spec.template.spec.replicatedJobs.map((j: Json) => j.template.spec.template.spec);
const torchRuntime = (env: string, name: string): Json => pods(runtimes(env).find((r) => r.metadata.name === name))[0];
const envOf = (container: Json): Record<string, string> => Object.fromEntries((container.env ?? []).map((e: Json) => [e.name, e.value]));

/** Numeric comparison of dotted versions (`2.29.7` > `2.17.1`). */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * A container given EFA interfaces either gets the huge pages libfabric maps by default, or turns them off: without a
 * `hugepages-2Mi` request the pod may map none. (The fabric check's launcher has the EFA settings only to pass them to
 * the ranks; it has no EFA interface.)
 */
function hugePageProblems(rt: Json): string[] {
  return pods(rt).flatMap((pod) =>
    pod.containers
      .filter((c: Json) => c.resources?.limits?.["vpc.amazonaws.com/efa"] && !c.resources.limits["hugepages-2Mi"] && envOf(c).FI_EFA_USE_HUGE_PAGE !== "0")
      .map((c: Json) => `${rt.metadata.name}/${c.name}: EFA without huge pages requested or FI_EFA_USE_HUGE_PAGE=0`),
  );
}

describe("Dockerfiles", () => {
  test("every image under images/ pins its base and build arguments (never latest) and ends as UID 1000", () => {
    const names = readdirSync(IMAGES).sort();
    expect(names).toEqual(expect.arrayContaining(["nccl-tests", "ray-efa", "torch-efa"]));
    for (const name of names) expect([name, dockerfileProblems(dockerfile(name))]).toEqual([name, []]);
  });

  test("the check rejects an unpinned or latest base, an argument without a default or set to latest, and root", () => {
    expect(dockerfileProblems("FROM pytorch/pytorch:latest\nUSER 1000")).toEqual(["FROM pytorch/pytorch:latest: pinned to latest"]);
    expect(dockerfileProblems("FROM localhost:5000/pytorch\nUSER 1000")).toEqual(["FROM localhost:5000/pytorch: not pinned to a tag or digest"]);
    expect(dockerfileProblems("ARG BASE\nFROM pytorch/pytorch:${BASE}\nUSER 1000")).toEqual(["FROM pytorch/pytorch:${BASE}: a build argument without a default", "ARG BASE: no default"]);
    expect(dockerfileProblems("ARG EFA_INSTALLER_VERSION=latest\nFROM a:1\nUSER 1000:1000")).toEqual(["ARG EFA_INSTALLER_VERSION=latest: latest"]);
    expect(dockerfileProblems("FROM a:1\nRUN curl -O https://x/aws-efa-installer-latest.tar.gz\nUSER 1000")).toHaveLength(1);
    expect(dockerfileProblems("FROM a:1\nUSER 1000\nUSER root")).toEqual(["final USER is root, not 1000"]);
    expect(dockerfileProblems("FROM a@sha256:" + "0".repeat(64))).toEqual(["final USER is root (none set), not 1000"]);
  });

  test("torch-efa is the plain runtimes' image plus the pinned EFA installer, user space only", () => {
    const f = readDockerfile(dockerfile("torch-efa"));
    expect(f.from).toEqual([TORCH_IMAGE]);
    expect(TORCH_EFA_VERSIONS.base).toBe(TORCH_IMAGE);
    expect(TORCH_IMAGE).toBe(`pytorch/pytorch:${TORCH_EFA_VERSIONS.pytorch}-cuda${TORCH_EFA_VERSIONS.cuda}-cudnn9-runtime`);
    expect(f.args).toEqual({ EFA_INSTALLER_VERSION: EFA_INSTALLER.version });
    for (const image of ["torch-efa", "ray-efa"]) {
      const install = readDockerfile(dockerfile(image)).runs.find((r) => r.includes("efa_installer.sh"));
      // No kernel module (the node's AMI has it), no device check at build time.
      expect([image, install]).toEqual([image, expect.stringMatching(/efa_installer\.sh -y --skip-kmod --skip-limit-conf --no-verify --skip-mpi/)]);
      expect(install).toContain("https://efa-installer.amazonaws.com/aws-efa-installer-${EFA_INSTALLER_VERSION}.tar.gz");
    }
  });

  test("ray-efa is the Ray templates' GPU image plus the same installer", () => {
    const f = readDockerfile(dockerfile("ray-efa"));
    expect(f.from).toEqual([RAY_GPU_IMAGE]);
    expect(RAY_EFA_VERSIONS.base).toBe(RAY_GPU_IMAGE);
    expect(f.args).toEqual({ EFA_INSTALLER_VERSION: EFA_INSTALLER.version });
  });

  test("PyTorch's NCCL is one the installer's aws-ofi-nccl supports", () => {
    expect(compareVersions(TORCH_EFA_VERSIONS.nccl, EFA_INSTALLER.minNccl)).toBeGreaterThanOrEqual(0);
    expect(compareVersions("2.16.5", EFA_INSTALLER.minNccl)).toBeLessThan(0);
    expect(compareVersions("2.29.10", "2.29.7")).toBeGreaterThan(0);
  });
});

describe("EFA settings (efaEnv)", () => {
  test("device RDMA is forced only where aws-ofi-nccl requires GPUDirect RDMA on every type of the pool", () => {
    expect([gpuDirectRdma("p4d.24xlarge"), gpuDirectRdma("p5.48xlarge"), gpuDirectRdma("p5en.48xlarge"), gpuDirectRdma("p6-b200.48xlarge")]).toEqual([true, true, true, true]);
    // The plugin lists p5.4xlarge and g5.48xlarge without GPUDirect RDMA, and g6e not at all.
    expect([gpuDirectRdma("p5.4xlarge"), gpuDirectRdma("g5.48xlarge"), gpuDirectRdma("g6e.48xlarge")]).toEqual([false, false, undefined]);
    const names = (types: string[]) => efaEnv(types, "pytorch").map((e) => e.name);
    expect(names(["p5.48xlarge"])).toContain("FI_EFA_USE_DEVICE_RDMA");
    expect(names(["g6e.48xlarge"])).not.toContain("FI_EFA_USE_DEVICE_RDMA");
    expect(names(["p5.48xlarge", "g6e.48xlarge"])).not.toContain("FI_EFA_USE_DEVICE_RDMA");
    expect(() => efaEnv([], "pytorch")).toThrow(/at least one instance type/);
  });

  test("the training runtimes and the fabric check share every setting they both have", () => {
    const torch = Object.fromEntries(efaEnv(["p5.48xlarge"], "pytorch").map((e) => [e.name, e.value]));
    const check = Object.fromEntries(efaEnv(["p5.48xlarge"], "nccl-tests").map((e) => [e.name, e.value]));
    const shared = Object.keys(torch).filter((k) => k in check);
    expect(shared.sort()).toEqual(["FI_EFA_USE_DEVICE_RDMA", "FI_PROVIDER", "NCCL_NET", "NCCL_SOCKET_IFNAME"]);
    for (const k of shared) expect([k, torch[k]]).toEqual([k, check[k]]);
    // NCCL must use the plugin or fail; it never falls back to its TCP sockets.
    expect(torch).toEqual(expect.objectContaining({ FI_PROVIDER: "efa", NCCL_NET: "Libfabric", FI_EFA_USE_HUGE_PAGE: "0" }));
    expect(check).toEqual(expect.objectContaining({ NCCL_DEBUG: "INFO", FI_EFA_FORK_SAFE: "1" }));
  });
});

describe("runtimes", () => {
  test.each([
    ["staging", ["p4d.24xlarge"], "111122223333"],
    ["prod", ["p5.48xlarge"], "444455556666"],
  ])("%s: torch-distributed-efa runs the EFA image with the EFA settings and no huge pages", (env, types, account) => {
    const pod = torchRuntime(env, "torch-distributed-efa");
    const c = pod.containers[0];
    expect(c.image).toBe(`${account}.dkr.ecr.us-east-1.amazonaws.com/mlp-${env}/torch-efa:${IMAGE_TAGS["torch-efa"]}`);
    expect(envOf(c)).toEqual(expect.objectContaining(Object.fromEntries(efaEnv(types, "pytorch").map((e) => [e.name, e.value]))));
    expect(envOf(c).FI_EFA_USE_DEVICE_RDMA).toBe("1");
    expect(JSON.stringify(c.resources)).not.toContain("hugepages");
  });

  test.each(["dev", "staging", "prod"])("%s: the other PyTorch runtimes keep the plain image and no EFA settings", (env) => {
    for (const name of ["torch-distributed", "torch-distributed-gpu"]) {
      const rt = runtimes(env).find((r) => r.metadata.name === name);
      if (!rt) continue;
      const c = pods(rt)[0].containers[0];
      expect([name, c.image]).toEqual([name, TORCH_IMAGE]);
      expect(Object.keys(envOf(c)).filter((k) => k.startsWith("FI_") || k.startsWith("NCCL_"))).toEqual([]);
    }
  });

  test("every runtime on EFA either requests huge pages or turns libfabric's off; one without either is caught", () => {
    for (const env of ["dev", "staging", "prod"]) for (const rt of runtimes(env)) expect(hugePageProblems(rt)).toEqual([]);
    const check = ncclTestsRuntime({ image: "i", gpusPerNode: 8, efaInterfacesPerNode: 32, instanceTypes: ["p5.48xlarge"] }) as Json;
    expect(hugePageProblems(check)).toEqual([]);
    const node = pods(check)[0].containers[0];
    delete node.resources.limits["hugepages-2Mi"];
    expect(hugePageProblems(check)).toEqual(["nccl-tests-efa/node: EFA without huge pages requested or FI_EFA_USE_HUGE_PAGE=0"]);
  });
});
