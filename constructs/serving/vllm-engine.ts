import type { KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";
import type { PoolPlacement } from "../karpenter/pool-labels";

/**
 * vLLM's OpenAI-compatible server, v0.13.0: the release the production-stack router of vllm-stack 0.1.12 is built
 * against (production-stack pyproject.toml at tag vllm-stack-0.1.12: `vllm==0.13.0`).
 * @see https://github.com/vllm-project/vllm/releases/tag/v0.13.0
 * @see https://hub.docker.com/r/vllm/vllm-openai/tags
 */
export const VLLM_IMAGE = "vllm/vllm-openai:v0.13.0";

/** vLLM's HTTP port (OpenAI API, /health, /metrics). */
export const VLLM_PORT = 8000;

/** Labels the router selects engines by (`--k8s-label-selector`). */
export const ENGINE_LABELS = { "app.kubernetes.io/component": "vllm-engine", "app.kubernetes.io/part-of": "ml-platform" } as const;

/** One model's engine as the stack resolved it from the environment. */
export interface EngineSpec {
  /** Deployment, Service and service account name. */
  readonly name: string;
  readonly namespace: string;
  readonly modelId: string;
  /** `s3://<bucket>/llm-weights/<prefix>`. */
  readonly weightsUri: string;
  readonly serviceAccount: string;
  /** The pool the replicas run on, and the instance type within it. */
  readonly pool: PoolPlacement;
  readonly instanceType: string;
  /** Extended resource and count per replica (`nvidia.com/gpu`, or `nvidia.com/mig-1g.10gb` on a MIG mixed pool). */
  readonly gpuResource: string;
  readonly gpuCount: number;
  readonly tensorParallelSize: number;
  readonly maxModelLen: number;
  readonly gpuMemoryUtilization: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly shmGiB: number;
  readonly region: string;
}

/**
 * The Deployment and Service of one model. Weights are streamed from S3 by the Run:ai model streamer
 * (`--load-format runai_streamer` with an `s3://` model path; vllm-openai images install `runai-model-streamer[s3]`),
 * whose Python layer takes its credentials from a boto3 session (run-ai/runai-model-streamer#42), so Pod Identity
 * works with the image's boto3 (>= 1.34.41 is the Pod Identity minimum). Config and tokenizer files are fetched from
 * the same prefix; nothing is baked into the image and nothing goes through the public internet (the VPC has an S3
 * gateway endpoint).
 */
export function engineObjects(e: EngineSpec): KubernetesObject[] {
  const labels = { ...ENGINE_LABELS, "app.kubernetes.io/name": e.name, "app.kubernetes.io/instance": e.name };
  const selector = { "app.kubernetes.io/name": e.name, "app.kubernetes.io/component": ENGINE_LABELS["app.kubernetes.io/component"] };
  const shm = `${e.shmGiB}Gi`;
  // /dev/shm is memory-backed and counts against the container's memory limit.
  const memory = `${e.memoryGiB + e.shmGiB}Gi`;
  const gpus = { [e.gpuResource]: String(e.gpuCount) };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: e.serviceAccount, namespace: e.namespace, labels: { ...labels } }, automountServiceAccountToken: false },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: e.name, namespace: e.namespace, labels: { ...labels } },
      // No `replicas`: the HPA that KEDA creates owns the count (and may set it to zero in development).
      spec: {
        selector: { matchLabels: { ...selector } },
        // One GPU node per replica: surge would need a second node's worth of quota during every rollout.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            serviceAccountName: e.serviceAccount,
            nodeSelector: { ...e.pool.nodeSelector, "node.kubernetes.io/instance-type": e.instanceType },
            tolerations: e.pool.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined))),
            // No runtimeClassName: EKS AL2023 NVIDIA AMIs make the NVIDIA runtime containerd's default and define no RuntimeClass.
            terminationGracePeriodSeconds: 60,
            securityContext: restrictedPodSecurityContext(),
            containers: [
              {
                name: "vllm",
                image: VLLM_IMAGE,
                imagePullPolicy: "IfNotPresent",
                command: ["vllm", "serve"],
                args: [
                  e.weightsUri,
                  "--served-model-name",
                  e.modelId,
                  "--load-format",
                  "runai_streamer",
                  "--tensor-parallel-size",
                  String(e.tensorParallelSize),
                  "--max-model-len",
                  String(e.maxModelLen),
                  "--gpu-memory-utilization",
                  String(e.gpuMemoryUtilization),
                  "--host",
                  "0.0.0.0",
                  "--port",
                  String(VLLM_PORT),
                ],
                env: [
                  { name: "AWS_REGION", value: e.region },
                  { name: "AWS_DEFAULT_REGION", value: e.region },
                  // Non-root with a fixed UID: caches (torch.compile, Triton kernels, tokenizer files) go to an emptyDir.
                  { name: "HOME", value: "/home/vllm" },
                  { name: "XDG_CACHE_HOME", value: "/home/vllm/.cache" },
                  { name: "HF_HUB_OFFLINE", value: "1" },
                  { name: "VLLM_NO_USAGE_STATS", value: "1" },
                  { name: "DO_NOT_TRACK", value: "1" },
                ],
                ports: [{ name: "http", containerPort: VLLM_PORT, protocol: "TCP" }],
                // Loading streams the weights and compiles CUDA graphs: allow up to 30 minutes before liveness applies.
                startupProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 180 },
                livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
                readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                resources: { requests: { cpu: e.cpu, memory, ...gpus }, limits: { memory, ...gpus } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: "home", mountPath: "/home/vllm" },
                  { name: "tmp", mountPath: "/tmp" },
                  { name: "dshm", mountPath: "/dev/shm" },
                ],
              },
            ],
            volumes: [
              { name: "home", emptyDir: {} },
              { name: "tmp", emptyDir: {} },
              { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: shm } },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: e.name, namespace: e.namespace, labels: { ...labels } },
      spec: { type: "ClusterIP", selector: { ...selector }, ports: [{ name: "http", port: VLLM_PORT, targetPort: "http", protocol: "TCP" }] },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: e.name, namespace: e.namespace, labels: { ...labels } },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
    },
  ];
}
