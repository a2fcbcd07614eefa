import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../kubernetes/helm-chart";
import { nonGpuPlacement } from "./placement";
import { OPENCOST_CHART, PROMETHEUS_PORT, PROMETHEUS_SERVICE } from "./targets";

export interface OpenCostProps {
  readonly namespace: string;
  /** Cluster id shown in OpenCost (the EKS cluster name). */
  readonly clusterId: string;
  /** Namespace of the in-cluster Prometheus OpenCost reads. */
  readonly prometheusNamespace: string;
  /** The kube-prometheus-stack release (ServiceMonitor CRD, Prometheus). */
  readonly dependsOn: ITerraformDependable[];
}

/** OpenCost values: read the platform's Prometheus, export its own metrics to it, stay off GPU nodes. */
export function openCostValues(props: Pick<OpenCostProps, "clusterId" | "prometheusNamespace">): Record<string, unknown> {
  const p = nonGpuPlacement();
  return {
    opencost: {
      exporter: { defaultClusterId: props.clusterId },
      prometheus: { internal: { enabled: true, serviceName: PROMETHEUS_SERVICE, namespaceName: props.prometheusNamespace, port: PROMETHEUS_PORT } },
      metrics: { serviceMonitor: { enabled: true } },
      // The MCP server is an extra API surface nobody here uses.
      mcp: { enabled: false },
      ui: { enabled: true },
      tolerations: p.tolerations,
      affinity: p.affinity,
    },
  };
}

/**
 * OpenCost 2.5.17 reading this Prometheus: cost per namespace, label (the `team` convention) and node, priced from
 * AWS's public On-Demand price list. Spot nodes are priced On-Demand unless the spot data feed is configured, and
 * no cloud bill is reconciled (no CUR integration): it is an allocation view, not an invoice.
 * @see https://www.opencost.io/docs/configuration/aws
 */
export class OpenCost extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: OpenCostProps) {
    super(scope, id);
    this.chart = new HelmChart(this, "chart", {
      chart: OPENCOST_CHART,
      releaseName: "opencost",
      namespace: props.namespace,
      createNamespace: false,
      values: openCostValues(props),
      footprint: {
        pods: [
          {
            name: "opencost",
            kind: "Deployment",
            // The chart's default requests of the exporter and UI containers (10m/55Mi each).
            requests: { cpu: "20m", memory: "110Mi" },
            tolerations: nonGpuPlacement().tolerations,
          },
        ],
        source: "opencost chart 2.5.17 values.yaml (opencost.exporter.resources, opencost.ui.resources)",
      },
      dependsOn: props.dependsOn,
    });
  }
}
