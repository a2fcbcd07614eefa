import type { KubernetesObject } from "../../constructs/kubernetes/manifests-release";
import { efaEnv } from "../../constructs/ml/efa-environment";
import { rayEfaImage } from "../../constructs/ml/efa-images";
import { checkpointMounts } from "../../constructs/resilience/checkpoints";
import { rayTrainingTemplatesConfigMap, type RayTrainingShape } from "../../constructs/serving/ray-templates";
import { DEFAULT_LOCAL_QUEUE } from "../../constructs/tenancy/names";
import { teamRayWorkers } from "../../environments/lib/ray-demand";
import { fsxZone } from "../../environments/lib/resilience-schema";
import type { Environment } from "../../environments/lib/schema";
import { halfNode, RAY_HEAD } from "../ml/serving";
import { namePrefix } from "../naming";

/**
 * The Ray training templates of a team namespace (docs/tenancy.md "Ray"): queued in its LocalQueue `default`, run as
 * its `default` service account (the team's Pod Identity role), workers selecting the node labels of the flavor its
 * queue holds (environments/lib/ray-demand.ts `teamRayWorkers`) so Kueue admits them there, on the namespace's training
 * claims, retried `resilience.checkpoints.maxRestarts` times. Undefined when Ray is off or the queue cannot hold a worker.
 */
export function teamRayTemplates(env: Environment, team: string): KubernetesObject | undefined {
  const placement = teamRayWorkers(env, team);
  if (!placement) return undefined;
  const { flavor } = placement;
  // On the EFA pool: the EFA-enabled Ray image and the settings the PyTorch runtime uses (one function for both).
  const efa = placement.efaInterfacesPerWorker
    ? {
        efaInterfaces: placement.efaInterfacesPerWorker,
        efa: { image: rayEfaImage(env.account.id, env.account.region, namePrefix(env)), env: efaEnv(placement.instanceTypes.map((t) => t.name), "pytorch") },
      }
    : {};
  const workers = halfNode(placement.instanceTypes, flavor.pool, { gpus: placement.gpusPerWorker, ...efa });
  const r = env.resilience;
  const shape: RayTrainingShape = {
    namespace: team,
    serviceAccount: "default",
    queue: DEFAULT_LOCAL_QUEUE,
    head: RAY_HEAD,
    workers: { ...workers, nodeSelector: { ...workers.nodeSelector, ...flavor.nodeLabels } },
    workerReplicas: placement.replicas,
    maxRestarts: r.checkpoints.maxRestarts,
    mounts: checkpointMounts({ fsxZone: fsxZone(env), mountpoint: r.storage.mountpoint.enabled }, r.checkpoints.intervalMinutes),
  };
  return rayTrainingTemplatesConfigMap(shape);
}
