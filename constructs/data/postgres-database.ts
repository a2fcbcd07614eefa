import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { RDS_CA_CERTIFICATES } from "../catalog/rds-ca-certificates.generated";
import type { KmsKey } from "../security/kms-key";

/** PostgreSQL major version; RDS picks the newest minor and upgrades minors in the maintenance window. */
export const POSTGRES_MAJOR_VERSION = "17";

/** The TCP port clients use. */
export const POSTGRES_PORT = 5432;

/** The CA that signs the instance's server certificate (RSA 2048, valid to 2061, accepted by every libpq). */
export const RDS_CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";

/**
 * The PEM bundle clients verify an RDS instance of `region` against (`sslmode=verify-full`): the region's G1 root CAs,
 * so a later switch of the instance's CA (RSA4096, ECC384) needs no client change.
 */
export function rdsCaBundle(region: string): string {
  const certs = RDS_CA_CERTIFICATES[region];
  if (!certs?.some((c) => c.identifier === RDS_CA_CERT_IDENTIFIER)) throw new Error(`no RDS CA ${RDS_CA_CERT_IDENTIFIER} for region ${region} in constructs/catalog/rds-ca-certificates.generated.ts`);
  return certs.map((c) => c.pem).join("");
}

export interface PostgresDatabaseProps {
  /** DB instance identifier, also the prefix of the subnet group, parameter group and security group names. */
  readonly identifier: string;
  /** Name of the database created with the instance. */
  readonly databaseName: string;
  /** Master user name; RDS generates the password and keeps it in Secrets Manager only. */
  readonly masterUsername: string;
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling. */
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
  readonly vpcId: string;
  /** Private subnets (at least two AZs) for the DB subnet group. */
  readonly subnetIds: string[];
  /** Security groups whose members may connect on 5432 (the EKS cluster security group that nodes carry). */
  readonly clientSecurityGroupIds: readonly string[];
  /** Encrypts storage, snapshots and the Secrets Manager secret holding the master password. */
  readonly encryptionKey: KmsKey;
  /** Encrypts the PostgreSQL log group. */
  readonly logsKey: KmsKey;
  readonly logRetentionDays: number;
  /**
   * Production protection: deletion protection, prevent_destroy, a final snapshot and retained automated backups.
   * @default false
   */
  readonly protect?: boolean;
}

/**
 * An encrypted RDS PostgreSQL instance in private subnets whose master password is generated and rotated by RDS in
 * Secrets Manager (`manage_master_user_password`), so no password ever reaches Terraform configuration or state.
 * Only the given client security groups reach port 5432; TLS is enforced by the parameter group.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
export class PostgresDatabase extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  /** DNS name of the instance (no port). */
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** ARN of the RDS-managed Secrets Manager secret (`{"username": ..., "password": ...}`). */
  readonly masterUserSecretArn: string;
  /** The key that encrypts the secret (readers need kms:Decrypt through Secrets Manager). */
  readonly secretKmsKeyArn: string;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    if (props.maxAllocatedStorageGiB < props.allocatedStorageGiB) {
      throw new Error(`database ${props.identifier}: maxAllocatedStorageGiB (${props.maxAllocatedStorageGiB}) must be at least allocatedStorageGiB (${props.allocatedStorageGiB})`);
    }
    if (props.clientSecurityGroupIds.length === 0) {
      throw new Error(`database ${props.identifier}: clientSecurityGroupIds must name at least one security group, or nothing can connect`);
    }
    const protect = props.protect ?? false;

    const subnetGroup = new DbSubnetGroup(this, "subnet-group", {
      name: props.identifier,
      description: `Private subnets of ${props.identifier}`,
      subnetIds: props.subnetIds,
    });

    // No egress rules: Terraform removes AWS's default allow-all egress, and RDS never initiates connections.
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.identifier}-db`,
      description: `PostgreSQL ${props.identifier}: 5432 from cluster nodes only`,
      vpcId: props.vpcId,
      tags: { Name: `${props.identifier}-db` },
    });
    props.clientSecurityGroupIds.forEach((sg, i) => {
      new VpcSecurityGroupIngressRule(this, `ingress-${i}`, {
        securityGroupId: this.securityGroup.id,
        description: "PostgreSQL from EKS nodes and pods",
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: sg,
      });
    });

    const parameters = new DbParameterGroup(this, "parameters", {
      name: `${props.identifier}-pg${POSTGRES_MAJOR_VERSION}`,
      family: `postgres${POSTGRES_MAJOR_VERSION}`,
      description: `TLS-only PostgreSQL ${POSTGRES_MAJOR_VERSION} for ${props.identifier}`,
      parameter: [{ name: "rds.force_ssl", value: "1" }],
    });

    // Created here so the log group RDS writes to is encrypted and expires; RDS reuses an existing group.
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/rds/instance/${props.identifier}/postgresql`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKey.keyArn,
    });

    this.instance = new DbInstance(this, "instance", {
      identifier: props.identifier,
      engine: "postgres",
      engineVersion: POSTGRES_MAJOR_VERSION,
      autoMinorVersionUpgrade: true,
      instanceClass: props.instanceClass,
      dbName: props.databaseName,
      username: props.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.encryptionKey.keyArn,
      port: POSTGRES_PORT,
      storageType: "gp3",
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      kmsKeyId: props.encryptionKey.keyArn,
      multiAz: props.multiAz,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      caCertIdentifier: RDS_CA_CERT_IDENTIFIER,
      backupRetentionPeriod: props.backupRetentionDays,
      copyTagsToSnapshot: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      deletionProtection: protect,
      skipFinalSnapshot: !protect,
      finalSnapshotIdentifier: protect ? `${props.identifier}-final` : undefined,
      deleteAutomatedBackups: !protect,
      applyImmediately: false,
      dependsOn: [logGroup],
      lifecycle: protect ? { preventDestroy: true } : undefined,
    });
    this.address = this.instance.address;
    this.port = POSTGRES_PORT;
    this.databaseName = props.databaseName;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;
    this.secretKmsKeyArn = props.encryptionKey.keyArn;
  }
}
