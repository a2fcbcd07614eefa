// The EFA fabric check: the nccl-tests MPI runtime on the EFA pool, the TrainJob scripts/nccl-check.ts applies (both
// against the Trainer CRDs), the image's pinned versions, huge pages reaching Karpenter, and the verdict on a log.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EFA_HUGE_PAGES_REQUEST } from "../../constructs/resilience/capacity-fallback";
import { expectedBusBandwidth, NCCL_TESTS_TAG, NCCL_TESTS_VERSIONS, ncclTestsRuntime, ncclTestsTrainJob, parseAllReduceLog } from "../../constructs/resilience/nccl-tests";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { judge } from "../../scripts/nccl-check";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { walkDeploy } from "../helpers/deploy-walk/walk";
import { crdValidator } from "../helpers/gpu-reference";
import { renderedObjects } from "../helpers/ml-helm";
import { projectEnvironments, stack, synthesizeAll, type SynthesizedStack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const runtime = (env: string): Json => renderedObjects(stack(`${env}-ml`)).find(({ obj }) => obj.kind === "ClusterTrainingRuntime" && obj.metadata.name === "nccl-tests-efa")?.obj;
const job = (rt: Json, name: string): Json => rt.spec.template.spec.replicatedJobs.find((j: Json) => j.name === name).template.spec.template.spec;

/** all_reduce_perf output in nccl-tests' format: `size count type redop root time algbw busbw #wrong` twice. */
function log(busbw: number, opts: { efa?: boolean; wrong?: number } = {}): string {
  const row = (bytes: number, bw: number) => `  ${bytes}  ${bytes / 4}  float  sum  -1  1000.0  ${bw}  ${bw}  ${opts.wrong ?? 0}  1001.0  ${bw}  ${bw}  0`;
  return [
    ...(opts.efa === false ? ["NCCL INFO NET/Socket : Using [0]eth0"] : ["NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct (found 32 nics)"]),
    "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong",
    row(8, 0.01),
    row(1073741824, busbw * 0.9),
    row(17179869184, busbw),
    "# Out of bounds values : 0 OK",
    `# Avg bus bandwidth    : ${(busbw / 3).toFixed(2)}`,
  ].join("\n");
}

describe("nccl-tests-efa runtime", () => {
  test("staging (p5, managed node group) and prod: whole EFA nodes with the huge pages EFA needs, sshd as UID 1000", () => {
    for (const [env, efa] of [["staging", "4"], ["prod", "32"]] as const) {
      const node = job(runtime(env), "node");
      expect(node.nodeSelector).toEqual({ "node.ml-platform.io/pool": "efa-training", "nvidia.com/gpu.present": "true", "node.ml-platform.io/efa": "true" });
      expect(node.containers[0].resources).toEqual({
        requests: { cpu: "8", memory: "32Gi", "hugepages-2Mi": "5120Mi" },
        limits: { memory: "32Gi", "hugepages-2Mi": "5120Mi", "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": efa },
      });
      expect(node.containers[0].command).toEqual(["/usr/sbin/sshd"]);
      expect(node.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 1000 }));
      expect(runtime(env).spec.mlPolicy.mpi).toEqual({ numProcPerNode: 8, mpiImplementation: "OpenMPI", sshAuthMountPath: "/home/mpiuser/.ssh", runLauncherAsNode: false });
    }
    expect(runtime("dev")).toBeUndefined();
  });

  test("the launcher passes the EFA and NCCL settings to every rank and runs all_reduce_perf with checked results", () => {
    const launcher = job(runtime("prod"), "launcher");
    const env = Object.fromEntries(launcher.containers[0].env.map((e: Json) => [e.name, e.value]));
    expect(env).toEqual(expect.objectContaining({ FI_PROVIDER: "efa", FI_EFA_USE_DEVICE_RDMA: "1", NCCL_DEBUG: "INFO" }));
    const cmd: string[] = launcher.containers[0].command;
    for (const name of Object.keys(env)) expect(cmd[cmd.indexOf(name) - 1]).toBe("-x");
    expect(cmd.slice(cmd.findIndex((c) => c.endsWith("/all_reduce_perf")))).toEqual(["/opt/nccl-tests/build/all_reduce_perf", "-b", "8", "-e", "16G", "-f", "2", "-g", "1", "-c", "1", "-n", "50"]);
    expect(launcher.nodeSelector).toBeUndefined();
    expect(launcher.containers[0].image).toBe(`444455556666.dkr.ecr.us-east-1.amazonaws.com/mlp-prod/nccl-tests:${IMAGE_TAGS["nccl-tests"]}`);
  });

  test("the runtime and the TrainJob validate against Trainer 2.3.0's CRDs; a broken MPI policy does not", () => {
    const runtimes = crdValidator("kubeflow-trainer/crds/trainer.kubeflow.org_clustertrainingruntimes.yaml", "v1alpha1");
    const trainJobs = crdValidator("kubeflow-trainer/crds/trainer.kubeflow.org_trainjobs.yaml", "v1alpha1");
    const rt = ncclTestsRuntime({ image: "i", gpusPerNode: 8, efaInterfacesPerNode: 32, instanceTypes: ["p5.48xlarge"] }) as Json;
    expect([runtimes(rt), runtimes.errors]).toEqual([true, null]);
    expect([trainJobs(ncclTestsTrainJob("nccl-check-x", 2)), trainJobs.errors]).toEqual([true, null]);
    expect(runtimes({ ...rt, spec: { ...rt.spec, mlPolicy: { numNodes: 2, mpi: { mpiImplementation: "MVAPICH" } } } })).toBe(false);
    expect(trainJobs({ ...ncclTestsTrainJob("x", 2), spec: { runtimeRef: { name: "nccl-tests-efa" }, trainer: { numNodes: "two" } } })).toBe(false);
  });

  test("the image tag names the Dockerfile's pinned versions", () => {
    const dockerfile = readFileSync(join(__dirname, "../../images/nccl-tests/Dockerfile"), "utf8");
    const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(args).toEqual({
      CUDA_VERSION: NCCL_TESTS_VERSIONS.cuda,
      EFA_INSTALLER_VERSION: NCCL_TESTS_VERSIONS.efaInstaller,
      AWS_OFI_NCCL_VERSION: NCCL_TESTS_VERSIONS.awsOfiNccl,
      NCCL_VERSION: NCCL_TESTS_VERSIONS.nccl,
      NCCL_TESTS_VERSION: NCCL_TESTS_VERSIONS.ncclTests,
    });
    expect(NCCL_TESTS_TAG).toBe("efa1.43.2-ofi1.16.3-nccl2.27.7-1-tests2.16.9");
  });
});

describe("huge pages reach the scheduler", () => {
  test("without the EFA NodeOverlay, the deploy walk finds no node for the check (Karpenter does not model huge pages)", () => {
    const manifest = JSON.parse(readFileSync(join(synthesizeAll().outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
    const base = synthesizeAll().stacks.filter((s) => s.id.startsWith("prod-") && manifest.stacks[s.id]);
    const stacks: SynthesizedStack[] = base.map((s) => ({ ...s, json: structuredClone(s.json) }));
    const pools = Object.values((stacks.find((s) => s.id === "prod-platform")!.json as Json).resource.helm_release as Record<string, Json>).find((r) => r.name === "karpenter-node-pools");
    pools.values = pools.values.map((v: string) => {
      const tree = JSON.parse(v);
      // Only the huge-pages overlay: prod's GPU-sharing overlays stay (docs/serving.md).
      tree.manifests = tree.manifests.filter((m: Json) => !(m.kind === "NodeOverlay" && Object.keys(m.spec.capacity).some((k) => k.startsWith("hugepages-"))));
      return JSON.stringify(tree);
    });
    const r = walkDeploy({ stacks, dependencies: Object.fromEntries(stacks.map((s) => [s.id, manifest.stacks[s.id].dependencies])), footprints: declaredFootprints(projectEnvironments()) });
    expect(r.findings).toContainEqual(expect.stringMatching(/ClusterTrainingRuntime nccl-tests-efa \(job node\)\): requests hugepages-2Mi, which no node it may use has$/));
    expect(r.findings.every((f) => f.includes("ClusterTrainingRuntime nccl-tests-efa (job node)"))).toBe(true);
    expect(Number.parseInt(EFA_HUGE_PAGES_REQUEST)).toBeLessThanOrEqual(10256);
  });
});

describe("reading the result", () => {
  test("expected bus bandwidth is half the instance type's network line rate", () => {
    expect(expectedBusBandwidth("p5.48xlarge")).toEqual({ lineRateGBps: 400, passGBps: 200 });
    expect(expectedBusBandwidth("p4d.24xlarge")).toEqual({ lineRateGBps: 50, passGBps: 25 });
    expect(expectedBusBandwidth("g6e.48xlarge")).toBeUndefined();
  });

  test("parses the largest message's bus bandwidth, the average and the provider", () => {
    expect(parseAllReduceLog(log(310))).toEqual({ largestBytes: 17179869184, largestBusBwGBps: 310, avgBusBwGBps: 103.33, efaSelected: true, wrongResults: 0 });
    expect(parseAllReduceLog("mpirun: ssh: connect to host node-0 port 2222: Connection refused")).toBeUndefined();
  });

  test("passes a healthy p5 run; fails slow, socket-only and wrong runs, and an empty log", () => {
    expect(judge(log(310), "p5.48xlarge").pass).toBe(true);
    expect(judge(log(120), "p5.48xlarge").lines).toContain("FAIL: bus bandwidth below 200 GB/s");
    expect(judge(log(310, { efa: false }), "p5.48xlarge").lines).toContain("FAIL: NCCL did not report the EFA provider (NET/OFI): it ran over sockets");
    expect(judge(log(310, { wrong: 2 }), "p5.48xlarge").pass).toBe(false);
    expect(judge("", "p5.48xlarge")).toEqual({ pass: false, lines: ["no all_reduce_perf results in the log (did the launcher run?)"] });
  });
});
