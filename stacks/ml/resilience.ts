import { Construct } from "constructs";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import type { KubeflowTrainer, KubeflowTrainerProps } from "../../constructs/ml/kubeflow-trainer";
import { checkpointMounts } from "../../constructs/resilience/checkpoints";
import { ncclTestsImage, ncclTestsRuntime } from "../../constructs/resilience/nccl-tests";
import { TRAINING_BUCKET_PURPOSE, TRAINING_NAMESPACE } from "../../constructs/resilience/training-storage-layout";
import { trainingVolumes } from "../../constructs/resilience/training-volumes";
import { fsxZone } from "../../environments/lib/resilience-schema";
import type { Environment } from "../../environments/lib/schema";
import type { FoundationStack } from "../foundation-stack";
import { bucketName, namePrefix } from "../naming";

/** The trainer's `resumable` setting from the environment: restarts always, volumes where there is storage. */
export function trainerResumable(env: Environment): KubeflowTrainerProps["resumable"] {
  const r = env.resilience;
  const mounts = checkpointMounts({ fsxZone: fsxZone(env), mountpoint: r.storage.mountpoint.enabled }, r.checkpoints.intervalMinutes);
  return { maxRestarts: r.checkpoints.maxRestarts, mounts };
}

/** The environment, the foundation (file system, bucket) and the trainer whose runtimes this adds to. */
export interface MlResilienceProps {
  readonly env: Environment;
  readonly foundation: FoundationStack;
  readonly trainer: KubeflowTrainer;
  /** The EFA pool's node shape, when the environment has one: the fabric check runs there. */
  readonly efaPool?: { readonly gpusPerNode: number; readonly efaInterfacesPerNode: number; readonly instanceTypes: readonly string[] };
}

/**
 * The ML side of issue 17: the training namespace with the static volumes of the training storage (FSx, Mountpoint)
 * that the resumable runtimes mount, and the `nccl-tests-efa` runtime of the fabric check on the EFA pool. Here rather
 * than in the platform stack because the runtimes that use them are the trainer's, and the CSI drivers they need are
 * applied before this stack (foundation and platform).
 */
export class MlResilience extends Construct {
  readonly volumes?: ManifestsRelease;

  constructor(scope: Construct, id: string, props: MlResilienceProps) {
    super(scope, id);
    const { env, foundation } = props;
    const r = env.resilience;
    const fs = foundation.resilience.fsx;
    const objects = trainingVolumes({
      fsx: fs && r.storage.fsx ? { fileSystemId: fs.fileSystem.id, dnsName: fs.fileSystem.dnsName, mountName: fs.fileSystem.mountName, storageCapacityGiB: r.storage.fsx.storageCapacityGiB } : undefined,
      bucket: r.storage.mountpoint.enabled ? { bucketName: bucketName(env, TRAINING_BUCKET_PURPOSE), region: env.account.region, checkpoints: true } : undefined,
    });
    if (objects.length) {
      this.volumes = new ManifestsRelease(this, "volumes", { releaseName: "training-volumes", namespace: TRAINING_NAMESPACE });
      for (const o of objects) this.volumes.add(o);
    }
    const efa = props.efaPool;
    if (efa) {
      const image = ncclTestsImage(env.account.id, env.account.region, namePrefix(env));
      props.trainer.runtimes.add(ncclTestsRuntime({ image, gpusPerNode: efa.gpusPerNode, efaInterfacesPerNode: efa.efaInterfacesPerNode, instanceTypes: efa.instanceTypes }));
    }
  }
}
