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

/** Requests of each KEDA pod: the chart's defaults. */
const KEDA_REQUESTS = { cpu: "100m", memory: "100Mi" } as const;

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
      footprint: {
        crds: ["keda.sh/ScaledObject", "keda.sh/ScaledJob", "keda.sh/TriggerAuthentication", "keda.sh/ClusterTriggerAuthentication"],
        pods: [
          { name: "keda-operator", kind: "Deployment", replicas: 2, requests: KEDA_REQUESTS, tolerations: systemTolerations() },
          { name: "keda-operator-metrics-apiserver", kind: "Deployment", replicas: 2, requests: KEDA_REQUESTS, tolerations: systemTolerations() },
          { name: "keda-admission-webhooks", kind: "Deployment", replicas: 1, requests: KEDA_REQUESTS, tolerations: systemTolerations() },
        ],
        source: "keda chart 2.20.2 values.yaml: resources.{operator,metricServer,webhooks}.requests 100m/100Mi, webhooks.replicaCount 1",
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
