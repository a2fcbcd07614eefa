import type { EfaNetworkInterface } from "../catalog/efa-layouts";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/** A Karpenter subnet or security group selector term: by id, or by tags. */
export type SelectorTerm = { readonly id: string } | { readonly tags: Readonly<Record<string, string>> };

/** Tag keys Karpenter sets itself; the EC2NodeClass CRD rejects them in `spec.tags`. */
const RESTRICTED_TAG_KEYS = ["eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass"];

export interface Ec2NodeClassProps {
  /** Object name (NodePools reference it). */
  readonly name: string;
  /** EKS-optimized AMI alias, like `al2023@v20260818`. */
  readonly amiAlias: string;
  /** Node IAM role name; Karpenter creates and manages the instance profile. */
  readonly role: string;
  readonly subnetSelectorTerms: readonly SelectorTerm[];
  readonly securityGroupSelectorTerms: readonly SelectorTerm[];
  /** Root EBS volume size (gp3, encrypted). */
  readonly rootVolumeGiB: number;
  /** Customer managed key of the root volume (`ebs.kmsKeyID`); Karpenter's role and the EC2 Fleet/Spot roles use it. */
  readonly rootVolumeKmsKeyArn: string;
  /** Root volume throughput in MiB/s (gp3: 125-1000). @default 125 */
  readonly rootVolumeThroughputMiBs?: number;
  /**
   * RAID0 the instance-store NVMe disks and put kubelet and containerd on them (fast image pulls, big scratch).
   * Ignored by Karpenter on types without instance store.
   * @default false
   */
  readonly raid0InstanceStore?: boolean;
  /** Tags on instances, volumes, ENIs and launch templates Karpenter creates (cost allocation). */
  readonly tags: Readonly<Record<string, string>>;
  /** Static network interfaces (EFA). @default - one ENA interface chosen by Karpenter */
  readonly networkInterfaces?: readonly EfaNetworkInterface[];
  /** Name of an existing placement group to launch into. @default - none */
  readonly placementGroupName?: string;
  /** Capacity reservations (ODCR or Capacity Block ids) for capacity type `reserved`. @default - none */
  readonly capacityReservationIds?: readonly string[];
}

/**
 * An EC2NodeClass (karpenter.k8s.aws/v1): pinned AMI alias, IMDSv2 with hop limit 1 (pods without host
 * networking cannot reach instance credentials; workloads use Pod Identity), a gp3 root volume encrypted with a
 * customer managed key,
 * optional RAID0 instance store, cost tags, and for EFA the network interfaces and placement group.
 * @see https://karpenter.sh/v1.14/concepts/nodeclasses/
 */
export function ec2NodeClass(props: Ec2NodeClassProps): KubernetesObject {
  if (!/^[a-z0-9]+@.+$/.test(props.amiAlias)) throw new Error(`EC2NodeClass ${props.name}: amiAlias must look like al2023@v20260818, got "${props.amiAlias}"`);
  if (!Number.isInteger(props.rootVolumeGiB) || props.rootVolumeGiB < 20 || props.rootVolumeGiB > 16384) {
    throw new Error(`EC2NodeClass ${props.name}: rootVolumeGiB must be an integer between 20 and 16384, got ${props.rootVolumeGiB}`);
  }
  const throughput = props.rootVolumeThroughputMiBs ?? 125;
  if (!Number.isInteger(throughput) || throughput < 125 || throughput > 1000) {
    throw new Error(`EC2NodeClass ${props.name}: rootVolumeThroughputMiBs must be between 125 and 1000 (gp3), got ${throughput}`);
  }
  for (const key of Object.keys(props.tags)) {
    if (!key || RESTRICTED_TAG_KEYS.includes(key) || key.startsWith("kubernetes.io/cluster")) {
      throw new Error(`EC2NodeClass ${props.name}: tag "${key}" is set by Karpenter and not allowed in spec.tags`);
    }
  }
  if (props.subnetSelectorTerms.length === 0 || props.securityGroupSelectorTerms.length === 0) {
    throw new Error(`EC2NodeClass ${props.name}: subnetSelectorTerms and securityGroupSelectorTerms must not be empty`);
  }
  // A fresh copy: shared objects would be rendered as YAML anchors/aliases in the release values.
  return structuredClone({
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: props.name },
    spec: {
      amiSelectorTerms: [{ alias: props.amiAlias }],
      role: props.role,
      subnetSelectorTerms: props.subnetSelectorTerms.map((t) => ({ ...t })),
      securityGroupSelectorTerms: props.securityGroupSelectorTerms.map((t) => ({ ...t })),
      ...(props.capacityReservationIds?.length ? { capacityReservationSelectorTerms: props.capacityReservationIds.map((id) => ({ id })) } : {}),
      ...(props.placementGroupName ? { placementGroupSelector: { name: props.placementGroupName } } : {}),
      ...(props.networkInterfaces ? { networkInterfaces: props.networkInterfaces.map((n) => ({ ...n })) } : {}),
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          rootVolume: true,
          ebs: { volumeSize: `${props.rootVolumeGiB}Gi`, volumeType: "gp3", iops: 3000, throughput, encrypted: true, kmsKeyID: props.rootVolumeKmsKeyArn, deleteOnTermination: true },
        },
      ],
      ...(props.raid0InstanceStore ? { instanceStorePolicy: "RAID0" } : {}),
      tags: { ...props.tags },
    },
  });
}
