import { EFA_TRAINING_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, POOL_LABEL } from "../karpenter/pool-labels";
import type { ChartRef } from "../kubernetes/helm-chart";

/**
 * Names the observability stack shares with other components: where the monitoring stack lives, and how to reach
 * the scrape targets other parts of the platform deploy (DCGM exporter, Karpenter, Triton). Port names, paths and
 * selector labels are derived from each chart's templates at the pinned version (cited per constant); namespaces and
 * release names come from the constructs that install the components.
 */

/** Namespace of kube-prometheus-stack, the platform's monitors and rules, and the dashboards. */
export const MONITORING_NAMESPACE = "monitoring";

/** Release name; it contains the chart name, so the chart's fullname is the release name itself. */
export const KUBE_PROMETHEUS_STACK_RELEASE = "kube-prometheus-stack";

/**
 * kube-prometheus-stack 88.5.3 (Prometheus Operator v0.93.1; subcharts Grafana 12.11.1, kube-state-metrics 8.4.0,
 * prometheus-node-exporter 4.56.1).
 * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
 */
export const KUBE_PROMETHEUS_STACK_CHART: ChartRef = {
  repository: "https://prometheus-community.github.io/helm-charts",
  chart: "kube-prometheus-stack",
  version: "88.5.3",
};

/** OpenCost 2.5.17 (app 1.120.1). @see https://github.com/opencost/opencost-helm-chart */
export const OPENCOST_CHART: ChartRef = { repository: "https://opencost.github.io/opencost-helm-chart", chart: "opencost", version: "2.5.17" };

/** The Prometheus Service (`<fullname>-prometheus`) and its port. */
export const PROMETHEUS_SERVICE = `${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus`;
export const PROMETHEUS_PORT = 9090;

/** Prometheus inside the cluster; KEDA (Triton autoscaling) and OpenCost query it. */
export const PROMETHEUS_URL = `http://${PROMETHEUS_SERVICE}.${MONITORING_NAMESPACE}.svc:${PROMETHEUS_PORT}`;

/** Prometheus's service account; the AMP remote-write Pod Identity role is bound to it. */
export const PROMETHEUS_SERVICE_ACCOUNT = `${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus`;

/** Grafana Service (`<release>-grafana`, port 80). */
export const GRAFANA_SERVICE = `${KUBE_PROMETHEUS_STACK_RELEASE}-grafana`;

/** Kubernetes Secret holding Grafana's admin user and password (synced by External Secrets). */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

/** Label and value the Grafana dashboard sidecar selects ConfigMaps by (chart values `grafana.sidecar.dashboards`). */
export const GRAFANA_DASHBOARD_LABEL = { key: "grafana_dashboard", value: "1" } as const;

/** Where the DCGM exporter's metrics Service is (constructs/gpu/dcgm-exporter.ts provides these). */
export interface DcgmExporterTarget {
  readonly namespace: string;
  readonly releaseName: string;
  /** Name of the Service port (`metrics`, 9400, in deployment/templates/service.yaml of chart 4.8.2). */
  readonly metricsPortName: string;
}

/** Where the Karpenter controller runs (constructs/karpenter/karpenter.ts provides the namespace). */
export interface KarpenterTarget {
  readonly namespace: string;
}

/**
 * The DCGM exporter chart 4.8.2 labels its Service `app.kubernetes.io/name: dcgm-exporter` and
 * `app.kubernetes.io/instance: <release>` (selectorLabels in deployment/templates/_helpers.tpl at tag 4.5.3-4.8.2)
 * and serves `/metrics`.
 */
export function dcgmExporterSelector(target: DcgmExporterTarget): Record<string, string> {
  return { "app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": target.releaseName };
}

/**
 * Karpenter chart 1.14.1: Service `<fullname>` with port `http-metrics` (controller.metrics.port 8080) serving
 * `/metrics`, labelled `app.kubernetes.io/name: karpenter` and `app.kubernetes.io/instance: <release>`
 * (charts/karpenter/templates/service.yaml and _helpers.tpl at tag v1.14.1). The release is named `karpenter`
 * (constructs/karpenter/karpenter.ts).
 */
export const KARPENTER_METRICS = {
  release: "karpenter",
  port: "http-metrics",
  path: "/metrics",
  selector: { "app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter" },
} as const;

/**
 * Device plugins expose no metrics endpoint, so nothing scrapes them: the NVIDIA device plugin chart 0.20.0 declares
 * no container port and its binaries serve no /metrics (deployments/helm/nvidia-device-plugin/templates at v0.20.0),
 * and the aws-efa-k8s-device-plugin chart v0.5.30 declares none either (stable/aws-efa-k8s-device-plugin/templates).
 * GPU health comes from the DCGM exporter instead; EFA device allocation is visible in kube-state-metrics
 * (`kube_node_status_allocatable{resource="vpc_amazonaws_com_efa"}`).
 */
export const DEVICE_PLUGINS_WITHOUT_METRICS = ["nvidia-device-plugin", "aws-efa-k8s-device-plugin"] as const;

/**
 * Triton (ML services stack): Service `triton` in namespace `triton`, port `metrics` (8002), scraped by the ML
 * stack's ServiceMonitor. The p99 alert and the latency panels read Triton's latency summaries, which Triton only
 * publishes with these flags (docs/user_guide/metrics.md, "Summaries", release r26.08).
 */
export const TRITON = {
  namespace: "triton",
  service: "triton",
  port: "metrics",
  metricsArgs: ["--metrics-config=summary_latencies=true"],
} as const;

/** Pools whose nodes carry GPUs (constructs/karpenter/pool-labels.ts); monitoring never schedules there. */
export const GPU_POOLS: readonly string[] = [GPU_INFERENCE_POOL.name, GPU_TRAINING_POOL.name, EFA_TRAINING_POOL.name];

export { POOL_LABEL };
