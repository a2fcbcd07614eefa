import { Construct } from "constructs";
import { copyTolerations } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";

/** AWS EFA Kubernetes device plugin chart, pinned. */
export const EFA_DEVICE_PLUGIN_CHART: ChartRef = { repository: "https://aws.github.io/eks-charts", chart: "aws-efa-k8s-device-plugin", version: "v0.5.30" };

export interface EfaDevicePluginProps {
  /** @default "kube-system" */
  readonly namespace?: string;
  /** Labels only nodes with EFA interfaces attached carry. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations for the taints EFA nodes carry (the GPU taint among them). */
  readonly tolerations: readonly PodToleration[];
}

/**
 * The EFA device plugin DaemonSet, which advertises `vpc.amazonaws.com/efa`. It runs only on nodes that
 * really have EFA interfaces: on an EFA-capable type launched without them it fails with "No devices found",
 * so it selects the EFA pool's label rather than instance types.
 * @see https://github.com/aws/eks-charts/tree/master/stable/aws-efa-k8s-device-plugin
 */
export class EfaDevicePlugin extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: EfaDevicePluginProps) {
    super(scope, id);
    if (Object.keys(props.nodeSelector).length === 0) throw new Error("nodeSelector must select EFA nodes; the plugin fails on nodes without EFA devices");
    this.chart = new HelmChart(this, "chart", {
      chart: EFA_DEVICE_PLUGIN_CHART,
      releaseName: "aws-efa-k8s-device-plugin",
      namespace: props.namespace ?? "kube-system",
      createNamespace: false,
      values: {
        nodeSelector: { ...props.nodeSelector },
        tolerations: props.tolerations.map((t) => ({ ...t })),
        // The chart's values.yaml offers requests only (its limits are commented out).
        resources: { requests: { cpu: "10m", memory: "32Mi" } },
      },
      footprint: {
        advertises: ["vpc.amazonaws.com/efa"],
        pods: [{ name: "aws-efa-k8s-device-plugin", kind: "DaemonSet", requests: { cpu: "10m", memory: "32Mi" }, nodeSelector: { ...props.nodeSelector }, tolerations: copyTolerations(props.tolerations) }],
      },
    });
  }
}
