import type { KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";
import { efaEnv, type EnvVar } from "../ml/efa-environment";
import { EFA_RESOURCE, efaTrainingPlacement, GPU_RESOURCE } from "../ml/gpu-scheduling";
import { EFA_HUGE_PAGES_REQUEST } from "./capacity-fallback";
import { TRAINING_NAMESPACE } from "./training-storage-layout";
import { IMAGE_TAGS } from "../delivery/image-tags.generated";
import { imageRepositoryUri } from "../delivery/image-repository";

/**
 * The EFA fabric check (docs/resilience.md "Fabric check"): nccl-tests' all_reduce_perf across the EFA pool's nodes,
 * as a Kubeflow Trainer MPI runtime (`nccl-tests-efa`) and the TrainJob that runs it. scripts/nccl-check.ts applies the
 * TrainJob after a deploy, reads the launcher's log and holds its bus bandwidth against NCCL_EXPECTED_BUSBW.
 */

/**
 * Versions of images/nccl-tests/Dockerfile: the set aws-samples/awsome-distributed-training pins in
 * micro-benchmarks/nccl-tests (CUDA 12.8.1, EFA installer 1.43.2, aws-ofi-nccl v1.16.3, NCCL v2.27.7-1, nccl-tests
 * v2.16.9). The image tag names them, so a rebuild with other versions is another tag.
 */
export const NCCL_TESTS_VERSIONS = { cuda: "12.8.1", efaInstaller: "1.43.2", awsOfiNccl: "1.16.3", nccl: "2.27.7-1", ncclTests: "2.16.9" } as const;

/** The versions as a readable label, `efa<installer>-ofi<plugin>-nccl<nccl>-tests<tests>` (the pull-request build check tags its local build with it). */
export const NCCL_TESTS_TAG = `efa${NCCL_TESTS_VERSIONS.efaInstaller}-ofi${NCCL_TESTS_VERSIONS.awsOfiNccl}-nccl${NCCL_TESTS_VERSIONS.nccl}-tests${NCCL_TESTS_VERSIONS.ncclTests}`;

/**
 * The image the runtime runs: images/nccl-tests in the environment's ECR repository `<prefix>/nccl-tests` (created by
 * the foundation stack), tagged with its content tag, which the deploy workflow builds and pushes after the
 * foundation's apply like every image under images/ (constructs/delivery/image-tags.generated.ts).
 */
export function ncclTestsImage(accountId: string, region: string, namePrefix: string): string {
  return `${imageRepositoryUri(accountId, region, namePrefix, "nccl-tests")}:${IMAGE_TAGS["nccl-tests"]}`;
}

/**
 * Network bandwidth per EFA GPU instance type (Mbit/s), from the Karpenter instance-type reference the catalog is
 * generated from (`karpenter.k8s.aws/instance-network-bandwidth`, EC2 DescribeInstanceTypes). Inter-node all-reduce
 * bus bandwidth cannot exceed a node's network line rate (nccl-tests' busbw is normalised to the per-rank link
 * bandwidth; docs/PERFORMANCE.md in NVIDIA/nccl-tests).
 */
export const EFA_NETWORK_MBPS: Readonly<Record<string, number>> = {
  "p4d.24xlarge": 400_000,
  "p4de.24xlarge": 400_000,
  "p5.48xlarge": 3_200_000,
  "p5e.48xlarge": 3_200_000,
  "p5en.48xlarge": 3_200_000,
  "p6-b200.48xlarge": 3_200_000,
};

/**
 * The share of line rate the check requires at its largest message size. A platform choice, not a published figure:
 * a healthy fabric with GPUDirect RDMA reaches well above it; a node whose NCCL fell back to TCP sockets, or with a
 * dead EFA interface, falls far below it.
 */
export const BUSBW_PASS_SHARE = 0.5;

/** Expected bus bandwidth for an instance type, GB/s: line rate and the pass threshold. */
export function expectedBusBandwidth(instanceType: string): { lineRateGBps: number; passGBps: number } | undefined {
  const mbps = EFA_NETWORK_MBPS[instanceType];
  if (mbps === undefined) return undefined;
  const lineRateGBps = mbps / 8 / 1000;
  return { lineRateGBps, passGBps: Math.round(lineRateGBps * BUSBW_PASS_SHARE * 10) / 10 };
}

/** Where the image puts things (images/nccl-tests/Dockerfile). */
const MPI_USER_HOME = "/home/mpiuser";
const ALL_REDUCE = "/opt/nccl-tests/build/all_reduce_perf";

/**
 * The launcher's command: one rank per GPU of every node (the hostfile and slots come from Trainer's MPI plugin, the
 * ssh port 2222 from the image's ssh_config, so Trainer's own `OMPI_MCA_*` settings stay in force), every variable of
 * `env` exported to the ranks, 8 B to 16 GiB messages, checked results.
 */
export function allReduceCommand(env: ReadonlyArray<EnvVar>): string[] {
  const passed = env.flatMap((e) => ["-x", e.name]);
  return ["mpirun", "--bind-to", "none", ...passed, "-x", "LD_LIBRARY_PATH", ALL_REDUCE, "-b", "8", "-e", "16G", "-f", "2", "-g", "1", "-c", "1", "-n", "50"];
}

/** The image and the EFA node shape the runtime requests. */
export interface NcclRuntimeProps {
  readonly image: string;
  readonly gpusPerNode: number;
  readonly efaInterfacesPerNode: number;
  /** Every instance type of the EFA pool: decides FI_EFA_USE_DEVICE_RDMA. */
  readonly instanceTypes: readonly string[];
}

/**
 * ClusterTrainingRuntime `nccl-tests-efa`: Trainer's MPI policy (OpenMPI, SSH keys it generates at the mount path) with
 * a `node` job on the EFA pool, each pod taking a whole node's GPUs and EFA interfaces and the huge pages the EFA
 * driver needs, running a non-root sshd on 2222, and a `launcher` on the general pool that runs mpirun once every node
 * is ready. Runs restricted like every runtime here (UID 1000, no capabilities). Its EFA and NCCL settings are the
 * training runtimes' (`efaEnv`, constructs/ml/efa-environment.ts) plus what the check needs to read its result.
 */
export function ncclTestsRuntime(props: NcclRuntimeProps): KubernetesObject {
  const env = efaEnv(props.instanceTypes, "nccl-tests");
  const container = (name: string, extra: Record<string, unknown>) => ({
    name,
    image: props.image,
    env: env.map((e) => ({ ...e })),
    securityContext: restrictedContainerSecurityContext(),
    ...extra,
  });
  const efa = efaTrainingPlacement();
  return {
    apiVersion: "trainer.kubeflow.org/v1alpha1",
    kind: "ClusterTrainingRuntime",
    metadata: { name: "nccl-tests-efa", labels: { "trainer.kubeflow.org/framework": "mpi", "app.kubernetes.io/part-of": "ml-platform" } },
    spec: {
      mlPolicy: { numNodes: 2, mpi: { numProcPerNode: props.gpusPerNode, mpiImplementation: "OpenMPI", sshAuthMountPath: `${MPI_USER_HOME}/.ssh`, runLauncherAsNode: false } },
      template: {
        spec: {
          network: { publishNotReadyAddresses: true },
          successPolicy: { operator: "All", targetReplicatedJobs: ["launcher"] },
          replicatedJobs: [
            {
              name: "node",
              template: {
                spec: {
                  template: {
                    spec: {
                      ...efa,
                      securityContext: restrictedPodSecurityContext(),
                      containers: [
                        container("node", {
                          command: ["/usr/sbin/sshd"],
                          args: ["-De", "-f", `${MPI_USER_HOME}/.sshd_config`],
                          readinessProbe: { tcpSocket: { port: 2222 }, initialDelaySeconds: 5 },
                          resources: {
                            // Huge pages need a memory or CPU request beside them; limits equal requests for huge pages.
                            requests: { cpu: "8", memory: "32Gi", "hugepages-2Mi": EFA_HUGE_PAGES_REQUEST },
                            limits: { memory: "32Gi", "hugepages-2Mi": EFA_HUGE_PAGES_REQUEST, [GPU_RESOURCE]: String(props.gpusPerNode), [EFA_RESOURCE]: String(props.efaInterfacesPerNode) },
                          },
                          volumeMounts: [{ name: "dshm", mountPath: "/dev/shm" }],
                        }),
                      ],
                      volumes: [{ name: "dshm", emptyDir: { medium: "Memory" } }],
                    },
                  },
                },
              },
            },
            {
              name: "launcher",
              dependsOn: [{ name: "node", status: "Ready" }],
              template: {
                metadata: { labels: { "trainer.kubeflow.org/trainjob-ancestor-step": "trainer" } },
                spec: {
                  backoffLimit: 0,
                  template: {
                    spec: {
                      securityContext: restrictedPodSecurityContext(),
                      containers: [container("node", { command: allReduceCommand(env), resources: { requests: { cpu: "500m", memory: "512Mi" } } })],
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  };
}

/** The TrainJob the fabric check applies: `nodes` EFA nodes through `nccl-tests-efa`, in the training namespace. */
export function ncclTestsTrainJob(name: string, nodes: number): KubernetesObject {
  return {
    apiVersion: "trainer.kubeflow.org/v1alpha1",
    kind: "TrainJob",
    metadata: { name, namespace: TRAINING_NAMESPACE, labels: { "app.kubernetes.io/part-of": "ml-platform", "app.kubernetes.io/component": "fabric-check" } },
    spec: { runtimeRef: { apiGroup: "trainer.kubeflow.org", kind: "ClusterTrainingRuntime", name: "nccl-tests-efa" }, trainer: { numNodes: nodes } },
  };
}

/** What all_reduce_perf printed: the largest message's bus bandwidth, the average, and whether NCCL used EFA. */
export interface NcclResult {
  readonly largestBytes: number;
  readonly largestBusBwGBps: number;
  readonly avgBusBwGBps: number;
  readonly efaSelected: boolean;
  readonly wrongResults: number;
}

/**
 * Parses all_reduce_perf output: data rows are `size count type redop root time algbw busbw #wrong` out of place,
 * then the same in place; the summary line is `# Avg bus bandwidth    : 12.34`.
 */
export function parseAllReduceLog(log: string): NcclResult | undefined {
  const rows = log
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 13 && /^\d+$/.test(f[0]) && /^\d+$/.test(f[1]))
    .map((f) => ({ bytes: Number(f[0]), busbw: Number(f[7]), wrong: Number(f[8]) || 0 }));
  const avg = /#\s*Avg bus bandwidth\s*:\s*([\d.]+)/.exec(log);
  if (!rows.length || !avg) return undefined;
  const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    largestBytes: largest.bytes,
    largestBusBwGBps: largest.busbw,
    avgBusBwGBps: Number(avg[1]),
    efaSelected: /Selected provider is efa|Selected Provider is efa/i.test(log),
    wrongResults: rows.reduce((n, r) => n + r.wrong, 0),
  };
}
