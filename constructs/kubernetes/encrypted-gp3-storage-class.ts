import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Construct } from "constructs";

/** Name of the StorageClass for stateful platform components. */
export const ENCRYPTED_GP3_STORAGE_CLASS = "gp3-encrypted";

export interface EncryptedGp3StorageClassProps {
  /** @default "gp3-encrypted" */
  readonly name?: string;
  /**
   * Tags the EBS CSI driver puts on every volume it creates (`tagSpecification_<n>` parameters): provider default
   * tags do not reach volumes created from inside the cluster.
   */
  readonly volumeTags: Record<string, string>;
  /** Keep the EBS volume when its claim is deleted (`Retain`), for data that must survive a mistaken delete. @default false */
  readonly retain?: boolean;
  /**
   * Make it the cluster's default class. EKS marks no class as default since Kubernetes 1.30, so a claim without
   * `storageClassName` (Kubeflow Pipelines' MySQL) stays Pending unless one class is. @default false
   */
  readonly isDefault?: boolean;
  /**
   * Customer managed key of the volumes (`kmsKeyId`); the EBS CSI driver's role must be allowed to use it through EC2.
   * @default - the EBS-managed key `aws/ebs`
   */
  readonly kmsKeyArn?: string;
}

/** The annotation that makes a StorageClass the default for claims that name none. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * An EBS CSI StorageClass for encrypted gp3 volumes (with `kmsKeyArn`, or else the EBS-managed key `aws/ebs`), created
 * in the zone of the first consumer and expandable in place. A class's parameters cannot change in place: changing
 * the key replaces the class, and volumes made before keep the key they were made with.
 * @see https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
 */
export class EncryptedGp3StorageClass extends Construct {
  readonly storageClass: StorageClassV1;
  readonly name: string;

  constructor(scope: Construct, id: string, props: EncryptedGp3StorageClassProps) {
    super(scope, id);
    this.name = props.name ?? ENCRYPTED_GP3_STORAGE_CLASS;
    const tags = Object.entries(props.volumeTags).sort(([a], [b]) => a.localeCompare(b));
    for (const [k, v] of tags) {
      if (k.includes("=") || v.includes(",")) throw new Error(`volume tag ${k}=${v}: keys must not contain "=" and values must not contain ","`);
    }
    this.storageClass = new StorageClassV1(this, "storage-class", {
      metadata: { name: this.name, ...(props.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } } : {}) },
      storageProvisioner: "ebs.csi.aws.com",
      reclaimPolicy: props.retain ? "Retain" : "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      parameters: {
        type: "gp3",
        encrypted: "true",
        ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
        "csi.storage.k8s.io/fstype": "ext4",
        ...Object.fromEntries(tags.map(([k, v], i) => [`tagSpecification_${i + 1}`, `${k}=${v}`])),
      },
    });
  }
}
