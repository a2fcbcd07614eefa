import type { KubernetesObject } from "../../constructs/kubernetes/manifests-release";
import type { IGrantable } from "../../constructs/iam/policy";
import { teamCheckpointsPrefix, TRAINING_BUCKET_PURPOSE } from "../../constructs/resilience/training-storage-layout";
import { trainingVolumes } from "../../constructs/resilience/training-volumes";
import { mountpointStatements } from "../../constructs/storage/csi-drivers";
import type { Environment } from "../../environments/lib/schema";
import type { FoundationStack } from "../foundation-stack";
import { bucketName } from "../naming";

/**
 * A team's training storage (docs/tenancy.md "Training storage"): the claims the TrainJob runtimes mount, made in its
 * namespace with the same names as in `training`, so a team's TrainJob starts with its checkpoint and dataset mounts.
 * The volumes are the ML stack's sources (foundation file system and bucket): FSx shared as a whole; the bucket's
 * datasets/ read-only with the driver's role, and, without FSx, checkpoints in the team's own prefix with the team's
 * role, which gets Mountpoint's permissions on that prefix only. Returns nothing where the environment has no storage.
 */
export function teamTrainingVolumes(env: Environment, foundation: FoundationStack, team: string, role: IGrantable): KubernetesObject[] {
  const r = env.resilience;
  const fs = foundation.resilience.fsx;
  const bucket = bucketName(env, TRAINING_BUCKET_PURPOSE);
  const objects = trainingVolumes({
    team,
    fsx: fs && r.storage.fsx ? { fileSystemId: fs.fileSystem.id, dnsName: fs.fileSystem.dnsName, mountName: fs.fileSystem.mountName, storageCapacityGiB: r.storage.fsx.storageCapacityGiB } : undefined,
    bucket: r.storage.mountpoint.enabled ? { bucketName: bucket, region: env.account.region, checkpoints: true } : undefined,
  });
  if (r.storage.mountpoint.enabled && !r.storage.fsx) {
    // The bucket's ARN from its name, as the platform's Mountpoint role does: a literal in the plan.
    const statements = mountpointStatements(`arn:aws:s3:::${bucket}`, foundation.mlData.dataKey.keyArn, env.account.region, [{ prefix: teamCheckpointsPrefix(team), write: true }]);
    for (const s of statements) role.addToPolicy(s, "team-checkpoints");
  }
  return objects;
}
