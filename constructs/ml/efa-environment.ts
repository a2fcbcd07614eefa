/**
 * What a NCCL workload on the EFA pool needs in its environment, for every runtime that runs one (the PyTorch runtime
 * `torch-distributed-efa`, the fabric check `nccl-tests-efa`, and Ray workers on the EFA pool): one function, so the
 * check measures the fabric with the settings the training jobs use. Why each variable (docs/resilience.md "EFA
 * settings"):
 * - FI_PROVIDER=efa: libfabric offers only the EFA provider, never TCP or shared memory as the network;
 * - NCCL_NET=Libfabric: NCCL must use the aws-ofi-nccl plugin (its name since v1.12; v1.16.3 and v1.21.1 alike,
 *   src/nccl_ofi_interface_nvidia.cpp) and fails at start when it cannot load it ("Failed to initialize any NET
 *   plugin", NCCL 2.29 src/plugin/net.cc) instead of silently falling back to its TCP socket transport. Not the
 *   older "AWS Libfabric", which the plugin still accepts: a value with a space invites quoting mistakes;
 * - FI_EFA_USE_DEVICE_RDMA=1 only on instance types whose EFA does GPUDirect RDMA ({@link gpuDirectRdma}): there a
 *   node without it aborts at start; on others libfabric (API >= 1.18) already follows what the device reports, and
 *   forcing it aborts every rank ("EFA device has no rdma-read capability", prov/efa/src/rdm/efa_rdm_util.c);
 * - NCCL_SOCKET_IFNAME=^lo,docker: NCCL's bootstrap connections use the pod network, not loopback.
 */

/** An environment variable of a container. */
export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/**
 * Which workload: MPI's `nccl-tests` (no fork after start, its huge pages requested) or a PyTorch/Ray training
 * process (DataLoader workers fork after NCCL registered memory, no huge pages requested).
 */
export type EfaWorkload = "nccl-tests" | "pytorch";

/**
 * GPUDirect RDMA per EC2 platform as aws-ofi-nccl v1.21.1 (the plugin EFA installer 1.50.0 ships) records it:
 * `gdr_required` of `platform_data_map` in src/platform-aws.cpp, same order (first match wins, so p5.4xlarge is not
 * matched by the p5 pattern). Types the plugin does not list (g6, g6e, g4dn, g7, ...) are unknown here.
 */
const PLUGIN_PLATFORMS: ReadonlyArray<{ readonly match: RegExp; readonly gdr: boolean }> = [
  { match: /^p4d\.24xlarge$/, gdr: true },
  { match: /^p4de\.24xlarge$/, gdr: true },
  { match: /^p3dn\.24xlarge$/, gdr: false },
  { match: /^p5\.4xlarge$/, gdr: false },
  { match: /^p5(e?\..*)/, gdr: true },
  { match: /^(p5en|p6-b200).*/, gdr: true },
  { match: /^p6-b300.*/, gdr: true },
  { match: /^p([5-9]|[0-9]{2,}).*/, gdr: true },
  { match: /^g5\.48xlarge$/, gdr: false },
  { match: /^g7e\.8xlarge$/, gdr: false },
  { match: /^g7e\.(12|24|48)xlarge/, gdr: true },
];

/** Whether an instance type's EFA does GPUDirect RDMA: true, false, or undefined when the plugin does not say. */
export function gpuDirectRdma(instanceType: string): boolean | undefined {
  return PLUGIN_PLATFORMS.find((p) => p.match.test(instanceType))?.gdr;
}

/**
 * The environment of a NCCL workload on an EFA pool of `instanceTypes` (every type a pod may land on: device RDMA is
 * forced only when all of them do it). Beyond the shared settings above:
 * - `nccl-tests`: FI_EFA_FORK_SAFE=1 (mpirun's ranks), NCCL_DEBUG=INFO (scripts/nccl-check.ts reads "Selected
 *   provider is efa" from the log), NCCL_BUFFSIZE and NCCL_P2P_NET_CHUNKSIZE (the AWS sample's values for EFA);
 * - `pytorch`: FI_EFA_USE_HUGE_PAGE=0. The runtime requests no `hugepages-2Mi` (a pod without the request may map
 *   none), and DataLoader workers fork after NCCL registered its buffers: on kernels that copy pinned pages at fork
 *   (5.13 and later, AL2023), libfabric's huge-page buffers would need more huge pages per fork and the fork fails
 *   with ENOMEM (aws-samples/awsome-distributed-training 1.architectures/efa-cheatsheet.md). Regular pages cost a
 *   little latency. NCCL's buffer sizes stay with the plugin, which sets them per platform (p5en: also
 *   NCCL_NETDEVS_POLICY) unless the job sets them.
 */
export function efaEnv(instanceTypes: readonly string[], workload: EfaWorkload): EnvVar[] {
  if (instanceTypes.length === 0) throw new Error("efaEnv: an EFA pool has at least one instance type");
  const rdma = instanceTypes.every((t) => gpuDirectRdma(t) === true);
  const shared: EnvVar[] = [
    { name: "FI_PROVIDER", value: "efa" },
    ...(rdma ? [{ name: "FI_EFA_USE_DEVICE_RDMA", value: "1" }] : []),
    { name: "NCCL_NET", value: "Libfabric" },
    { name: "NCCL_SOCKET_IFNAME", value: "^lo,docker" },
  ];
  if (workload === "pytorch") return [...shared, { name: "FI_EFA_USE_HUGE_PAGE", value: "0" }];
  return [
    ...shared,
    { name: "FI_EFA_FORK_SAFE", value: "1" },
    { name: "NCCL_DEBUG", value: "INFO" },
    { name: "NCCL_BUFFSIZE", value: "8388608" },
    { name: "NCCL_P2P_NET_CHUNKSIZE", value: "524288" },
  ];
}
