import { TEAM_DATA_PREFIX } from "../data/ml-data-stores";

/**
 * Where training data and checkpoints live, shared by the foundation (bucket prefixes, FSx data repository
 * associations), the platform (Mountpoint volumes) and the ML stack (the volumes jobs mount). One bucket per environment,
 * `mlp-<env>-training-<account>`: `datasets/` (read by jobs) and `checkpoints/` (written by jobs).
 */

/** Bucket purpose (bucket name `mlp-<env>-training-<account>`). */
export const TRAINING_BUCKET_PURPOSE = "training";

export const DATASETS_PREFIX = "datasets";
export const CHECKPOINTS_PREFIX = "checkpoints";

/** Directories of the FSx file system linked to those prefixes. */
export const FSX_DATASETS_PATH = `/${DATASETS_PREFIX}`;
export const FSX_CHECKPOINTS_PATH = `/${CHECKPOINTS_PREFIX}`;

/**
 * The directory under checkpoints/ that jobs write to, `runs/<namespace>/<job>`. It exists on S3 as a directory object
 * carrying FSx's POSIX metadata (owner and group WORKLOAD_UID, mode 0775), so the file system imports it writable by
 * the training pods' UID: the association's own root directory belongs to root.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/posix-metadata-support.html
 */
export const CHECKPOINT_RUNS_DIR = "runs";

/**
 * A team's checkpoints in the training bucket, `teams/<team>/checkpoints` (the teams' key prefix of the ML buckets): its
 * namespace's S3 checkpoint volume mounts it with the team's own role.
 */
export function teamCheckpointsPrefix(team: string): string {
  return `${TEAM_DATA_PREFIX}/${team}/${CHECKPOINTS_PREFIX}`;
}

/**
 * A team's directory of the FSx checkpoints/ directory, `/checkpoints/teams/<team>` (its checkpoint volume mounts it as
 * a Lustre fileset, so the team sees nothing above it); `runs/` in it belongs to the training pods' UID like
 * CHECKPOINT_RUNS_DIR. Under checkpoints/, since only that directory is linked to the bucket.
 */
export function teamFsxCheckpointsPath(team: string): string {
  return `${FSX_CHECKPOINTS_PATH}/${TEAM_DATA_PREFIX}/${team}`;
}

/** Namespace of the training volumes' claims (and of the NCCL fabric check). */
export const TRAINING_NAMESPACE = "training";

/** PersistentVolumeClaims jobs mount, in TRAINING_NAMESPACE and in every team namespace. */
export const CLAIMS = {
  /** FSx for Lustre when the environment has one: its checkpoints directory (a team's own in a team namespace). */
  fsxCheckpoints: "training-checkpoints-fsx",
  /** FSx for Lustre when the environment has one: its datasets directory, mounted read-only. */
  fsxDatasets: "training-datasets-fsx",
  /** Mountpoint for S3, read-only, `datasets/`. */
  datasets: "training-datasets",
  /** Mountpoint for S3, read-write, `checkpoints/`: the checkpoint volume where there is no FSx. */
  s3Checkpoints: "training-checkpoints-s3",
} as const;
