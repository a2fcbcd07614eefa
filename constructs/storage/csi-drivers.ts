import type { PolicyStatement } from "../iam/policy";

/**
 * The two CSI drivers of the training storage, as EKS managed add-ons with Pod Identity: the FSx for Lustre driver
 * (static volumes of the platform's file system) and Mountpoint for Amazon S3 v2 (static volumes of the training
 * bucket). Versions are the add-on builds of the charts in the reference set (aws-fsx-csi-driver chart 1.17.0, app
 * v1.9.0; aws-mountpoint-s3-csi-driver chart 2.7.0, app v2.7.0); check them with `aws eks describe-addon-versions
 * --addon-name <name>` before deploying. Configuration keys are the charts' values (the tests check them against the
 * charts' values.yaml); the add-ons' own configuration schemas are not in the reference set.
 */

export const FSX_CSI = {
  addon: "aws-fsx-csi-driver",
  version: "v1.9.0-eksbuild.1",
  driver: "fsx.csi.aws.com",
  /** The controller's service account (chart `controller.serviceAccount.name`). */
  controllerServiceAccount: "fsx-csi-controller-sa",
  nodeServiceAccount: "fsx-csi-node-sa",
  /**
   * The driver's startup taint: the node plugin removes it once it can mount (pkg/driver/node.go removeNotReadyTaint),
   * so pods that mount FSx never start on a node before the driver is ready (docs/install.md, "agent-not-ready").
   */
  startupTaint: { key: "fsx.csi.aws.com/agent-not-ready", effect: "NoExecute" as const },
} as const;

export const MOUNTPOINT_CSI = {
  addon: "aws-mountpoint-s3-csi-driver",
  version: "v2.7.0-eksbuild.1",
  driver: "s3.csi.aws.com",
  /** The node plugin's service account: v2's driver-level credentials (Pod Identity) come from it. */
  nodeServiceAccount: "s3-csi-driver-sa",
  controllerServiceAccount: "s3-csi-driver-controller-sa",
  /** Namespace of the Mountpoint pods v2 runs per mounted volume (chart `mountpointPod.namespace`). */
  mountpointNamespace: "mount-s3",
} as const;

/**
 * Add-on configuration: node plugins tolerate every taint (the chart default, set explicitly because every GPU node is
 * tainted and a mount that cannot start there strands the training pod).
 */
export function csiNodeConfiguration(): Record<string, unknown> {
  return { node: { tolerateAllTaints: true } };
}

/**
 * The FSx CSI controller's permissions for static volumes only: ValidateVolumeCapabilities describes the file system
 * (pkg/driver/controller.go). CreateVolume, DeleteVolume and ControllerExpandVolume, which create, delete and resize
 * file systems, are never called for a static PersistentVolume without a StorageClass, so nothing else of the driver's
 * documented policy (docs/install.md) is granted. DescribeFileSystems has no resource types: `*`.
 */
export function fsxCsiControllerStatements(): PolicyStatement[] {
  return [{ Sid: "DescribeStaticFileSystems", Effect: "Allow", Action: ["fsx:DescribeFileSystems"], Resource: "*" }];
}

/** A bucket prefix the Mountpoint driver mounts, and whether volumes of it may write. */
export interface MountpointPrefix {
  readonly prefix: string;
  readonly write: boolean;
}

/**
 * Mountpoint's least-privilege policy for a general purpose bucket (doc/CONFIGURATION.md "IAM permissions", Mountpoint
 * 1.22.3), narrowed to the prefixes the PersistentVolumes mount: ListBucket limited by `s3:prefix`, GetObject on read
 * prefixes, GetObject/PutObject/AbortMultipartUpload/DeleteObject on write prefixes, and the bucket key through S3 only.
 */
export function mountpointStatements(bucketArn: string, keyArn: string, region: string, prefixes: readonly MountpointPrefix[]): PolicyStatement[] {
  const clean = prefixes.map((p) => ({ ...p, prefix: p.prefix.replace(/\/+$/, "") }));
  const writes = clean.filter((p) => p.write);
  const reads = clean.filter((p) => !p.write);
  return [
    {
      Sid: "MountpointListPrefixes",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": clean.flatMap((p) => [`${p.prefix}/*`, `${p.prefix}/`]) } },
    },
    ...(reads.length ? [{ Sid: "MountpointReadObjects", Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: reads.map((p) => `${bucketArn}/${p.prefix}/*`) }] : []),
    ...(writes.length
      ? [{ Sid: "MountpointWriteObjects", Effect: "Allow" as const, Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"], Resource: writes.map((p) => `${bucketArn}/${p.prefix}/*`) }]
      : []),
    {
      Sid: "MountpointBucketKey",
      Effect: "Allow",
      Action: writes.length ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    },
  ];
}
