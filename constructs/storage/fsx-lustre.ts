import { FsxDataRepositoryAssociation } from "@cdktf/provider-aws/lib/fsx-data-repository-association";
import { FsxLustreFileSystem } from "@cdktf/provider-aws/lib/fsx-lustre-file-system";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PolicyStatement } from "../iam/policy";
import type { KmsKey } from "../security/kms-key";
import { fsxCapacityProblem, fsxThroughputProblem, type FsxDeploymentType } from "./fsx-lustre-rules";

/** LNet (988) and the Lustre client ports (1018-1023) FSx for Lustre uses between clients and servers. */
export const LUSTRE_PORTS = [
  { from: 988, to: 988 },
  { from: 1018, to: 1023 },
] as const;

/** One S3 prefix linked to a directory of the file system. */
export interface LinkedPrefix {
  /** Directory on the file system, like `/checkpoints`. */
  readonly fileSystemPath: string;
  /** Prefix in the bucket, like `checkpoints`. */
  readonly prefix: string;
}

export interface FsxLustreProps {
  /** Name of the file system and its security group (`<name>-fsx`). */
  readonly name: string;
  readonly vpcId: string;
  /** The one subnet (AZ) of the file system. */
  readonly subnetId: string;
  /** Security group every client node carries (the EKS cluster security group). */
  readonly clientSecurityGroupId: string;
  readonly deploymentType: FsxDeploymentType;
  readonly storageCapacityGiB: number;
  /** MB/s per TiB. */
  readonly perUnitStorageThroughput: number;
  readonly dataCompressionType: "LZ4" | "NONE";
  /** Days of daily automatic backups (0: none). */
  readonly automaticBackupRetentionDays: number;
  /** Encrypts the file system; also the bucket's key, so FSx's S3 role gets a statement on it. */
  readonly key: KmsKey;
  readonly accountId: string;
  readonly region: string;
  /** The linked bucket (SSE-KMS with `key` and S3 Bucket Keys): name and ARN as literals. */
  readonly bucketName: string;
  /** The bucket resource: the links are created after it (they name it by its literal name). */
  readonly bucketDependency: ITerraformDependable;
  readonly linkedPrefixes: readonly LinkedPrefix[];
  /** prevent_destroy and a final backup on destroy. @default false */
  readonly protect?: boolean;
}

/** Import and export every change, both ways, so the bucket holds what jobs write and jobs see what lands in S3. */
const ALL_EVENTS = ["NEW", "CHANGED", "DELETED"];

/**
 * Key-policy statement for the FSx S3 access role of the file system, which FSx creates with the file system
 * (`AWSServiceRoleForFSxS3Access_<file system id>`): it reads and writes the linked SSE-KMS bucket through S3 only, for
 * that bucket only (the encryption context is the bucket ARN because S3 Bucket Keys are on). Matched by
 * `aws:PrincipalArn` because the role's name holds the file system id, unknown until it exists.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/s3-server-side-encryption-support.html
 */
export function fsxS3AccessKeyStatement(accountId: string, region: string, bucketName: string): PolicyStatement {
  return {
    Sid: "FsxS3AccessRoleUsesKeyForTrainingBucket",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Resource: "*",
    Condition: {
      ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${accountId}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_*` },
      StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": `s3.${region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${bucketName}` },
    },
  };
}

/**
 * An FSx for Lustre file system (persistent SSD) for training data and checkpoints: in one subnet, encrypted with a
 * customer managed key, linked to S3 prefixes with automatic import and export (data repository associations), in its
 * own security group open on the Lustre ports to itself and to the cluster's nodes (and the nodes' group open to it),
 * with daily backups when configured and, protected, prevent_destroy and a final backup.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html
 */
export class FsxLustre extends Construct {
  readonly fileSystem: FsxLustreFileSystem;
  readonly securityGroup: SecurityGroup;
  readonly associations: FsxDataRepositoryAssociation[] = [];

  constructor(scope: Construct, id: string, props: FsxLustreProps) {
    super(scope, id);
    const problem = fsxCapacityProblem(props.storageCapacityGiB) ?? fsxThroughputProblem(props.deploymentType, props.perUnitStorageThroughput);
    if (problem) throw new Error(`FSx file system ${props.name}: ${problem}`);
    const protect = props.protect ?? false;
    const name = `${props.name}-fsx`;

    this.securityGroup = new SecurityGroup(this, "security-group", { name, description: "FSx for Lustre: Lustre ports between the file system and the cluster's nodes", vpcId: props.vpcId, tags: { Name: name } });
    for (const { from, to } of LUSTRE_PORTS) {
      const ports = { ipProtocol: "tcp", fromPort: from, toPort: to };
      const suffix = from === to ? `${from}` : `${from}-${to}`;
      const rule = (kind: "ingress" | "egress", key: string, securityGroupId: string, peer: string, description: string) => {
        const args = { securityGroupId, referencedSecurityGroupId: peer, ...ports, description, tags: { Name: `${name}-${key}-${suffix}` } };
        if (kind === "ingress") new VpcSecurityGroupIngressRule(this, `${key}-${suffix}`, args);
        else new VpcSecurityGroupEgressRule(this, `${key}-${suffix}`, args);
      };
      rule("ingress", "ingress-self", this.securityGroup.id, this.securityGroup.id, "Lustre between the file system's servers");
      rule("egress", "egress-self", this.securityGroup.id, this.securityGroup.id, "Lustre between the file system's servers");
      rule("ingress", "ingress-nodes", this.securityGroup.id, props.clientSecurityGroupId, "Lustre from the cluster's nodes");
      rule("egress", "egress-nodes", this.securityGroup.id, props.clientSecurityGroupId, "Lustre to the cluster's nodes");
      rule("ingress", "nodes-from-fsx", props.clientSecurityGroupId, this.securityGroup.id, "Lustre from the FSx file system to its clients");
    }

    props.key.addServiceStatement(fsxS3AccessKeyStatement(props.accountId, props.region, props.bucketName));
    this.fileSystem = new FsxLustreFileSystem(this, "file-system", {
      deploymentType: props.deploymentType,
      storageType: "SSD",
      storageCapacity: props.storageCapacityGiB,
      perUnitStorageThroughput: props.perUnitStorageThroughput,
      fileSystemTypeVersion: "2.15",
      dataCompressionType: props.dataCompressionType,
      subnetIds: [props.subnetId],
      securityGroupIds: [this.securityGroup.id],
      kmsKeyId: props.key.keyArn,
      automaticBackupRetentionDays: props.automaticBackupRetentionDays,
      copyTagsToBackups: true,
      skipFinalBackup: !protect,
      tags: { Name: name },
      lifecycle: protect ? { preventDestroy: true } : undefined,
    });
    for (const link of props.linkedPrefixes) {
      const key = link.prefix.replace(/[^a-z0-9]+/g, "-");
      this.associations.push(
        new FsxDataRepositoryAssociation(this, `link-${key}`, {
          fileSystemId: this.fileSystem.id,
          fileSystemPath: link.fileSystemPath,
          dataRepositoryPath: `s3://${props.bucketName}/${link.prefix.replace(/\/+$/, "")}/`,
          batchImportMetaDataOnCreate: true,
          // Removing the link keeps the files: the checkpoints stay on the file system as well as in S3.
          deleteDataInFilesystem: false,
          s3: { autoImportPolicy: { events: [...ALL_EVENTS] }, autoExportPolicy: { events: [...ALL_EVENTS] } },
          tags: { Name: `${name}-${key}` },
          dependsOn: [props.bucketDependency],
        }),
      );
    }
  }
}
