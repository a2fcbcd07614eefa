import type { GpuFlavor } from "./flavors";
import type { GpuQuota } from "./queues";

/**
 * Arithmetic over the cohort's queues: how many GPUs of a flavor a queue can ever hold (its nominal quota plus what it
 * may borrow of what the others lend), and what the nodes holding them bring in CPU and memory, which the queue's
 * namespace quota must leave room for.
 */

/** One queue of the cohort: its name and its quotas by flavor. */
export interface CohortQueue {
  readonly name: string;
  readonly gpus: Readonly<Record<string, GpuQuota>>;
}

/** GPUs of `flavor` the other queues lend at most (their lending limits, or their whole nominal quota). */
export function lendableByOthers(queues: readonly CohortQueue[], queue: string, flavor: string): number {
  return queues.filter((q) => q.name !== queue).reduce((n, q) => n + (q.gpus[flavor] ? (q.gpus[flavor].lendingLimit ?? q.gpus[flavor].nominal) : 0), 0);
}

/** The most GPUs of `flavor` queue `queue` can hold: nominal, plus borrowing up to its limit and what others lend. */
export function maxGpus(queues: readonly CohortQueue[], queue: string, flavor: string): number {
  const own = queues.find((q) => q.name === queue)?.gpus[flavor];
  if (!own) return 0;
  return own.nominal + Math.min(own.borrowingLimit ?? Infinity, lendableByOthers(queues, queue, flavor));
}

/** CPU (cores) and memory (GiB) the nodes of `gpus` GPUs of a flavor hold at most (the flavor's roomiest type per GPU). */
export function nodeShare(flavor: GpuFlavor, gpus: number): { cpu: number; memoryGiB: number } {
  const perGpu = (f: (t: GpuFlavor["instanceTypes"][number]) => number) => Math.max(0, ...flavor.instanceTypes.map((t) => f(t) / t.gpuCount));
  return { cpu: Math.ceil(gpus * perGpu((t) => t.vcpu)), memoryGiB: Math.ceil(gpus * perGpu((t) => t.memoryMiB / 1024)) };
}
