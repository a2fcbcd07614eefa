import type { InstanceTypeInfo } from "./instance-types";

/**
 * What a node of an instance type offers pods on an EKS AL2023 AMI, the way the scheduler sees it:
 * - memory: the type's memory less the hypervisor's share (7.5%, Karpenter's default `vmMemoryOverheadPercent`),
 *   less kube-reserved memory (11 MiB per pod the node may run + 255 MiB) and the hard eviction threshold (100 MiB);
 * - CPU: the vCPUs less kube-reserved CPU (6% of the first core, 1% of the second, 0.5% of the third and fourth,
 *   0.25% of every other core);
 * - pods: the VPC CNI's limit for the type without prefix delegation.
 * nodeadm sets no system-reserved on AL2023.
 * @see https://github.com/awslabs/amazon-eks-ami/blob/main/nodeadm/internal/kubelet/config.go
 * @see https://karpenter.sh/docs/reference/settings/ (VM_MEMORY_OVERHEAD_PERCENT)
 */
export interface Allocatable {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly pods: number;
}

/** Share of an instance's memory the hypervisor and firmware keep (Karpenter's default). */
export const VM_MEMORY_OVERHEAD = 0.075;
/** Hard eviction threshold for memory (`memory.available`). */
export const EVICTION_MEMORY_MIB = 100;

/** kube-reserved CPU in millicores for a node with `vcpu` cores (nodeadm's tiers). */
export function kubeReservedCpuMilli(vcpu: number): number {
  const tiers: Array<[number, number]> = [
    [1, 0.06],
    [1, 0.01],
    [2, 0.005],
    [Infinity, 0.0025],
  ];
  let left = vcpu;
  let reserved = 0;
  for (const [cores, share] of tiers) {
    const n = Math.min(left, cores);
    reserved += n * 1000 * share;
    left -= n;
    if (left <= 0) break;
  }
  return reserved;
}

/** kube-reserved memory in MiB for a node that may run `maxPods` pods. */
export function kubeReservedMemoryMiB(maxPods: number): number {
  return 11 * maxPods + 255;
}

/** Allocatable CPU, memory and pods of one node of the type. */
export function allocatable(t: InstanceTypeInfo): Allocatable {
  return {
    cpuMilli: t.vcpu * 1000 - kubeReservedCpuMilli(t.vcpu),
    memoryMiB: Math.floor(t.memoryMiB * (1 - VM_MEMORY_OVERHEAD)) - kubeReservedMemoryMiB(t.maxPods) - EVICTION_MEMORY_MIB,
    pods: t.maxPods,
  };
}

/** Kubernetes CPU quantity (`250m`, `0.5`, `2`) in millicores. */
export function cpuMilli(quantity: string | number): number {
  const q = String(quantity);
  const m = /^([0-9.]+)(m?)$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

/** Kubernetes memory quantity (`128Mi`, `1Gi`, `512M`, `0`) in MiB. */
export function memoryMiB(quantity: string | number): number {
  const q = String(quantity);
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const bytes: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(m[1]) * bytes[m[2] ?? ""]) / 1024 ** 2;
}
