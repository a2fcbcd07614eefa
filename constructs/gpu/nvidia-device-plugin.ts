import { Construct } from "constructs";
import { copyTolerations } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";

/** NVIDIA k8s-device-plugin chart, pinned. */
export const NVIDIA_DEVICE_PLUGIN_CHART: ChartRef = { repository: "https://nvidia.github.io/k8s-device-plugin", chart: "nvidia-device-plugin", version: "0.20.0" };

export interface NvidiaDevicePluginProps {
  /** @default "kube-system" */
  readonly namespace?: string;
  /** Tolerations for every taint GPU nodes carry. */
  readonly tolerations: readonly PodToleration[];
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
    this.chart = new HelmChart(this, "chart", {
      chart: NVIDIA_DEVICE_PLUGIN_CHART,
      releaseName: "nvidia-device-plugin",
      namespace: props.namespace ?? "kube-system",
      createNamespace: false,
      values: {
        mofedEnabled: false,
        tolerations: props.tolerations.map((t) => ({ ...t })),
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
      },
      footprint: {
        advertises: ["nvidia.com/gpu"],
        pods: [
          {
            name: "nvidia-device-plugin",
            kind: "DaemonSet",
            requests: { cpu: "10m", memory: "32Mi" },
            tolerations: copyTolerations(props.tolerations),
            // The chart's default affinity: NVIDIA PCI devices found by NFD, or the label AL2023 NVIDIA AMIs set.
            requiredNodeAffinity: [
              { matchExpressions: [{ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }] },
              { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] },
            ],
          },
        ],
      },
    });
  }
}
