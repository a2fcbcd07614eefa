import { CHECKPOINT_RUNS_DIR, CLAIMS } from "./training-storage-layout";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * Resumable training (docs/resilience.md "Resumable training"): one function that gives a pod template the checkpoint
 * volume, the datasets volume and the environment a training script reads, for the TrainJob runtimes and the Ray
 * training templates (constructs/serving/ray-templates.ts); and the JobSet failure policy of the TrainJob runtimes.
 */

/** Where the checkpoint volume is mounted in every training container. */
export const CHECKPOINT_MOUNT = "/mnt/checkpoints";
/** Where the datasets volume is mounted (read-only). */
export const DATASETS_MOUNT = "/mnt/datasets";

/** Pod label JobSet puts on every pod of a TrainJob (the JobSet is named after the TrainJob). */
export const JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name";

/**
 * Pod label naming the RayJob (or RayCluster) a Ray training pod belongs to, set by the Ray templates' pod templates
 * (constructs/serving/ray-templates.ts): KubeRay 1.7.0 puts `ray.io/originated-from-cr-name` on the RayCluster a RayJob
 * creates but not on its pods (`labelPod` in ray-operator/controllers/ray/common/pod.go keeps only the template's labels
 * and `ray.io/cluster`, whose RayCluster name changes on every retry), so the name must come from the template.
 */
export const RAYJOB_NAME_LABEL = "ml-platform.io/training-job";

/** A claim every namespace that runs training has (`training` and each team's), and the directory of it to mount. */
export interface ClaimMount {
  readonly claim: string;
  readonly subPath?: string;
}

/** What a training pod mounts, and how often it is expected to checkpoint. */
export interface CheckpointMounts {
  readonly checkpoints: ClaimMount;
  readonly datasets?: ClaimMount;
  readonly intervalMinutes: number;
  /** The FSx file system's zone: pods that mount it are pinned there, so Lustre traffic never crosses AZs. */
  readonly zone?: string;
}

/**
 * The mounts of an environment's training storage: FSx (its checkpoints and datasets directories, one claim each, so a
 * team namespace's checkpoint claim can be the team's own directory) when it has one, else Mountpoint (datasets
 * read-only, checkpoints read-write); none without either, so runtimes stay as they were.
 */
export function checkpointMounts(storage: { readonly fsxZone?: string; readonly mountpoint: boolean }, intervalMinutes: number): CheckpointMounts | undefined {
  if (storage.fsxZone) {
    return { checkpoints: { claim: CLAIMS.fsxCheckpoints }, datasets: { claim: CLAIMS.fsxDatasets }, intervalMinutes, zone: storage.fsxZone };
  }
  if (storage.mountpoint) return { checkpoints: { claim: CLAIMS.s3Checkpoints }, datasets: { claim: CLAIMS.datasets }, intervalMinutes };
  return undefined;
}

/**
 * The environment training scripts read: CHECKPOINT_DIR (unique per namespace and job, so a restarted job finds its
 * own checkpoints and two jobs never share one), DATASETS_DIR, and CHECKPOINT_INTERVAL_SECONDS (the most a node
 * replacement may cost). `jobNameLabel` is the pod label naming the job: JOBSET_NAME_LABEL for TrainJobs,
 * RAYJOB_NAME_LABEL for RayJobs.
 */
export function checkpointEnv(mounts: CheckpointMounts, jobNameLabel: string): Json[] {
  return [
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "TRAINING_JOB_NAME", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${jobNameLabel}']` } } },
    // $(VAR) expands variables defined earlier in the list (Kubernetes dependent environment variables).
    { name: "CHECKPOINT_DIR", value: `${CHECKPOINT_MOUNT}/${CHECKPOINT_RUNS_DIR}/$(POD_NAMESPACE)/$(TRAINING_JOB_NAME)` },
    { name: "CHECKPOINT_INTERVAL_SECONDS", value: String(mounts.intervalMinutes * 60) },
    ...(mounts.datasets ? [{ name: "DATASETS_DIR", value: DATASETS_MOUNT }] : []),
  ];
}

/**
 * A copy of `podSpec` whose containers named in `containers` mount the checkpoint (and datasets) volumes and carry
 * checkpointEnv; volumes are added once per claim; with FSx, the pod is pinned to the file system's zone (the GPU pools
 * of `fsxMountingPools` are pinned there already; the general pool launches there).
 */
export function withCheckpoints(podSpec: Json, mounts: CheckpointMounts, opts: { readonly containers: readonly string[]; readonly jobNameLabel: string }): Json {
  const claims = [...new Set([mounts.checkpoints.claim, ...(mounts.datasets ? [mounts.datasets.claim] : [])])];
  const volumeName = (claim: string) => `training-${claims.indexOf(claim)}`;
  const volumeMounts = [
    { name: volumeName(mounts.checkpoints.claim), mountPath: CHECKPOINT_MOUNT, ...(mounts.checkpoints.subPath ? { subPath: mounts.checkpoints.subPath } : {}) },
    ...(mounts.datasets ? [{ name: volumeName(mounts.datasets.claim), mountPath: DATASETS_MOUNT, readOnly: true, ...(mounts.datasets.subPath ? { subPath: mounts.datasets.subPath } : {}) }] : []),
  ];
  const env = checkpointEnv(mounts, opts.jobNameLabel);
  return {
    ...podSpec,
    ...(mounts.zone ? { nodeSelector: { ...podSpec.nodeSelector, "topology.kubernetes.io/zone": mounts.zone } } : {}),
    containers: (podSpec.containers as Json[]).map((c) =>
      opts.containers.includes(c.name) ? { ...c, env: [...(c.env ?? []), ...env], volumeMounts: [...(c.volumeMounts ?? []), ...volumeMounts] } : c,
    ),
    volumes: [...(podSpec.volumes ?? []), ...claims.map((claim) => ({ name: volumeName(claim), persistentVolumeClaim: { claimName: claim } }))],
  };
}

/**
 * How a TrainJob survives failures (JobSet 0.12 failure policy): a pod evicted for a node drain, repair or spot
 * reclaim (condition DisruptionTarget) fails its Job at once and restarts the whole JobSet without counting against
 * the limit, so every rank resumes together from the last checkpoint; any other failure (backoffLimit 0: a crashed
 * rank cannot rejoin a running collective) restarts the JobSet at most `maxRestarts` times, then it fails.
 */
export function resumableFailurePolicy(maxRestarts: number): { jobSetSpec: Json; jobSpec: Json; podSpec: Json } {
  return {
    jobSetSpec: { failurePolicy: { maxRestarts, rules: [{ name: "node-disruption", action: "RestartJobSetAndIgnoreMaxRestarts", onJobFailureReasons: ["PodFailurePolicy"] }] } },
    jobSpec: { backoffLimit: 0, podFailurePolicy: { rules: [{ action: "FailJob", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] } },
    // podFailurePolicy requires it.
    podSpec: { restartPolicy: "Never" },
  };
}
