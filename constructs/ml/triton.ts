import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { MODEL_REPOSITORY_PREFIX, type MlDataStores } from "../data/ml-data-stores";
import { IrsaRole, type IrsaCluster } from "../iam/irsa-role";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { TRITON as TRITON_OBSERVABILITY } from "../observability/targets";
import { GPU_RESOURCE } from "./gpu-scheduling";

/**
 * Triton Inference Server image, NGC release 26.08 (Triton 2.72.0), the release of NVIDIA's `r26.08` branch.
 * @see https://catalog.ngc.nvidia.com/orgs/nvidia/containers/tritonserver
 */
export const TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:26.08-py3";

/** Triton's fixed ports: KServe v2 HTTP/REST, gRPC, Prometheus metrics. */
export const TRITON_PORTS = { http: 8000, grpc: 8001, metrics: 8002 } as const;

/** Queue time per request in microseconds, averaged over all replicas (0 while idle). */
export function tritonQueueTimeQuery(namespace: string, service: string): string {
  const sel = `{namespace="${namespace}",service="${service}"}`;
  return `sum(rate(nv_inference_queue_duration_us${sel}[2m])) / (sum(rate(nv_inference_request_success${sel}[2m])) > 0) or vector(0)`;
}

export interface TritonProps {
  /** The cluster's OIDC provider: Triton reads S3 through IRSA (its AWS SDK for C++ predates Pod Identity). */
  readonly cluster: IrsaCluster;
  readonly dataStores: MlDataStores;
  readonly roleName: string;
  /** @default "triton" */
  readonly namespace?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** What one Triton container serves and how big it is. */
export interface TritonContainerProps {
  /** `--model-repository`: one model version's own prefix (may contain `$(VAR)` references to the container's env). */
  readonly repository: string;
  readonly region: string;
  readonly gpus: number;
  /** CPU request (Kubernetes quantity). */
  readonly cpu: string;
  readonly memoryGiB: number;
  /** Extra environment (the version, read from the pod's annotation). */
  readonly env: ReadonlyArray<Record<string, unknown>>;
  /** Sampled request tracing with tensors into `dir` (every `sampleEvery`-th request). */
  readonly trace: { readonly dir: string; readonly sampleEvery: number };
}

/** Traces per trace file: Triton writes `<file>.<n>` each time this many are collected (tracer.cc, log_frequency). */
export const TRACES_PER_FILE = 20;

/**
 * The Triton server container for one model version. The repository is that version's immutable prefix and the model
 * control mode `none`, so a pod serves exactly the version its template names and nothing copied to S3 later reaches
 * it; strict readiness keeps a pod whose model failed to load out of its Services (the Rollout then stops). Sampled
 * requests are traced with their input and output tensors (docs/user_guide/trace.md, r26.08) into a shared directory
 * the capture sidecar ships to S3.
 */
export function tritonContainer(p: TritonContainerProps): Record<string, unknown> {
  return {
    name: "tritonserver",
    image: TRITON_IMAGE,
    imagePullPolicy: "IfNotPresent",
    args: [
      "tritonserver",
      `--model-repository=${p.repository}`,
      "--model-control-mode=none",
      "--exit-on-error=false",
      "--strict-readiness=true",
      `--http-port=${TRITON_PORTS.http}`,
      `--grpc-port=${TRITON_PORTS.grpc}`,
      `--metrics-port=${TRITON_PORTS.metrics}`,
      "--allow-metrics=true",
      "--allow-gpu-metrics=true",
      // Latency summaries (p50/p99 per model), read by the canary analysis, the SLO alert and the dashboards.
      ...TRITON_OBSERVABILITY.metricsArgs,
      `--trace-config=triton,file=${p.trace.dir}/trace.json`,
      `--trace-config=triton,log-frequency=${TRACES_PER_FILE}`,
      `--trace-config=rate=${p.trace.sampleEvery}`,
      "--trace-config=level=TENSORS",
    ],
    env: [
      // The AWS SDK's default chain picks up the IRSA credentials; the region of the bucket is explicit.
      { name: "AWS_REGION", value: p.region },
      { name: "AWS_DEFAULT_REGION", value: p.region },
      ...p.env.map((e) => ({ ...e })),
    ],
    ports: [
      { name: "http", containerPort: TRITON_PORTS.http, protocol: "TCP" },
      { name: "grpc", containerPort: TRITON_PORTS.grpc, protocol: "TCP" },
      { name: "metrics", containerPort: TRITON_PORTS.metrics, protocol: "TCP" },
    ],
    startupProbe: { httpGet: { path: "/v2/health/live", port: "http" }, periodSeconds: 10, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: "/v2/health/live", port: "http" }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
    readinessProbe: { httpGet: { path: "/v2/health/ready", port: "http" }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    resources: {
      requests: { cpu: p.cpu, memory: `${p.memoryGiB}Gi`, [GPU_RESOURCE]: String(p.gpus) },
      limits: { memory: `${p.memoryGiB}Gi`, [GPU_RESOURCE]: String(p.gpus) },
    },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    volumeMounts: [
      // Triton downloads the S3 repository into a local temporary directory before loading.
      { name: "tmp", mountPath: "/tmp" },
      // Python backend stubs exchange tensors through shared memory.
      { name: "dshm", mountPath: "/dev/shm" },
      { name: "traces", mountPath: p.trace.dir },
    ],
  };
}

/**
 * What every Triton server of the environment shares: its namespace and service account with a read-only IRSA role on
 * the model repository prefix (Triton 26.08's AWS SDK for C++ 1.11.60 predates EKS Pod Identity, which needs 1.11.263),
 * which may also write sampled requests under `inference_log/`. The servers themselves are one Argo Rollout per model
 * (constructs/delivery/model-rollout.ts), each pinned to one version's immutable prefix.
 */
export class Triton extends Construct {
  readonly role: IrsaRole;
  readonly release: ManifestsRelease;
  readonly namespace: string;
  readonly serviceAccount = "triton";
  readonly modelRepositoryUri: string;

  constructor(scope: Construct, id: string, props: TritonProps) {
    super(scope, id);
    const ns = props.namespace ?? "triton";
    this.namespace = ns;
    this.modelRepositoryUri = props.dataStores.modelRepositoryUri;

    this.role = new IrsaRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount: this.serviceAccount,
      roleName: props.roleName,
      description: "Triton Inference Server: read the S3 model repository prefix, write sampled requests",
    });
    props.dataStores.grantModelRepositoryRead(this.role);
    props.dataStores.grantInferenceLogWrite(this.role);

    // Explains the layout to whoever opens the prefix; Triton only loads the version prefixes it is pointed at.
    const readme = new S3Object(this, "repository-readme", {
      bucket: props.dataStores.tritonModels.bucketName,
      key: `${MODEL_REPOSITORY_PREFIX}/README.md`,
      content: [
        "# Triton model repository",
        "",
        "One immutable prefix per model version: `<model>/v<version>/<model>/config.pbtxt` and `<model>/v<version>/<model>/<version>/<files>`.",
        "Each Triton Rollout serves the one version its pod template names; the promotion job writes new versions (docs/delivery.md).",
        "Never change a published version in place: publish a new one.",
        "",
      ].join("\n"),
      contentType: "text/markdown",
    });

    const labels = { "app.kubernetes.io/name": "triton", "app.kubernetes.io/component": "inference-server", "app.kubernetes.io/part-of": "ml-platform" };
    this.release = new ManifestsRelease(this, "release", {
      releaseName: "triton",
      namespace: ns,
      dependsOn: [...(props.dependsOn ?? []), ...this.role.dependables(), readme],
    });
    // EKS's pod identity webhook mounts a web-identity token for the annotated role (independent of automount).
    this.release.add({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: this.serviceAccount, namespace: ns, labels, annotations: this.role.annotation() }, automountServiceAccountToken: false });
  }
}
