import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { systemTolerations } from "./gpu-scheduling";

/**
 * KEDA chart 2.20.2 (app 2.20.2), the newest release in the research mirror (github.com/kedacore/charts tag v2.20.2).
 * @see https://kedacore.github.io/charts
 */
export const KEDA_CHART = { repository: "https://kedacore.github.io/charts", chart: "keda", version: "2.20.2" } as const;

export interface KedaProps {
  /** @default "keda" */
  readonly namespace?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * KEDA, the event-driven autoscaler that scales Triton on a Prometheus query (its ScaledObjects drive an HPA through
 * KEDA's external metrics API). Operator and metrics-server metrics are exposed on their Services' `metrics` ports
 * and scraped through ServiceMonitors authored here.
 */
export class Keda extends Construct {
  readonly chart: HelmChart;
  readonly monitors: ManifestsRelease;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: KedaProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? "keda";
    this.chart = new HelmChart(this, "chart", {
      chart: KEDA_CHART,
      releaseName: "keda",
      namespace: this.namespace,
      values: {
        crds: { install: true },
        operator: { replicaCount: 2, tolerations: systemTolerations() },
        metricsServer: { replicaCount: 2, tolerations: systemTolerations() },
        webhooks: { tolerations: systemTolerations() },
        podDisruptionBudget: { operator: { minAvailable: 1 }, metricServer: { minAvailable: 1 } },
        prometheus: {
          operator: { enabled: true, port: 8080 },
          metricServer: { enabled: true, port: 8080, portName: "metrics" },
        },
      },
      dependsOn: props.dependsOn,
    });
    this.monitors = new ManifestsRelease(this, "monitors", { releaseName: "keda-monitoring", namespace: this.namespace, dependsOn: [this.chart.release] });
    this.monitors.add(serviceMonitor({ name: "keda-operator", namespace: this.namespace, matchLabels: { "app.kubernetes.io/name": "keda-operator" }, endpoints: [{ port: "metrics" }] }));
    this.monitors.add(
      serviceMonitor({ name: "keda-operator-metrics-apiserver", namespace: this.namespace, matchLabels: { "app.kubernetes.io/name": "keda-operator-metrics-apiserver" }, endpoints: [{ port: "metrics" }] }),
    );
  }
}
