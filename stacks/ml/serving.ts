import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { instanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import type { MlDataStores } from "../../constructs/data/ml-data-stores";
import type { PodIdentityCluster } from "../../constructs/iam/pod-identity-role";
import { GENERAL_POOL, GPU_INFERENCE_POOL, SHARED_GPU_POOL, type PoolPlacement } from "../../constructs/karpenter/pool-labels";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import { podMonitor } from "../../constructs/kubernetes/prometheus-monitors";
import { LlmServing, type LlmModelSpec } from "../../constructs/serving/llm-serving";
import { rayServeTemplatesConfigMap, type RayGroupShape, type RayServeShape } from "../../constructs/serving/ray-templates";
import type { Environment } from "../../environments/lib/schema";
import { RAY_SERVE_GPUS_PER_WORKER } from "../../environments/lib/ray-demand";
import { gpusPerReplica, poolOfModel, SHARED_GPU_POOL_NAME } from "../../environments/lib/serving-schema";

const POOLS: Record<string, PoolPlacement> = { "gpu-inference": GPU_INFERENCE_POOL, [SHARED_GPU_POOL_NAME]: SHARED_GPU_POOL };

/** Every Ray pod KubeRay 1.7.0 makes carries `ray.io/is-ray-node: yes` and a `metrics` port (8080) it adds itself. */
export const rayPodMonitor = (namespace: string) => podMonitor({ name: "ray", namespace, matchLabels: { "ray.io/is-ray-node": "yes" }, endpoints: [{ port: "metrics", interval: "30s" }] });

export const tolerations = (p: PoolPlacement) => p.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, string>);

/** The vLLM models of an environment, resolved to pools, GPU resources and prices. */
export function llmModelSpecs(env: Environment): LlmModelSpec[] {
  return env.ml.llm.models.map((m) => {
    const pool = poolOfModel(env, m)!; // validation guarantees one
    const sharing = pool.sharing;
    const gpuResource = sharing.mode === "mig" && sharing.strategy === "mixed" ? `nvidia.com/mig-${m.gpu.migProfile}` : "nvidia.com/gpu";
    const gpuCount = m.gpu.count ?? m.tensorParallelSize;
    const type = instanceType(m.gpu.instanceType);
    const gpus = gpusPerReplica(env, m);
    return {
      name: m.name,
      modelId: m.modelId,
      weights: m.weights,
      pool: POOLS[pool.name],
      instanceType: m.gpu.instanceType,
      gpuResource,
      gpuCount,
      tensorParallelSize: m.tensorParallelSize,
      maxModelLen: m.maxModelLen,
      gpuMemoryUtilization: m.gpuMemoryUtilization,
      cpu: m.cpu,
      memoryGiB: m.memoryGiB,
      shmGiB: m.shmGiB,
      minReplicas: m.replicas.min,
      maxReplicas: m.replicas.max,
      waitingPerReplica: m.autoscaling.waitingPerReplica,
      kvCacheUsagePercent: m.autoscaling.kvCacheUsagePercent,
      // A replica pays for its share of the node: its GPUs (or slices) over the node's GPUs.
      cost: { modelId: m.modelId, gpusPerReplica: gpus, usdPerReplicaHour: (EC2_ON_DEMAND_USD_PER_HOUR[type.name] ?? 0) * (gpus / type.gpuCount) },
    };
  });
}

/** Half a node of the smallest type (room for DaemonSets and the kubelet's reserve). */
export function halfNode(types: readonly InstanceTypeInfo[], pool: PoolPlacement, extra: Pick<RayGroupShape, "gpus" | "efaInterfaces" | "efa"> = {}): RayGroupShape {
  const smallest = (pick: (t: InstanceTypeInfo) => number) => Math.min(...types.map(pick));
  return {
    nodeSelector: { ...pool.nodeSelector },
    tolerations: tolerations(pool),
    cpu: String(Math.max(1, Math.floor(smallest((t) => t.vcpu) / 2))),
    memory: `${Math.max(2, Math.floor(smallest((t) => t.memoryMiB) / 1024 / 2))}Gi`,
    ...extra,
  };
}

/** The Ray head of every template: the general pool, no GPU. */
export const RAY_HEAD: RayGroupShape = { nodeSelector: { ...GENERAL_POOL.nodeSelector }, tolerations: tolerations(GENERAL_POOL), cpu: "2", memory: "8Gi" };

/** The RayService's shape: one-GPU Serve workers on the inference pool, up to `ml.ray.serve.maxWorkers`. */
export function rayServeShape(env: Environment, namespace: string, serviceAccount: string): RayServeShape {
  const inference = env.compute.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f).filter((t) => t.gpuCount > 0 && t.arch === "amd64"));
  return { namespace, serviceAccount, head: RAY_HEAD, workers: halfNode(inference, GPU_INFERENCE_POOL, { gpus: RAY_SERVE_GPUS_PER_WORKER }), maxWorkers: env.ml.ray.serve.maxWorkers };
}

export interface MlServingProps {
  readonly env: Environment;
  /** Pod Identity for vLLM. */
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly prefix: string;
  readonly prometheusUrl: string;
  /** KEDA (ScaledObject CRD). */
  readonly dependsOn: ITerraformDependable[];
}

/** Serving pieces of the ML stack (issue 15): vLLM behind the router, and the RayService template. */
export class MlServing extends Construct {
  readonly llm?: LlmServing;
  readonly rayTemplates?: ManifestsRelease;

  constructor(scope: Construct, id: string, props: MlServingProps) {
    super(scope, id);
    const { env } = props;
    const llm = env.ml.llm;
    if (llm.models.length) {
      this.llm = new LlmServing(this, "llm", {
        cluster: props.cluster,
        dataStores: props.dataStores,
        region: env.account.region,
        rolePrefix: props.prefix,
        models: llmModelSpecs(env),
        router: { replicas: llm.router.replicas, routingLogic: llm.router.routingLogic, sessionKey: llm.router.sessionKey, nodeSelector: GENERAL_POOL.nodeSelector, tolerations: tolerations(GENERAL_POOL) },
        alerts: llm.alerts,
        prometheusUrl: props.prometheusUrl,
        dependsOn: props.dependsOn,
      });
    }
    if (env.ml.ray.enabled) {
      // Ray Serve only: the training templates are in the team namespaces (stacks/teams/ray-templates.ts), queued and
      // on the training claims. The sample application needs no AWS access, so the service account has no role.
      const namespace = "ray";
      const serviceAccount = "ray-serve";
      this.rayTemplates = new ManifestsRelease(this, "ray-templates", { releaseName: "ray-templates", namespace });
      this.rayTemplates.add({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace, labels: { "app.kubernetes.io/part-of": "ml-platform" } } });
      this.rayTemplates.add(rayServeTemplatesConfigMap(rayServeShape(env, namespace, serviceAccount)));
      this.rayTemplates.add(rayPodMonitor(namespace));
    }
  }
}
