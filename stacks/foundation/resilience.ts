import type { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { EksCluster } from "../../constructs/eks/cluster";
import { podIdentityTrustPolicy } from "../../constructs/iam/pod-identity-role";
import { WorkloadRole } from "../../constructs/iam/workload-role";
import type { Vpc } from "../../constructs/network/vpc";
import { NODE_MONITORING_AGENT_ADDON, NODE_MONITORING_AGENT_VERSION, nodeMonitoringAgentConfiguration } from "../../constructs/resilience/node-monitoring-agent";
import { CHECKPOINT_RUNS_DIR, CHECKPOINTS_PREFIX, DATASETS_PREFIX, FSX_CHECKPOINTS_PATH, FSX_DATASETS_PATH, TRAINING_BUCKET_PURPOSE } from "../../constructs/resilience/training-storage-layout";
import { WORKLOAD_UID } from "../../constructs/kubernetes/security-context";
import type { KmsKey } from "../../constructs/security/kms-key";
import { ACCESS_LOG_PREFIX } from "../../constructs/storage/access-log-bucket";
import { csiNodeConfiguration, FSX_CSI, fsxCsiControllerStatements } from "../../constructs/storage/csi-drivers";
import { FsxLustre } from "../../constructs/storage/fsx-lustre";
import { SecureBucket } from "../../constructs/storage/secure-bucket";
import { fsxBackupDays, fsxZone } from "../../environments/lib/resilience-schema";
import type { Environment } from "../../environments/lib/schema";
import { bucketName, namePrefix } from "../naming";

export interface FoundationResilienceProps {
  readonly env: Environment;
  readonly cluster: EksCluster;
  readonly vpc: Vpc;
  /** The ML data key: encrypts the training bucket and the file system. */
  readonly dataKey: KmsKey;
  /** Production's access-log bucket. @default - not logged (the non-production decision in security-exceptions.ts) */
  readonly accessLogBucketName?: string;
  /** The system node group: add-ons whose pods need nodes come after it. */
  readonly compute: ITerraformDependable[];
}

/**
 * The foundation side of issue 17: the node monitoring agent add-on (the GPU nodes' DCGM host engine with it), the
 * training bucket, and with `resilience.storage.fsx` the FSx for Lustre file system in the EFA zone linked to the
 * bucket's datasets/ and checkpoints/ prefixes and the FSx CSI driver add-on with its Pod Identity role. Stateful parts
 * are protected in production like the other data stores.
 */
export class FoundationResilience extends Construct {
  readonly nodeMonitoringAgent?: EksAddon;
  /** `mlp-<env>-training-<account>`: datasets/ and checkpoints/ (FSx links and Mountpoint volumes). */
  readonly trainingBucket?: SecureBucket;
  readonly fsx?: FsxLustre;
  /** `checkpoints/runs/`, owned by the training pods' UID on the file system. */
  readonly checkpointRunsDir?: S3Object;
  readonly fsxCsiDriver?: EksAddon;
  readonly fsxCsiRole?: WorkloadRole;

  constructor(scope: Construct, id: string, props: FoundationResilienceProps) {
    super(scope, id);
    const { env, cluster } = props;
    const r = env.resilience;
    const protect = env.tier === "production";
    const prefix = namePrefix(env);

    if (r.nodeMonitoring.enabled) {
      this.nodeMonitoringAgent = cluster.addon(NODE_MONITORING_AGENT_ADDON, { version: NODE_MONITORING_AGENT_VERSION, configurationValues: nodeMonitoringAgentConfiguration(), dependsOn: props.compute });
    }

    const fsx = r.storage.fsx;
    if (!fsx && !r.storage.mountpoint.enabled) return;
    const name = bucketName(env, TRAINING_BUCKET_PURPOSE);
    this.trainingBucket = new SecureBucket(this, "training-bucket", {
      bucketName: name,
      encryptionKey: props.dataKey,
      protect,
      forceDestroy: !protect,
      accessLogs: props.accessLogBucketName ? { bucketName: props.accessLogBucketName, prefix: ACCESS_LOG_PREFIX } : undefined,
    });
    if (!fsx) return;

    // checkpoints/runs/ as a directory the training pods' UID owns (FSx's POSIX metadata), created before the
    // association so its first import brings it in; Mountpoint shows every path as that UID's anyway.
    this.checkpointRunsDir = new S3Object(this, "checkpoint-runs-dir", {
      bucket: name,
      key: `${CHECKPOINTS_PREFIX}/${CHECKPOINT_RUNS_DIR}/`,
      content: "",
      contentType: "application/x-directory",
      serverSideEncryption: "aws:kms",
      kmsKeyId: props.dataKey.keyArn,
      metadata: { "file-owner": String(WORKLOAD_UID), "file-group": String(WORKLOAD_UID), "file-permissions": "0040775" },
      dependsOn: [this.trainingBucket.bucket],
    });

    const zone = fsxZone(env);
    const subnet = zone === undefined ? undefined : props.vpc.privateSubnets.get(zone);
    if (!subnet) throw new Error(`environment "${env.name}": resilience.storage.fsx: availability zone ${zone} has no private subnet`);
    this.fsx = new FsxLustre(this, "fsx", {
      name: `${prefix}-training`,
      vpcId: props.vpc.vpcId,
      subnetId: subnet.id,
      clientSecurityGroupId: cluster.clusterSecurityGroupId,
      deploymentType: fsx.deploymentType,
      storageCapacityGiB: fsx.storageCapacityGiB,
      perUnitStorageThroughput: fsx.perUnitStorageThroughput,
      dataCompressionType: fsx.dataCompressionType,
      automaticBackupRetentionDays: fsxBackupDays(env),
      key: props.dataKey,
      accountId: env.account.id,
      region: env.account.region,
      bucketName: name,
      bucketDependency: this.checkpointRunsDir,
      linkedPrefixes: [
        { fileSystemPath: FSX_DATASETS_PATH, prefix: DATASETS_PREFIX },
        { fileSystemPath: FSX_CHECKPOINTS_PATH, prefix: CHECKPOINTS_PREFIX },
      ],
      protect,
    });

    // The add-on creates the association (like vpc-cni's), so the role is trusted for the controller's account only.
    this.fsxCsiRole = new WorkloadRole(this, "fsx-csi-role", {
      roleName: `${prefix}-fsx-csi`,
      description: "FSx for Lustre CSI controller (Pod Identity): static volumes only",
      assumeRolePolicy: podIdentityTrustPolicy(cluster, "kube-system", FSX_CSI.controllerServiceAccount),
    });
    for (const s of fsxCsiControllerStatements()) this.fsxCsiRole.addToPolicy(s, "fsx-csi-controller");
    this.fsxCsiDriver = cluster.addon(FSX_CSI.addon, {
      version: FSX_CSI.version,
      configurationValues: csiNodeConfiguration(),
      podIdentityAssociation: { serviceAccount: FSX_CSI.controllerServiceAccount, roleArn: this.fsxCsiRole.roleArn },
      dependsOn: [...props.compute, ...this.fsxCsiRole.dependables()],
    });
  }

  /** ARNs of the buckets this part adds (production's data-events trail records them). */
  get bucketArns(): string[] {
    return this.trainingBucket ? [this.trainingBucket.bucketArn] : [];
  }
}
