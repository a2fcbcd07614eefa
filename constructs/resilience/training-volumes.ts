import type { KubernetesObject } from "../kubernetes/manifests-release";
import { WORKLOAD_UID } from "../kubernetes/security-context";
import { FSX_CSI, MOUNTPOINT_CSI } from "../storage/csi-drivers";
import { CHECKPOINTS_PREFIX, CLAIMS, DATASETS_PREFIX, TRAINING_NAMESPACE } from "./training-storage-layout";

/**
 * The training volumes: static PersistentVolumes bound one-to-one to claims in TRAINING_NAMESPACE (no StorageClass:
 * both drivers run here without dynamic provisioning, and `storageClassName: ""` keeps a default class from binding).
 *
 * - FSx for Lustre (`training-fsx`), read-write many, when the environment has a file system: datasets/ and
 *   checkpoints/ are its linked directories, mounted by subPath.
 * - Mountpoint for S3 (`training-datasets`), read-only many, the bucket's datasets/ prefix.
 * - Mountpoint for S3 (`training-checkpoints-s3`), read-write many, checkpoints/ where there is no FSx (dev): Mountpoint
 *   writes new files sequentially and deletes them, but cannot rename or append, so checkpoint writers must write a
 *   new file per step (torch.save to a fresh path does; see docs/resilience.md).
 */

/** The FSx file system as its static volume needs it (foundation outputs). */
export interface FsxVolumeSource {
  readonly fileSystemId: string;
  readonly dnsName: string;
  readonly mountName: string;
  readonly storageCapacityGiB: number;
}

/** The training bucket as Mountpoint's volumes need it. */
export interface BucketVolumeSource {
  readonly bucketName: string;
  readonly region: string;
  /** Also mount checkpoints/ read-write (no FSx). */
  readonly checkpoints: boolean;
}

/** What the environment has: each source gets its volumes. */
export interface TrainingVolumesProps {
  readonly fsx?: FsxVolumeSource;
  readonly bucket?: BucketVolumeSource;
}

/** A PersistentVolume reserved for one claim of TRAINING_NAMESPACE, and that claim. */
function staticVolume(claim: string, accessMode: "ReadWriteMany" | "ReadOnlyMany", capacity: string, csi: Record<string, unknown>, mountOptions: string[]): KubernetesObject[] {
  const labels = { "app.kubernetes.io/part-of": "ml-platform", "app.kubernetes.io/component": "training-storage" };
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `${TRAINING_NAMESPACE}-${claim}`, labels },
      spec: {
        capacity: { storage: capacity },
        accessModes: [accessMode],
        // Deleting the claim never deletes the data: the file system and bucket are the foundation's.
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        claimRef: { namespace: TRAINING_NAMESPACE, name: claim },
        mountOptions,
        csi,
      },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claim, namespace: TRAINING_NAMESPACE, labels },
      spec: { accessModes: [accessMode], storageClassName: "", volumeName: `${TRAINING_NAMESPACE}-${claim}`, resources: { requests: { storage: capacity } } },
    },
  ];
}

/**
 * Mountpoint options: the region, the prefix, and access for the platform's non-root workloads (Mountpoint serves
 * only the mounting user unless told otherwise). S3 ignores the capacity; Kubernetes requires one.
 */
function mountpointOptions(b: BucketVolumeSource, prefix: string, write: boolean): string[] {
  return [`region ${b.region}`, `prefix ${prefix}/`, `uid=${WORKLOAD_UID}`, `gid=${WORKLOAD_UID}`, "allow-other", ...(write ? ["allow-delete", "allow-overwrite"] : ["read-only"])];
}

/** The PersistentVolumes and claims of the training storage the environment has. */
export function trainingVolumes(props: TrainingVolumesProps): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  const { fsx, bucket } = props;
  if (fsx) {
    objects.push(
      ...staticVolume(
        CLAIMS.fsx,
        "ReadWriteMany",
        `${fsx.storageCapacityGiB}Gi`,
        { driver: FSX_CSI.driver, volumeHandle: fsx.fileSystemId, volumeAttributes: { dnsname: fsx.dnsName, mountname: fsx.mountName } },
        // flock: PyTorch and Hugging Face take file locks on shared caches and checkpoints.
        ["flock"],
      ),
    );
  }
  if (bucket) {
    const csi = (prefix: string) => ({ driver: MOUNTPOINT_CSI.driver, volumeHandle: `${bucket.bucketName}-${prefix}`, volumeAttributes: { bucketName: bucket.bucketName } });
    objects.push(...staticVolume(CLAIMS.datasets, "ReadOnlyMany", "1200Gi", csi(DATASETS_PREFIX), mountpointOptions(bucket, DATASETS_PREFIX, false)));
    if (bucket.checkpoints && !fsx) objects.push(...staticVolume(CLAIMS.s3Checkpoints, "ReadWriteMany", "1200Gi", csi(CHECKPOINTS_PREFIX), mountpointOptions(bucket, CHECKPOINTS_PREFIX, true)));
  }
  return objects;
}
