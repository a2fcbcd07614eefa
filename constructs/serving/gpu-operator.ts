import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { copyTolerations, type PodFootprint } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";
import { MIG_CAPABLE_LABEL } from "./gpu-sharing";

/**
 * NVIDIA GPU Operator v26.7.0. @see https://github.com/NVIDIA/gpu-operator/tree/v26.7.0/deployments/gpu-operator
 * Its ClusterPolicy images at that tag (values.yaml): mig-manager `nvcr.io/nvidia/cloud-native/k8s-mig-manager:v0.15.0`.
 */
export const GPU_OPERATOR_CHART: ChartRef = { repository: "https://helm.ngc.nvidia.com/nvidia", chart: "gpu-operator", version: "v26.7.0" };

/** The mig-manager image of gpu-operator v26.7.0 (values.yaml `migManager.{repository,image,version}`), pinned here. */
export const MIG_MANAGER_IMAGE = { repository: "nvcr.io/nvidia/cloud-native", image: "k8s-mig-manager", version: "v0.15.0" } as const;

/** Name of the ConfigMap holding the platform's mig-parted configuration. */
export const MIG_PARTED_CONFIG_MAP = "mig-parted-config";

export interface GpuOperatorProps {
  /** @default "gpu-operator" */
  readonly namespace?: string;
  /** mig-parted configuration (constructs/serving/gpu-sharing.ts migPartedConfig). */
  readonly migPartedConfig: string;
  /** Strategy the operator records for MIG (its own device plugin and GFD are off; kept consistent with the pools). */
  readonly migStrategy: "single" | "mixed";
  /** Where the operator and NFD's master and garbage collector run (the general pool). */
  readonly controllerPlacement: { readonly nodeSelector: Readonly<Record<string, string>>; readonly tolerations: readonly PodToleration[] };
  /** Every taint of GPU nodes: NFD's worker must label them all, or the operator marks them as having no GPU. */
  readonly gpuTolerations: readonly PodToleration[];
  readonly dependsOn?: ITerraformDependable[];
}

const OPERATOR_REQUESTS = { cpu: "200m", memory: "100Mi" } as const;
const NFD_MASTER_REQUESTS = { cpu: "100m", memory: "128Mi" } as const;
const NFD_GC_REQUESTS = { cpu: "10m", memory: "64Mi" } as const;
const NFD_WORKER_REQUESTS = { cpu: "5m", memory: "64Mi" } as const;
const MIG_MANAGER_REQUESTS = { cpu: "50m", memory: "128Mi" } as const;
const VALIDATOR_REQUESTS = { cpu: "10m", memory: "64Mi" } as const;

/**
 * The GPU Operator reduced to mig-manager, which creates the MIG instances of the MIG pools' GPUs before the
 * standalone device plugin advertises them. EKS AL2023 NVIDIA AMIs ship the driver and container toolkit, and the
 * platform runs its own device plugin, DCGM exporter (or the node monitoring agent's DCGM) and no GFD, so all of those
 * operands are off: one DCGM host engine per node, not two.
 *
 * What the operator does to nodes, read from its code at v26.7.0 (controllers/nodelabeling_controller.go,
 * state_manager.go): it treats as GPU nodes only nodes with NFD's NVIDIA PCI label and sets
 * `nvidia.com/gpu.present=false` on nodes that have the label `true` but no NFD label, which would take the device
 * plugin and DCGM exporter off them. So NFD runs (the chart's default) with a worker that tolerates every GPU taint.
 * Operands go to nodes the operator labels `nvidia.com/gpu.deploy.<operand>=true`; mig-manager only to nodes it
 * deems MIG-capable (`nvidia.com/mig.capable=true`, set by the MIG pools since GFD is off). Non-MIG GPU pools carry
 * `nvidia.com/gpu.deploy.operands=false`, which removes every operand (and the validator) from their nodes.
 */
export class GpuOperator extends Construct {
  readonly chart: HelmChart;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: GpuOperatorProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "gpu-operator";
    const placement = props.controllerPlacement;
    const controllerTolerations = copyTolerations(placement.tolerations);
    const gpuTolerations = copyTolerations(props.gpuTolerations);
    const resources = (r: { cpu: string; memory: string }) => ({ requests: { ...r }, limits: { memory: r.memory } });
    const migNodes = { [MIG_CAPABLE_LABEL]: "true" };
    const onMigNodes = (name: string, requests: { cpu: string; memory: string }): PodFootprint => ({
      name,
      kind: "DaemonSet",
      requests: { ...requests },
      tolerations: copyTolerations(gpuTolerations),
      // The operator schedules these by `nvidia.com/gpu.deploy.<operand>`, which it sets exactly on MIG-capable nodes.
      nodeSelector: { ...migNodes },
    });
    this.chart = new HelmChart(this, "chart", {
      chart: GPU_OPERATOR_CHART,
      releaseName: "gpu-operator",
      namespace: this.namespace,
      values: {
        nfd: { enabled: true },
        "node-feature-discovery": {
          master: { nodeSelector: { ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations), resources: resources(NFD_MASTER_REQUESTS) },
          gc: { nodeSelector: { ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations), resources: resources(NFD_GC_REQUESTS) },
          worker: { tolerations: copyTolerations(gpuTolerations), resources: resources(NFD_WORKER_REQUESTS) },
        },
        operator: { nodeSelector: { "kubernetes.io/os": "linux", ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations), resources: resources(OPERATOR_REQUESTS) },
        daemonsets: { tolerations: copyTolerations(gpuTolerations) },
        mig: { strategy: props.migStrategy },
        driver: { enabled: false },
        toolkit: { enabled: false },
        devicePlugin: { enabled: false },
        dcgm: { enabled: false },
        dcgmExporter: { enabled: false },
        gfd: { enabled: false },
        nodeStatusExporter: { enabled: false },
        vgpuDeviceManager: { enabled: false },
        vfioManager: { enabled: false },
        sandboxDevicePlugin: { enabled: false },
        kataSandboxDevicePlugin: { enabled: false },
        ccManager: { enabled: false },
        validator: { resources: resources(VALIDATOR_REQUESTS) },
        migManager: {
          enabled: true,
          ...MIG_MANAGER_IMAGE,
          resources: resources(MIG_MANAGER_REQUESTS),
          // The platform's layouts, not the configuration mig-manager would generate from each node's hardware.
          config: { name: MIG_PARTED_CONFIG_MAP, create: true, default: "all-disabled", data: { "config.yaml": props.migPartedConfig } },
        },
      },
      footprint: {
        crds: ["nvidia.com/ClusterPolicy", "nvidia.com/NVIDIADriver", "nfd.k8s-sigs.io/NodeFeature", "nfd.k8s-sigs.io/NodeFeatureRule", "nfd.k8s-sigs.io/NodeFeatureGroup"],
        customResources: ["nvidia.com/ClusterPolicy"],
        serviceAccounts: ["gpu-operator", "node-feature-discovery"],
        pods: [
          { name: "gpu-operator", kind: "Deployment", requests: { ...OPERATOR_REQUESTS }, nodeSelector: { "kubernetes.io/os": "linux", ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations), serviceAccount: "gpu-operator" },
          { name: "gpu-operator-node-feature-discovery-master", kind: "Deployment", requests: { ...NFD_MASTER_REQUESTS }, nodeSelector: { ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations) },
          { name: "gpu-operator-node-feature-discovery-gc", kind: "Deployment", requests: { ...NFD_GC_REQUESTS }, nodeSelector: { ...placement.nodeSelector }, tolerations: copyTolerations(controllerTolerations) },
          { name: "gpu-operator-node-feature-discovery-worker", kind: "DaemonSet", requests: { ...NFD_WORKER_REQUESTS }, tolerations: copyTolerations(gpuTolerations) },
          onMigNodes("nvidia-mig-manager", MIG_MANAGER_REQUESTS),
          onMigNodes("nvidia-operator-validator", VALIDATOR_REQUESTS),
        ],
        source: "gpu-operator v26.7.0: operator requests from values.yaml (operator.resources.requests 200m/100Mi); NFD, mig-manager and validator requests set in these values",
      },
      dependsOn: props.dependsOn,
    });
  }
}
