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

/** Namespace of the training volumes' claims (and of the NCCL fabric check). */
export const TRAINING_NAMESPACE = "training";

/** PersistentVolumeClaims jobs mount, in TRAINING_NAMESPACE. */
export const CLAIMS = {
  /** FSx for Lustre when the environment has one (datasets and checkpoints as subpaths). */
  fsx: "training-fsx",
  /** Mountpoint for S3, read-only, `datasets/`. */
  datasets: "training-datasets",
  /** Mountpoint for S3, read-write, `checkpoints/`: the checkpoint volume where there is no FSx. */
  s3Checkpoints: "training-checkpoints-s3",
} as const;
