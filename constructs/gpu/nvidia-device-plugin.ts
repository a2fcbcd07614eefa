import { Construct } from "constructs";
import { copyTolerations, type NodeSelectorTerm } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";

/** NVIDIA k8s-device-plugin chart, pinned. */
export const NVIDIA_DEVICE_PLUGIN_CHART: ChartRef = { repository: "https://nvidia.github.io/k8s-device-plugin", chart: "nvidia-device-plugin", version: "0.20.0" };

export interface NvidiaDevicePluginProps {
  /** @default "kube-system" */
  readonly namespace?: string;
  /** Tolerations for every taint GPU nodes carry. */
  readonly tolerations: readonly PodToleration[];
  /**
   * Per-node configurations for GPU sharing (constructs/serving/gpu-sharing.ts): named configs chosen by the node
   * label `nvidia.com/device-plugin.config`, the resources they advertise, and the node affinity that holds the
   * plugin off MIG nodes until their slices exist. @default - one configuration, whole GPUs, the chart's affinity
   */
  readonly sharing?: {
    readonly configs: { readonly map: Readonly<Record<string, string>>; readonly default: string };
    readonly advertises: readonly string[];
    readonly affinity: readonly NodeSelectorTerm[];
  };
}

/**
 * The NVIDIA device plugin DaemonSet, which advertises `nvidia.com/gpu` on GPU nodes (AL2023 NVIDIA AMIs ship
 * the driver and container toolkit but not the plugin). It schedules by the chart's default affinity
 * (`nvidia.com/gpu.present=true`, which the GPU pools label). `mofedEnabled` is set to false explicitly:
 * plugin 0.19.0-0.19.2 enabled MOFED by default, which conflicts with EFA.
 * @see https://github.com/NVIDIA/k8s-device-plugin/tree/v0.20.0/deployments/helm/nvidia-device-plugin
 */
export class NvidiaDevicePlugin extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: NvidiaDevicePluginProps) {
    super(scope, id);
    const sharing = props.sharing;
    // The chart's default affinity: NVIDIA PCI devices found by NFD, or the label AL2023 NVIDIA AMIs set.
    const defaultAffinity: NodeSelectorTerm[] = [
      { matchExpressions: [{ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }] },
      { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] },
    ];
    const affinity = sharing ? sharing.affinity.map((t) => structuredClone(t) as NodeSelectorTerm) : defaultAffinity;
    this.chart = new HelmChart(this, "chart", {
      chart: NVIDIA_DEVICE_PLUGIN_CHART,
      releaseName: "nvidia-device-plugin",
      namespace: props.namespace ?? "kube-system",
      createNamespace: false,
      values: {
        mofedEnabled: false,
        tolerations: props.tolerations.map((t) => ({ ...t })),
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
        ...(sharing
          ? {
              config: { map: { ...sharing.configs.map }, default: sharing.configs.default },
              affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: structuredClone(affinity) } } },
            }
          : {}),
      },
      footprint: {
        advertises: sharing ? [...sharing.advertises] : ["nvidia.com/gpu"],
        pods: [
          {
            name: "nvidia-device-plugin",
            kind: "DaemonSet",
            requests: { cpu: "10m", memory: "32Mi" },
            tolerations: copyTolerations(props.tolerations),
            requiredNodeAffinity: affinity,
          },
        ],
      },
    });
  }
}
