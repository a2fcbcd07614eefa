import { stringify } from "yaml";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";

/**
 * Ray templates the platform ships (ray.io/v1, KubeRay 1.7.0): a RayCluster on the GPU training pool, a RayJob for
 * distributed training with checkpoints to S3, a RayService for Ray Serve on the inference pool. Each is built by one
 * function from a {@link RayShape}, so the tenancy and resilience work can add Kueue queue labels and checkpoint volume
 * mounts in one place. They are shipped as YAML in a ConfigMap labelled `ml-platform.io/template` (users copy and
 * apply them); the deploy walk follows their pods to the pools.
 *
 * Images: Ray 2.52.0, the version KubeRay 1.7.0's samples run (ray-operator/config/samples at v1.7.0), the Python
 * 3.12 CPU image for heads and its `-gpu` (CUDA) variant for GPU workers.
 * @see https://hub.docker.com/r/rayproject/ray/tags
 */
export const RAY_VERSION = "2.52.0";
export const RAY_IMAGE = `rayproject/ray:${RAY_VERSION}-py312`;
export const RAY_GPU_IMAGE = `rayproject/ray:${RAY_VERSION}-py312-gpu`;

/** Label marking a ConfigMap of workload templates (the deploy walk reads them). */
export const TEMPLATE_LABEL = "ml-platform.io/template";

/** Where and how big the pods of a group are. */
export interface RayGroupShape {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: ReadonlyArray<Record<string, string>>;
  readonly cpu: string;
  readonly memory: string;
  /** Whole GPUs per pod. @default 0 */
  readonly gpus?: number;
  /** EFA interfaces per pod (the EFA pool). @default 0 */
  readonly efaInterfaces?: number;
}

/** What the templates are built from. */
export interface RayShape {
  readonly namespace: string;
  /** Service account bound to the Ray Pod Identity role (S3 for checkpoints and data). */
  readonly serviceAccount: string;
  readonly region: string;
  /** `s3://<bucket>/ray`: checkpoints and results (Ray Train `storage_path`). */
  readonly storageUri: string;
  readonly head: RayGroupShape;
  readonly trainingWorkers: RayGroupShape;
  readonly servingWorkers: RayGroupShape;
  readonly maxWorkers: number;
  /**
   * Retries of a failed RayJob (its `backoffLimit`), the environment's `resilience.checkpoints.maxRestarts`: each retry
   * is a new cluster that resumes from the last checkpoint under `RAY_STORAGE_URI`/<RayJob name> (Ray Train's
   * `TorchTrainer.can_restore`/`restore`; docs/resilience.md).
   */
  readonly maxRestarts: number;
}

function container(name: string, image: string, g: RayGroupShape, env: Array<Record<string, string>>, ports: Array<Record<string, unknown>> = []): Record<string, unknown> {
  const extended: Record<string, string> = {};
  if (g.gpus) extended["nvidia.com/gpu"] = String(g.gpus);
  if (g.efaInterfaces) extended["vpc.amazonaws.com/efa"] = String(g.efaInterfaces);
  return {
    name,
    image,
    imagePullPolicy: "IfNotPresent",
    env,
    ...(ports.length ? { ports } : {}),
    resources: { requests: { cpu: g.cpu, memory: g.memory, ...extended }, limits: { memory: g.memory, ...extended } },
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: "dshm", mountPath: "/dev/shm" }],
  };
}

function podTemplate(s: RayShape, g: RayGroupShape, c: Record<string, unknown>): Record<string, unknown> {
  return {
    spec: {
      serviceAccountName: s.serviceAccount,
      nodeSelector: { ...g.nodeSelector },
      tolerations: g.tolerations.map((t) => ({ ...t })),
      // Ray images run as the `ray` user (UID 1000).
      securityContext: restrictedPodSecurityContext(),
      containers: [c],
      // Ray's object store lives in /dev/shm.
      volumes: [{ name: "dshm", emptyDir: { medium: "Memory" } }],
    },
  };
}

const env = (s: RayShape) => [
  { name: "AWS_REGION", value: s.region },
  { name: "AWS_DEFAULT_REGION", value: s.region },
  { name: "RAY_STORAGE_URI", value: s.storageUri },
];

const HEAD_PORTS = [
  { name: "gcs", containerPort: 6379 },
  { name: "dashboard", containerPort: 8265 },
  { name: "client", containerPort: 10001 },
  { name: "serve", containerPort: 8000 },
  { name: "metrics", containerPort: 8080 },
];

/** The `RayClusterSpec` both the RayCluster and the RayJob use; `workers` picks the worker group. */
function clusterSpec(s: RayShape, workers: RayGroupShape, groupName: string, minReplicas: number): Record<string, unknown> {
  const workerImage = workers.gpus ? RAY_GPU_IMAGE : RAY_IMAGE;
  return {
    rayVersion: RAY_VERSION,
    enableInTreeAutoscaling: true,
    headGroupSpec: {
      // No GPU work on the head: it schedules, it does not compute.
      rayStartParams: { "num-gpus": "0", "dashboard-host": "0.0.0.0" },
      template: podTemplate(s, s.head, container("ray-head", RAY_IMAGE, s.head, env(s), HEAD_PORTS)),
    },
    workerGroupSpecs: [
      {
        groupName,
        replicas: minReplicas,
        minReplicas,
        maxReplicas: s.maxWorkers,
        rayStartParams: {},
        template: podTemplate(s, workers, container("ray-worker", workerImage, workers, env(s))),
      },
    ],
  };
}

/** A RayCluster of GPU workers on the training pool (interactive work, tuning), autoscaled from zero workers. */
export function rayClusterTemplate(s: RayShape): KubernetesObject {
  return { apiVersion: "ray.io/v1", kind: "RayCluster", metadata: { name: "gpu-cluster", namespace: s.namespace }, spec: clusterSpec(s, s.trainingWorkers, "gpu-workers", 0) };
}

/** A RayJob for distributed training: its own cluster, checkpoints under `RAY_STORAGE_URI`, deleted when done. */
export function rayJobTemplate(s: RayShape): KubernetesObject {
  return {
    apiVersion: "ray.io/v1",
    kind: "RayJob",
    metadata: { name: "distributed-training", namespace: s.namespace },
    spec: {
      // Replace with the training entrypoint; Ray Train's RunConfig(storage_path=os.environ["RAY_STORAGE_URI"]) checkpoints to S3.
      entrypoint: "python -c \"import os, ray; ray.init(); print(ray.cluster_resources(), os.environ['RAY_STORAGE_URI'])\"",
      shutdownAfterJobFinishes: true,
      ttlSecondsAfterFinished: 3600,
      backoffLimit: s.maxRestarts,
      rayClusterSpec: clusterSpec(s, s.trainingWorkers, "gpu-workers", s.maxWorkers),
    },
  };
}

/** The Serve application of KubeRay's RayService sample at v1.7.0 (code at a pinned commit of ray-project/test_dag). */
const SMOKE_TEST_APP = {
  name: "fruit_app",
  import_path: "fruit.deployment_graph",
  route_prefix: "/fruit",
  runtime_env: { working_dir: "https://github.com/ray-project/test_dag/archive/78b4a5da38796123d9f9ffff59bab2792a043e95.zip" },
  deployments: [
    { name: "MangoStand", num_replicas: 1, user_config: { price: 3 }, ray_actor_options: { num_cpus: 0.1 } },
    { name: "OrangeStand", num_replicas: 1, user_config: { price: 2 }, ray_actor_options: { num_cpus: 0.1 } },
    { name: "PearStand", num_replicas: 1, user_config: { price: 1 }, ray_actor_options: { num_cpus: 0.1 } },
    { name: "FruitMarket", num_replicas: 1, ray_actor_options: { num_cpus: 0.1 } },
  ],
};

/** A RayService for Ray Serve on the inference pool (GPU replicas scale with Serve's autoscaler). */
export function rayServiceTemplate(s: RayShape): KubernetesObject {
  return {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: { name: "serve", namespace: s.namespace },
    spec: {
      // KubeRay 1.7.0's sample application (ray-service.sample.yaml), runnable as a smoke test of the pool, the Serve
      // controller and the route; replace it with the model's application (`ray_actor_options.num_gpus` per replica).
      serveConfigV2: stringify({ applications: [SMOKE_TEST_APP] }),
      rayClusterConfig: clusterSpec(s, s.servingWorkers, "serve-workers", 1),
    },
  };
}

/** The ConfigMap shipping the three templates. */
export function rayTemplatesConfigMap(s: RayShape): KubernetesObject {
  const yaml = (o: unknown) => stringify(o, { sortMapEntries: false, lineWidth: 0 });
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "ray-templates", namespace: s.namespace, labels: { [TEMPLATE_LABEL]: "ray" } },
    data: { "raycluster.yaml": yaml(rayClusterTemplate(s)), "rayjob.yaml": yaml(rayJobTemplate(s)), "rayservice.yaml": yaml(rayServiceTemplate(s)) },
  };
}
