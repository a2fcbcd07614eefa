import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { EC2_ON_DEMAND_USD_PER_HOUR } from "../../constructs/catalog/ec2-prices.generated";
import { instanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../constructs/catalog/instance-types";
import type { MlDataStores } from "../../constructs/data/ml-data-stores";
import { IrsaRole, type IrsaCluster } from "../../constructs/iam/irsa-role";
import type { PodIdentityCluster } from "../../constructs/iam/pod-identity-role";
import { EFA_TRAINING_POOL, GENERAL_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, SHARED_GPU_POOL, type PoolPlacement } from "../../constructs/karpenter/pool-labels";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import { podMonitor } from "../../constructs/kubernetes/prometheus-monitors";
import { LlmServing, type LlmModelSpec } from "../../constructs/serving/llm-serving";
import { rayTemplatesConfigMap, type RayGroupShape, type RayShape } from "../../constructs/serving/ray-templates";
import type { Environment } from "../../environments/lib/schema";
import { gpusPerReplica, poolOfModel, SHARED_GPU_POOL_NAME } from "../../environments/lib/serving-schema";

const POOLS: Record<string, PoolPlacement> = { "gpu-inference": GPU_INFERENCE_POOL, [SHARED_GPU_POOL_NAME]: SHARED_GPU_POOL };

const tolerations = (p: PoolPlacement) => p.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, string>);

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
function halfNode(types: readonly InstanceTypeInfo[], pool: PoolPlacement, extra: { gpus?: number; efaInterfaces?: number } = {}): RayGroupShape {
  const smallest = (pick: (t: InstanceTypeInfo) => number) => Math.min(...types.map(pick));
  return {
    nodeSelector: { ...pool.nodeSelector },
    tolerations: tolerations(pool),
    cpu: String(Math.max(1, Math.floor(smallest((t) => t.vcpu) / 2))),
    memory: `${Math.max(2, Math.floor(smallest((t) => t.memoryMiB) / 1024 / 2))}Gi`,
    ...extra,
  };
}

/** The Ray templates' shape: training workers on the EFA pool if there is one, else the GPU training pool, else inference. */
export function rayShape(env: Environment, storageUri: string, namespace: string, serviceAccount: string): RayShape {
  const c = env.compute;
  const inference = c.gpuInferencePool.instanceFamilies.flatMap((f) => instanceTypesOfFamily(f).filter((t) => t.gpuCount > 0 && t.arch === "amd64"));
  const minGpus = (types: readonly InstanceTypeInfo[]) => Math.min(...types.map((t) => t.gpuCount));
  let trainingWorkers: RayGroupShape;
  if (c.efa.mode !== "disabled") {
    const types = c.efa.instanceTypes.map(instanceType);
    trainingWorkers = halfNode(types, EFA_TRAINING_POOL, { gpus: minGpus(types), efaInterfaces: Math.min(...types.map((t) => t.efaInterfaces)) });
  } else if (c.gpuTrainingPool) {
    const types = c.gpuTrainingPool.instanceTypes.map(instanceType);
    trainingWorkers = halfNode(types, GPU_TRAINING_POOL, { gpus: minGpus(types) });
  } else {
    trainingWorkers = halfNode(inference, GPU_INFERENCE_POOL, { gpus: 1 });
  }
  return {
    namespace,
    serviceAccount,
    region: env.account.region,
    storageUri,
    head: { nodeSelector: { ...GENERAL_POOL.nodeSelector }, tolerations: tolerations(GENERAL_POOL), cpu: "2", memory: "8Gi" },
    trainingWorkers,
    servingWorkers: halfNode(inference, GPU_INFERENCE_POOL, { gpus: 1 }),
    maxWorkers: env.ml.ray.maxWorkers,
    maxRestarts: env.resilience.checkpoints.maxRestarts,
  };
}

export interface MlServingProps {
  readonly env: Environment;
  /** Pod Identity for vLLM; the OIDC provider (IRSA) for Ray, whose images predate Pod Identity (below). */
  readonly cluster: PodIdentityCluster & IrsaCluster;
  readonly dataStores: MlDataStores;
  readonly prefix: string;
  readonly prometheusUrl: string;
  /** KEDA (ScaledObject CRD). */
  readonly dependsOn: ITerraformDependable[];
}

/** Serving pieces of the ML stack (issue 15): vLLM behind the router, and the Ray templates with their S3 role. */
export class MlServing extends Construct {
  readonly llm?: LlmServing;
  readonly rayRole?: IrsaRole;
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
      const namespace = "ray";
      const serviceAccount = "ray-workloads";
      // IRSA, not Pod Identity: Ray's images are built against its compiled constraints (python/requirements_compiled.txt:
      // boto3 1.29.7, botocore 1.32.7), older than the Pod Identity minimum (boto3 1.34.41), and Ray Train checkpoints
      // through pyarrow's S3 filesystem, whose bundled AWS SDK for C++ did not pick up Pod Identity (apache/arrow#45603).
      // Both read a web-identity token, as Triton does.
      this.rayRole = new IrsaRole(this, "ray-role", {
        cluster: props.cluster,
        namespace,
        serviceAccount,
        roleName: `${props.prefix}-ray`,
        description: "Ray clusters and jobs: checkpoints and results under ray/ of the pipelines bucket",
      });
      props.dataStores.grantRayStorageReadWrite(this.rayRole);
      this.rayTemplates = new ManifestsRelease(this, "ray-templates", { releaseName: "ray-templates", namespace, dependsOn: this.rayRole.dependables() });
      this.rayTemplates.add({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: serviceAccount, namespace, labels: { "app.kubernetes.io/part-of": "ml-platform" }, annotations: this.rayRole.annotation() },
      });
      this.rayTemplates.add(rayTemplatesConfigMap(rayShape(env, props.dataStores.rayStorageUri, namespace, serviceAccount)));
      // Every Ray pod KubeRay 1.7.0 makes carries `ray.io/is-ray-node: yes` and a `metrics` port (8080) it adds itself.
      this.rayTemplates.add(podMonitor({ name: "ray", namespace, matchLabels: { "ray.io/is-ray-node": "yes" }, endpoints: [{ port: "metrics", interval: "30s" }] }));
    }
  }
}
