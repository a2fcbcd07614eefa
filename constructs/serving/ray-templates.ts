import { stringify } from "yaml";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";
import { CHECKPOINT_MOUNT, RAYJOB_NAME_LABEL, withCheckpoints, type CheckpointMounts } from "../resilience/checkpoints";
import { CHECKPOINT_RUNS_DIR } from "../resilience/training-storage-layout";

/**
 * Ray templates the platform ships (ray.io/v1, KubeRay 1.7.0), each built by one function:
 * - training (RayJob `distributed-training`, RayCluster `gpu-cluster` for interactive work), shipped in every team
 *   namespace (stacks/teams/ray-templates.ts): queued through the team's LocalQueue, fixed worker replicas (Kueue
 *   admits the gang at once), the training claims mounted through `withCheckpoints`, the team's service account;
 * - serving (RayService `serve`), shipped in the platform namespace `ray` (stacks/ml/serving.ts): Ray Serve on the
 *   inference pool, autoscaled by Ray, outside the queues like the other serving workloads.
 * They are YAML in a ConfigMap labelled `ml-platform.io/template` (users copy and apply them); the deploy walk follows
 * their pods to the pools, claims and queues.
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
/** Kueue's queue label (Kueue 0.19.2 reads the label; the annotation is gone). */
export const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";
/**
 * Ray Train's storage path (`RunConfig(storage_path=...)`): Ray 2.52 reads no environment variable for it (its default
 * is ~/ray_results), so the templates set this one for the entrypoint to pass; with `name=$TRAINING_JOB_NAME` the run
 * lands in CHECKPOINT_DIR.
 */
export const RAY_STORAGE_PATH_ENV = "RAY_TRAIN_STORAGE_PATH";
/**
 * The AWS SDK a RayJob's runtime environment installs over the image's: Ray 2.52's images bundle boto3 1.29.7 (Ray's
 * compiled constraints), older than the first botocore with EKS Pod Identity credentials (1.34.41), so job code could
 * not use the team's Pod Identity role. Installed by Ray (pip, into the job's own virtualenv, from PyPI over the team
 * NetworkPolicy's HTTPS egress) when the job starts; pinned, never a range.
 */
export const RAY_JOB_PIP = ["boto3==1.35.99"] as const;

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
  /**
   * With EFA interfaces: the EFA-enabled Ray image (images/ray-efa, `rayEfaImage`) and its settings (`efaEnv(types,
   * "pytorch")`). `rayproject/ray:*-gpu` has neither libfabric nor aws-ofi-nccl, so NCCL would fall back to TCP.
   */
  readonly efa?: { readonly image: string; readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }> };
}

/** What the training templates of one namespace are built from. */
export interface RayTrainingShape {
  readonly namespace: string;
  /** The namespace's service account whose role the pods get (a team's `default`). */
  readonly serviceAccount: string;
  /** LocalQueue of the namespace the templates are queued in. */
  readonly queue: string;
  readonly head: RayGroupShape;
  readonly workers: RayGroupShape;
  /** Fixed worker replicas: the gang Kueue admits. */
  readonly workerReplicas: number;
  /** Retries of a failed RayJob (`backoffLimit`), the environment's `resilience.checkpoints.maxRestarts`. */
  readonly maxRestarts: number;
  /** The namespace's training claims; none where the environment has no training storage. */
  readonly mounts?: CheckpointMounts;
}

/** What the RayService is built from. */
export interface RayServeShape {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly head: RayGroupShape;
  readonly workers: RayGroupShape;
  /** Most Serve workers (Ray's autoscaler scales between one and this many). */
  readonly maxWorkers: number;
}

type Json = Record<string, unknown>;

const yaml = (o: unknown) => stringify(o, { sortMapEntries: false, lineWidth: 0 });

function imageOf(g: RayGroupShape): string {
  if (g.efaInterfaces) {
    if (!g.efa) throw new Error("Ray group with EFA interfaces needs the EFA image and settings (RayGroupShape.efa)");
    return g.efa.image;
  }
  return g.gpus ? RAY_GPU_IMAGE : RAY_IMAGE;
}

function container(name: string, g: RayGroupShape, ports: Json[] = []): Json {
  const extended: Record<string, string> = {};
  if (g.gpus) extended["nvidia.com/gpu"] = String(g.gpus);
  if (g.efaInterfaces) extended["vpc.amazonaws.com/efa"] = String(g.efaInterfaces);
  return {
    name,
    image: imageOf(g),
    imagePullPolicy: "IfNotPresent",
    ...(g.efaInterfaces && g.efa ? { env: g.efa.env.map((e) => ({ ...e })) } : {}),
    ...(ports.length ? { ports } : {}),
    resources: { requests: { cpu: g.cpu, memory: g.memory, ...extended }, limits: { memory: g.memory, ...extended } },
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: "dshm", mountPath: "/dev/shm" }],
  };
}

function podSpec(serviceAccount: string, g: RayGroupShape, c: Json): Json {
  return {
    serviceAccountName: serviceAccount,
    nodeSelector: { ...g.nodeSelector },
    tolerations: g.tolerations.map((t) => ({ ...t })),
    // Ray images run as the `ray` user (UID 1000).
    securityContext: restrictedPodSecurityContext(),
    containers: [c],
    // Ray's object store lives in /dev/shm.
    volumes: [{ name: "dshm", emptyDir: { medium: "Memory" } }],
  };
}

const HEAD_PORTS = [
  { name: "gcs", containerPort: 6379 },
  { name: "dashboard", containerPort: 8265 },
  { name: "client", containerPort: 10001 },
  { name: "serve", containerPort: 8000 },
  { name: "metrics", containerPort: 8080 },
];

// No GPU work on the head: it schedules, it does not compute.
const HEAD_START_PARAMS = { "num-gpus": "0", "dashboard-host": "0.0.0.0" };

/**
 * A training pod template: the claims and checkpoint environment of `withCheckpoints`, the job's name as a pod label
 * (KubeRay 1.7.0 labels a RayJob's pods with their RayCluster's name only, which changes on every retry), and Ray
 * Train's storage path on the claim, so `storage_path/<job name>` is CHECKPOINT_DIR.
 */
function trainingPod(s: RayTrainingShape, job: string, g: RayGroupShape, c: Json): Json {
  const spec = podSpec(s.serviceAccount, g, c);
  const name = c.name as string;
  const mounted = s.mounts ? withCheckpoints(spec, s.mounts, { containers: [name], jobNameLabel: RAYJOB_NAME_LABEL }) : spec;
  const storage = { name: RAY_STORAGE_PATH_ENV, value: `${CHECKPOINT_MOUNT}/${CHECKPOINT_RUNS_DIR}/$(POD_NAMESPACE)` };
  const containers = (mounted.containers as Json[]).map((x) => (s.mounts && x.name === name ? { ...x, env: [...(x.env as Json[]), storage] } : x));
  return { metadata: { labels: { [RAYJOB_NAME_LABEL]: job } }, spec: { ...mounted, containers } };
}

/** The RayClusterSpec of the training templates: fixed workers, no in-tree autoscaling (Kueue admits a fixed gang). */
function trainingClusterSpec(s: RayTrainingShape, job: string): Json {
  return {
    rayVersion: RAY_VERSION,
    enableInTreeAutoscaling: false,
    headGroupSpec: { rayStartParams: HEAD_START_PARAMS, template: trainingPod(s, job, s.head, container("ray-head", s.head, HEAD_PORTS)) },
    workerGroupSpecs: [
      {
        groupName: "gpu-workers",
        replicas: s.workerReplicas,
        minReplicas: s.workerReplicas,
        maxReplicas: s.workerReplicas,
        rayStartParams: {},
        template: trainingPod(s, job, s.workers, container("ray-worker", s.workers)),
      },
    ],
  };
}

const queued = (s: RayTrainingShape) => ({ [QUEUE_LABEL]: s.queue });

/** A RayCluster of GPU workers for interactive work and tuning, queued: Kueue admits it whole, it runs until deleted. */
export function rayClusterTemplate(s: RayTrainingShape): KubernetesObject {
  const name = "gpu-cluster";
  return { apiVersion: "ray.io/v1", kind: "RayCluster", metadata: { name, namespace: s.namespace, labels: queued(s) }, spec: trainingClusterSpec(s, name) };
}

/**
 * A RayJob for distributed training: its own cluster, deleted when the job ends (Kueue 0.19.2 refuses a queued RayJob
 * that keeps its cluster), retried `maxRestarts` times, each retry a new cluster resuming from CHECKPOINT_DIR.
 */
export function rayJobTemplate(s: RayTrainingShape): KubernetesObject {
  const name = "distributed-training";
  const storage = s.mounts ? `os.environ['${RAY_STORAGE_PATH_ENV}'], os.environ['TRAINING_JOB_NAME'], os.listdir(os.environ['CHECKPOINT_DIR'])` : "'no training storage'";
  return {
    apiVersion: "ray.io/v1",
    kind: "RayJob",
    metadata: { name, namespace: s.namespace, labels: queued(s) },
    spec: {
      // Replace with the training entrypoint: RunConfig(storage_path=os.environ["RAY_TRAIN_STORAGE_PATH"],
      // name=os.environ["TRAINING_JOB_NAME"]). This one proves the cluster, the claim and the checkpoint directory.
      // The caller identity proves the team's Pod Identity role reaches the job (sts:GetCallerIdentity needs no grant).
      entrypoint: `python -c "import os, boto3, ray; ray.init(); ${s.mounts ? "os.makedirs(os.environ['CHECKPOINT_DIR'], exist_ok=True); " : ""}print(ray.cluster_resources(), ${storage}, boto3.client('sts').get_caller_identity()['Arn'])"`,
      runtimeEnvYAML: stringify({ pip: [...RAY_JOB_PIP] }, { lineWidth: 0 }),
      shutdownAfterJobFinishes: true,
      ttlSecondsAfterFinished: 3600,
      backoffLimit: s.maxRestarts,
      rayClusterSpec: trainingClusterSpec(s, name),
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

/** A RayService for Ray Serve on the inference pool: one GPU worker up to `maxWorkers`, scaled by Ray's autoscaler. */
export function rayServiceTemplate(s: RayServeShape): KubernetesObject {
  return {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: { name: "serve", namespace: s.namespace },
    spec: {
      // KubeRay 1.7.0's sample application (ray-service.sample.yaml), runnable as a smoke test of the pool, the Serve
      // controller and the route; replace it with the model's application (`ray_actor_options.num_gpus` per replica).
      serveConfigV2: stringify({ applications: [SMOKE_TEST_APP] }),
      rayClusterConfig: {
        rayVersion: RAY_VERSION,
        enableInTreeAutoscaling: true,
        headGroupSpec: { rayStartParams: HEAD_START_PARAMS, template: { spec: podSpec(s.serviceAccount, s.head, container("ray-head", s.head, HEAD_PORTS)) } },
        workerGroupSpecs: [
          {
            groupName: "serve-workers",
            replicas: 1,
            minReplicas: 1,
            maxReplicas: s.maxWorkers,
            rayStartParams: {},
            template: { spec: podSpec(s.serviceAccount, s.workers, container("ray-worker", s.workers)) },
          },
        ],
      },
    },
  };
}

function templatesConfigMap(namespace: string, data: Record<string, KubernetesObject>): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "ray-templates", namespace, labels: { [TEMPLATE_LABEL]: "ray" } },
    data: Object.fromEntries(Object.entries(data).map(([file, o]) => [file, yaml(o)])),
  };
}

/** The ConfigMap `ray-templates` of a training namespace: the RayCluster and the RayJob. */
export function rayTrainingTemplatesConfigMap(s: RayTrainingShape): KubernetesObject {
  return templatesConfigMap(s.namespace, { "raycluster.yaml": rayClusterTemplate(s), "rayjob.yaml": rayJobTemplate(s) });
}

/** The ConfigMap `ray-templates` of the serving namespace: the RayService. */
export function rayServeTemplatesConfigMap(s: RayServeShape): KubernetesObject {
  return templatesConfigMap(s.namespace, { "rayservice.yaml": rayServiceTemplate(s) });
}
