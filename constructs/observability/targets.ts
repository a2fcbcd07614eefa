import type { ChartRef } from "../kubernetes/helm-chart";
import { GPU_EFA_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, NODEPOOL_LABEL } from "../ml/gpu-scheduling";

/**
 * Names the observability stack shares with other components: where the monitoring stack lives, and the scrape
 * targets other work streams deploy (DCGM exporter, Karpenter, Triton). The target names are derived from each
 * chart's templates at the pinned version (cited per constant); the release names and namespaces of components
 * installed elsewhere are assumptions to align at merge.
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

/**
 * The DCGM exporter (chart dcgm-exporter 4.8.2, deployed by the GPU compute work with its own ServiceMonitor off).
 * Service `<fullname>` with port `metrics` (9400); selector labels `app.kubernetes.io/name: dcgm-exporter` and
 * `app.kubernetes.io/instance: <release>` (deployment/templates/service.yaml and _helpers.tpl at tag 4.5.3-4.8.2).
 * ASSUMED: release `dcgm-exporter` in namespace `gpu-operator`.
 */
export const DCGM_EXPORTER = {
  namespace: "gpu-operator",
  release: "dcgm-exporter",
  port: "metrics",
  path: "/metrics",
  selector: { "app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "dcgm-exporter" },
} as const;

/**
 * Karpenter (chart karpenter 1.14.1): Service `<fullname>` with port `http-metrics` (controller.metrics.port 8080),
 * selector labels `app.kubernetes.io/name: karpenter`, `app.kubernetes.io/instance: <release>`
 * (charts/karpenter/templates/service.yaml and _helpers.tpl at tag v1.14.1). ASSUMED: release `karpenter` in
 * namespace `kube-system` (the getting-started default).
 */
export const KARPENTER = {
  namespace: "kube-system",
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

/** NodePools that carry GPUs (names owned by the GPU compute work); monitoring never schedules there. */
export const GPU_NODEPOOLS: readonly string[] = [GPU_INFERENCE_POOL, GPU_TRAINING_POOL, GPU_EFA_POOL];

export { NODEPOOL_LABEL };
