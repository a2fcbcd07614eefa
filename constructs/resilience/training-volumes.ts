import type { KubernetesObject } from "../kubernetes/manifests-release";
import { WORKLOAD_UID } from "../kubernetes/security-context";
import { FSX_CSI, MOUNTPOINT_CSI } from "../storage/csi-drivers";
import { CHECKPOINTS_PREFIX, CLAIMS, DATASETS_PREFIX, FSX_CHECKPOINTS_PATH, FSX_DATASETS_PATH, teamCheckpointsPrefix, teamFsxCheckpointsPath, TRAINING_NAMESPACE } from "./training-storage-layout";

/**
 * The training volumes: static PersistentVolumes bound one-to-one to claims of one namespace (no StorageClass: both
 * drivers run here without dynamic provisioning, and `storageClassName: ""` keeps a default class from binding). Every
 * namespace TrainJobs run in gets the same claim names, so one runtime mounts them in TRAINING_NAMESPACE and in every
 * team namespace (the teams stack makes a team's; docs/tenancy.md "Training storage").
 *
 * - FSx for Lustre, when the environment has a file system: `training-checkpoints-fsx`, its linked checkpoints/
 *   directory (in a team namespace the team's own directory of it), and `training-datasets-fsx`, its linked datasets/
 *   directory, mounted read-only.
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
 * Teams cannot create PersistentVolumes (cluster-scoped), neither driver offers inline volumes, and Pod Security
 * baseline refuses hostPath and the capabilities a mount needs: a team's pods reach the storage only through these.
 */
export function trainingVolumes(props: TrainingVolumesProps): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  const { fsx, bucket, team } = props;
  const namespace = team ?? TRAINING_NAMESPACE;
  const unique = (handle: string) => (team ? `${handle}-${team}` : handle);
  if (fsx) {
    // One volume per directory, each a Lustre fileset (`<mountname>/<path>`, which the driver mounts as
    // `<dnsname>@tcp:/<mountname>`): nothing above it is reachable from the pod.
    const lustre = (path: string, handle: string) => ({ driver: FSX_CSI.driver, volumeHandle: unique(`${fsx.fileSystemId}-${handle}`), volumeAttributes: { dnsname: fsx.dnsName, mountname: `${fsx.mountName}${path}` } });
    const capacity = `${fsx.storageCapacityGiB}Gi`;
    // flock: PyTorch and Hugging Face take file locks on shared caches and checkpoints.
    objects.push(...staticVolume(namespace, CLAIMS.fsxCheckpoints, "ReadWriteMany", capacity, lustre(team ? teamFsxCheckpointsPath(team) : FSX_CHECKPOINTS_PATH, CHECKPOINTS_PREFIX), ["flock"]));
    // ReadWriteMany mounted `ro`: the driver offers no read-only access mode (single-node or multi-node writer only).
    objects.push(...staticVolume(namespace, CLAIMS.fsxDatasets, "ReadWriteMany", capacity, lustre(FSX_DATASETS_PATH, DATASETS_PREFIX), ["ro", "flock"]));
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
