import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { JOBSET_NAME_LABEL, resumableFailurePolicy, withCheckpoints, type CheckpointMounts } from "../resilience/checkpoints";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";
import { efaEnv } from "./efa-environment";
import { EFA_RESOURCE, efaTrainingPlacement, GPU_RESOURCE, systemTolerations, trainingPlacement } from "./gpu-scheduling";

/**
 * Kubeflow Trainer v2 chart 2.3.0, with the JobSet 0.12.0 dependency the chart declares (`jobset.install`).
 * @see https://github.com/kubeflow/trainer/tree/v2.3.0/charts/kubeflow-trainer
 */
export const KUBEFLOW_TRAINER_CHART = { repository: "oci://ghcr.io/kubeflow/charts", chart: "kubeflow-trainer", version: "2.3.0" } as const;

/**
 * The PyTorch image of upstream's torch-distributed runtime at v2.3.0, which the CPU and GPU runtimes run. It has no
 * EFA user space: the EFA runtime runs images/torch-efa, built on it (constructs/ml/efa-images.ts).
 */
export const TORCH_IMAGE = "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime";

/**
 * HOME of the training containers, an emptyDir: the image's only user is root, so as UID 1000 pip falls back to
 * `--user` installs and torch/HF caches land here instead of failing on read-only or root-owned paths.
 */
export const TRAINER_HOME = "/home/trainer";

/** A GPU node shape that a training runtime requests per node. */
export interface TrainingNodeShape {
  readonly gpusPerNode: number;
}

/** The EFA pool: GPUs and EFA interfaces of its instance type, and every instance type it may launch. */
export interface EfaNodeShape extends TrainingNodeShape {
  readonly efaInterfacesPerNode: number;
  /** Decides FI_EFA_USE_DEVICE_RDMA (constructs/ml/efa-environment.ts). */
  readonly instanceTypes: readonly string[];
  /** The image with the EFA user space (`torchEfaImage`, images/torch-efa). */
  readonly image: string;
}

export interface KubeflowTrainerProps {
  /** The GPU training pool, when the environment has one. @default - no GPU training runtime */
  readonly trainingPool?: TrainingNodeShape;
  /** The EFA pool, when the environment has one. @default - no EFA runtime */
  readonly efaPool?: EfaNodeShape;
  /** @default "kubeflow-system" */
  readonly namespace?: string;
  /**
   * Resumable runtimes (constructs/resilience/checkpoints.ts): whole-job restarts up to `maxRestarts` (node loss not
   * counted) and, with `mounts`, the checkpoint and datasets volumes and their environment. @default - not resumable
   */
  readonly resumable?: { readonly maxRestarts: number; readonly mounts?: CheckpointMounts };
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Kubeflow Trainer v2 (TrainJob, TrainingRuntime, ClusterTrainingRuntime CRDs and controller) with JobSet, plus
 * ClusterTrainingRuntimes authored for this platform: `torch-distributed` (CPU pool), `torch-distributed-gpu` (GPU
 * training pool) and `torch-distributed-efa` (EFA pool, requests `vpc.amazonaws.com/efa`, runs the EFA image with the
 * settings of constructs/ml/efa-environment.ts). A TrainJob picks one with `runtimeRef` and may override resources per
 * node. The chart's own runtimes stay off: their installer Job downloads
 * kubectl at runtime. Every runtime runs restricted: UID 1000, RuntimeDefault seccomp, no privilege escalation, no
 * capabilities (GPUs and EFA interfaces reach the container as device nodes from the device plugins).
 */
export class KubeflowTrainer extends Construct {
  readonly chart: HelmChart;
  readonly runtimes: ManifestsRelease;
  readonly namespace: string;
  readonly runtimeNames: string[] = [];
  private readonly resumable?: KubeflowTrainerProps["resumable"];

  constructor(scope: Construct, id: string, props: KubeflowTrainerProps = {}) {
    super(scope, id);
    const ns = props.namespace ?? "kubeflow-system";
    this.namespace = ns;
    this.chart = new HelmChart(this, "chart", {
      chart: KUBEFLOW_TRAINER_CHART,
      releaseName: "kubeflow-trainer",
      namespace: ns,
      values: {
        crds: { enabled: true },
        jobset: { install: true },
        runtimes: { defaultEnabled: false },
        manager: { tolerations: systemTolerations(), resources: { requests: { cpu: "100m", memory: "256Mi" } } },
      },
      footprint: {
        crds: ["trainer.kubeflow.org/TrainJob", "trainer.kubeflow.org/TrainingRuntime", "trainer.kubeflow.org/ClusterTrainingRuntime", "jobset.x-k8s.io/JobSet"],
        pods: [
          { name: "kubeflow-trainer-controller-manager", kind: "Deployment", requests: { cpu: "100m", memory: "256Mi" }, tolerations: systemTolerations() },
          // The JobSet subchart's defaults: one replica, 500m/128Mi, no tolerations (so on the general pool).
          { name: "jobset-controller-manager", kind: "Deployment", requests: { cpu: "500m", memory: "128Mi" } },
        ],
        source: "jobset subchart: kubernetes-sigs/jobset v0.12.0 charts/jobset/values.yaml (controller.replicas, controller.resources)",
      },
      dependsOn: props.dependsOn,
    });

    this.resumable = props.resumable;
    this.runtimes = new ManifestsRelease(this, "runtimes", { releaseName: "training-runtimes", namespace: ns, dependsOn: [this.chart.release] });
    this.addRuntime("torch-distributed", { containerResources: {} });
    if (props.trainingPool) {
      this.addRuntime("torch-distributed-gpu", {
        ...trainingPlacement(),
        containerResources: { limits: { [GPU_RESOURCE]: String(props.trainingPool.gpusPerNode) } },
      });
    }
    if (props.efaPool) {
      this.addRuntime("torch-distributed-efa", {
        // The EFA pool carries the same labels as a Karpenter NodePool or as a managed node group.
        ...efaTrainingPlacement(),
        image: props.efaPool.image,
        containerResources: {
          limits: { [GPU_RESOURCE]: String(props.efaPool.gpusPerNode), [EFA_RESOURCE]: String(props.efaPool.efaInterfacesPerNode) },
        },
        env: efaEnv(props.efaPool.instanceTypes, "pytorch").map((e) => ({ ...e })),
      });
    }
    this.runtimes.add(
      serviceMonitor({
        name: "kubeflow-trainer-controller-manager",
        namespace: ns,
        matchLabels: { "app.kubernetes.io/name": "kubeflow-trainer", "app.kubernetes.io/instance": "kubeflow-trainer", "app.kubernetes.io/component": "manager" },
        // controller-runtime secure serving: HTTPS with a self-signed certificate, bearer token authorized by RBAC.
        endpoints: [{ port: "monitoring-port", kubernetesAuth: true }],
      }),
    );
  }

  private addRuntime(
    name: string,
    opts: { nodeSelector?: Record<string, string>; tolerations?: Array<Record<string, string>>; image?: string; containerResources: Record<string, unknown>; env?: Array<Record<string, string>> },
  ): void {
    const failure = this.resumable ? resumableFailurePolicy(this.resumable.maxRestarts) : undefined;
    let podSpec: Record<string, unknown> = {
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      ...failure?.podSpec,
      securityContext: restrictedPodSecurityContext(),
      containers: [
        {
          name: "node",
          image: opts.image ?? TORCH_IMAGE,
          env: [{ name: "HOME", value: TRAINER_HOME }, ...(opts.env ?? [])],
          resources: opts.containerResources,
          securityContext: restrictedContainerSecurityContext(),
          volumeMounts: [
            // NCCL and PyTorch DataLoader workers use shared memory; the default 64 MiB is too small.
            { name: "dshm", mountPath: "/dev/shm" },
            { name: "home", mountPath: TRAINER_HOME },
          ],
        },
      ],
      volumes: [
        { name: "dshm", emptyDir: { medium: "Memory" } },
        { name: "home", emptyDir: {} },
      ],
    };
    if (this.resumable?.mounts) podSpec = withCheckpoints(podSpec, this.resumable.mounts, { containers: ["node"], jobNameLabel: JOBSET_NAME_LABEL });
    const runtime: KubernetesObject = {
      apiVersion: "trainer.kubeflow.org/v1alpha1",
      kind: "ClusterTrainingRuntime",
      metadata: { name, labels: { "trainer.kubeflow.org/framework": "torch" } },
      spec: {
        mlPolicy: { numNodes: 1, torch: {} },
        template: {
          spec: {
            ...failure?.jobSetSpec,
            replicatedJobs: [
              {
                name: "node",
                template: {
                  metadata: { labels: { "trainer.kubeflow.org/trainjob-ancestor-step": "trainer" } },
                  spec: { ...failure?.jobSpec, template: { spec: podSpec } },
                },
              },
            ],
          },
        },
      },
    };
    this.runtimes.add(runtime);
    this.runtimeNames.push(name);
  }
}
