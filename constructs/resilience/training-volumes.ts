import type { KubernetesObject } from "../kubernetes/manifests-release";
import { WORKLOAD_UID } from "../kubernetes/security-context";
import { FSX_CSI, MOUNTPOINT_CSI } from "../storage/csi-drivers";
import { CHECKPOINTS_PREFIX, CLAIMS, DATASETS_PREFIX, teamCheckpointsPrefix, TRAINING_NAMESPACE } from "./training-storage-layout";

/**
 * The training volumes: static PersistentVolumes bound one-to-one to claims of one namespace (no StorageClass: both
 * drivers run here without dynamic provisioning, and `storageClassName: ""` keeps a default class from binding). Every
 * namespace TrainJobs run in gets the same claim names, so one runtime mounts them in TRAINING_NAMESPACE and in every
 * team namespace (the teams stack makes a team's; docs/tenancy.md "Training storage").
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
  /**
   * A team's namespace (its name is the team's): its S3 checkpoints are its own prefix, teams/<team>/checkpoints/, read
   * and written with the team's Pod Identity role (Mountpoint's pod-level credentials), so no team reaches another's.
   * @default - TRAINING_NAMESPACE, with the driver's credentials
   */
  readonly team?: string;
}

/** A PersistentVolume reserved for one claim of `namespace`, and that claim. */
function staticVolume(namespace: string, claim: string, accessMode: "ReadWriteMany" | "ReadOnlyMany", capacity: string, csi: Record<string, unknown>, mountOptions: string[]): KubernetesObject[] {
  const labels = { "app.kubernetes.io/part-of": "ml-platform", "app.kubernetes.io/component": "training-storage" };
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `${namespace}-${claim}`, labels },
      spec: {
        capacity: { storage: capacity },
        accessModes: [accessMode],
        // Deleting the claim never deletes the data: the file system and bucket are the foundation's.
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        claimRef: { namespace, name: claim },
        mountOptions,
        csi,
      },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claim, namespace, labels },
      spec: { accessModes: [accessMode], storageClassName: "", volumeName: `${namespace}-${claim}`, resources: { requests: { storage: capacity } } },
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

/**
 * The PersistentVolumes and claims of the training storage the environment has, in TRAINING_NAMESPACE or a team's.
 * Each PV of a team namespace has a volumeHandle of its own (the namespace appended): kubelet mounts a volume once per
 * handle on a node, so two namespaces' pods on one node sharing a handle would leave the second stuck in
 * ContainerCreating (Mountpoint's docs/TROUBLESHOOTING.md; aws-fsx-csi-driver uses the handle only as a lock key).
 * FSx for Lustre is shared as a whole: every pod runs as the same UID and the runtimes mount both of its directories
 * from one claim, so a team's claim cannot be narrowed to its own checkpoints (see docs/tenancy.md).
 */
export function trainingVolumes(props: TrainingVolumesProps): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  const { fsx, bucket, team } = props;
  const namespace = team ?? TRAINING_NAMESPACE;
  const unique = (handle: string) => (team ? `${handle}-${team}` : handle);
  if (fsx) {
    objects.push(
      ...staticVolume(
        namespace,
        CLAIMS.fsx,
        "ReadWriteMany",
        `${fsx.storageCapacityGiB}Gi`,
        { driver: FSX_CSI.driver, volumeHandle: unique(fsx.fileSystemId), volumeAttributes: { dnsname: fsx.dnsName, mountname: fsx.mountName } },
        // flock: PyTorch and Hugging Face take file locks on shared caches and checkpoints.
        ["flock"],
      ),
    );
  }
  if (bucket) {
    const csi = (prefix: string, pod = false) => ({
      driver: MOUNTPOINT_CSI.driver,
      volumeHandle: unique(`${bucket.bucketName}-${prefix}`),
      // pod: Mountpoint uses the workload pod's service account (EKS Pod Identity) instead of the driver's role.
      volumeAttributes: { bucketName: bucket.bucketName, ...(pod ? { authenticationSource: "pod" } : {}) },
    });
    objects.push(...staticVolume(namespace, CLAIMS.datasets, "ReadOnlyMany", "1200Gi", csi(DATASETS_PREFIX), mountpointOptions(bucket, DATASETS_PREFIX, false)));
    if (bucket.checkpoints && !fsx) {
      const prefix = team ? teamCheckpointsPrefix(team) : CHECKPOINTS_PREFIX;
      objects.push(...staticVolume(namespace, CLAIMS.s3Checkpoints, "ReadWriteMany", "1200Gi", csi(CHECKPOINTS_PREFIX, team !== undefined), mountpointOptions(bucket, prefix, true)));
    }
  }
  return objects;
}
