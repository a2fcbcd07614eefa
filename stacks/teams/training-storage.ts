import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { Construct } from "constructs";
import type { IGrantable } from "../../constructs/iam/policy";
import type { KubernetesObject } from "../../constructs/kubernetes/manifests-release";
import { WORKLOAD_UID } from "../../constructs/kubernetes/security-context";
import { CHECKPOINT_RUNS_DIR, teamCheckpointsPrefix, teamFsxCheckpointsPath, TRAINING_BUCKET_PURPOSE } from "../../constructs/resilience/training-storage-layout";
import { trainingVolumes } from "../../constructs/resilience/training-volumes";
import { mountpointStatements } from "../../constructs/storage/csi-drivers";
import type { Environment } from "../../environments/lib/schema";
import type { FoundationStack } from "../foundation-stack";
import { bucketName } from "../naming";

export interface TeamTrainingStorageProps {
  readonly env: Environment;
  readonly foundation: FoundationStack;
  readonly team: string;
  /** The team's Pod Identity role: its S3 checkpoint volume mounts with it. */
  readonly role: IGrantable;
}

/**
 * A team's training storage (docs/tenancy.md "What a team gets"): the claims the TrainJob runtimes mount, made in its
 * namespace under the names they have in `training`, so a team's TrainJob starts with its checkpoint and dataset mounts,
 * on volumes of the foundation's storage that reach only the team's own checkpoints. With FSx: the team's directory
 * /checkpoints/teams/<team> as a Lustre fileset, whose runs/ directory (owned by the training pods' UID, as
 * checkpoints/runs/ is) is created in the bucket here for the data repository association to import. Without FSx: the
 * bucket's teams/<team>/checkpoints/ through Mountpoint with the team's role, which gets Mountpoint's permissions on that
 * prefix only. Datasets are shared, read-only. `objects` is empty where the environment has no training storage.
 */
export class TeamTrainingStorage extends Construct {
  readonly objects: KubernetesObject[];
  /** `checkpoints/teams/<team>/runs/` in the training bucket (FSx only). */
  readonly runsDir?: S3Object;

  constructor(scope: Construct, id: string, props: TeamTrainingStorageProps) {
    super(scope, id);
    const { env, foundation, team } = props;
    const r = env.resilience;
    const fs = foundation.resilience.fsx;
    const bucket = bucketName(env, TRAINING_BUCKET_PURPOSE);
    this.objects = trainingVolumes({
      team,
      fsx: fs && r.storage.fsx ? { fileSystemId: fs.fileSystem.id, dnsName: fs.fileSystem.dnsName, mountName: fs.fileSystem.mountName, storageCapacityGiB: r.storage.fsx.storageCapacityGiB } : undefined,
      bucket: r.storage.mountpoint.enabled ? { bucketName: bucket, region: env.account.region, checkpoints: true } : undefined,
    });
    if (fs && r.storage.fsx) {
      // Auto-import brings it in as a directory UID 1000 owns (FSx's POSIX metadata); the fileset mount needs its parent.
      this.runsDir = new S3Object(this, "runs-dir", {
        bucket,
        key: `${teamFsxCheckpointsPath(team).replace(/^\//, "")}/${CHECKPOINT_RUNS_DIR}/`,
        content: "",
        contentType: "application/x-directory",
        serverSideEncryption: "aws:kms",
        kmsKeyId: foundation.mlData.dataKey.keyArn,
        metadata: { "file-owner": String(WORKLOAD_UID), "file-group": String(WORKLOAD_UID), "file-permissions": "0040775" },
      });
    } else if (r.storage.mountpoint.enabled) {
      // The bucket's ARN from its name, as the platform's Mountpoint role does: a literal in the plan.
      const statements = mountpointStatements(`arn:aws:s3:::${bucket}`, foundation.mlData.dataKey.keyArn, env.account.region, [{ prefix: teamCheckpointsPrefix(team), write: true }]);
      for (const s of statements) props.role.addToPolicy(s, "team-checkpoints");
    }
  }
}
