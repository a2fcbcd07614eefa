import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PodFootprint, ReleaseFootprint } from "../kubernetes/footprint";
import { HelmChart } from "../kubernetes/helm-chart";
import { alertmanagerConfig, receiverVolumes, type AlertReceiver } from "./alertmanager";
import { GRAFANA_ADMIN_KEYS } from "./grafana-admin";
import { nonGpuPlacement } from "./placement";
import { GRAFANA_DASHBOARD_LABEL, KUBE_PROMETHEUS_STACK_CHART, KUBE_PROMETHEUS_STACK_RELEASE, POOL_LABEL, PROMETHEUS_SERVICE_ACCOUNT } from "./targets";

/** Prometheus sizing (the environment's `observability.prometheus`). */
export interface PrometheusSettings {
  readonly retention: string;
  readonly volumeSizeGiB: number;
  readonly replicas: number;
  readonly memoryGiB: number;
  readonly scrapeInterval: string;
}

export interface KubePrometheusStackProps {
  readonly namespace: string;
  /** External labels on every series (`cluster`, `environment`), so remote-written data stays attributable. */
  readonly clusterName: string;
  readonly environment: string;
  readonly prometheus: PrometheusSettings;
  readonly alertmanagerReplicas: number;
  readonly receivers: readonly AlertReceiver[];
  /** StorageClass of the Prometheus and Alertmanager volumes (encrypted gp3). */
  readonly storageClassName: string;
  /** Kubernetes Secret with Grafana's admin user and password (synced by External Secrets). */
  readonly grafanaAdminSecretName: string;
  /** Namespace labels kube-state-metrics exports (`kube_namespace_labels{label_<key>}`), for cost allocation. */
  readonly namespaceLabelsAllowlist: readonly string[];
  /** A `remoteWrite` entry (Amazon Managed Service for Prometheus). @default - no remote write */
  readonly remoteWrite?: Record<string, unknown>;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** Node labels kube-state-metrics exports (`kube_node_labels{label_<key>}`), joined by the capacity rules. */
export const NODE_LABELS_ALLOWLIST = [
  POOL_LABEL,
  "karpenter.sh/nodepool",
  "karpenter.sh/capacity-type",
  "eks.amazonaws.com/capacityType",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/zone",
] as const;

/** Prometheus stops writing at this share of its volume (retentionSize), before the disk fills. */
export const RETENTION_SIZE_SHARE = 0.85;

const resources = (cpu: string, memory: string, memoryLimit = memory) => ({ requests: { cpu, memory }, limits: { memory: memoryLimit } });

/** Scheduling of one component, spread into its values: off GPU nodes, system node group preferred. */
function placed(): Record<string, unknown> {
  const p = nonGpuPlacement();
  return { tolerations: p.tolerations, affinity: p.affinity };
}

function volumeClaim(storageClassName: string, sizeGiB: number): Record<string, unknown> {
  return { volumeClaimTemplate: { spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${sizeGiB}Gi` } } } } };
}

/**
 * Values of kube-prometheus-stack for EKS: the control-plane components EKS hides (controller manager, scheduler,
 * etcd) are not scraped and their rules are off; Prometheus selects every ServiceMonitor, PodMonitor, Probe,
 * ScrapeConfig and PrometheusRule in the cluster (`*SelectorNilUsesHelmValues: false`); Prometheus and Alertmanager
 * keep data on encrypted gp3 volumes; Grafana's admin credential comes from an existing Secret; nothing runs on GPU
 * nodes except the node exporter, a per-node agent that must run everywhere.
 */
export function kubePrometheusStackValues(props: KubePrometheusStackProps): Record<string, unknown> {
  const prom = props.prometheus;
  const retentionGiB = Math.floor(prom.volumeSizeGiB * RETENTION_SIZE_SHARE);
  const volumes = receiverVolumes(props.receivers);
  return {
    crds: { enabled: true },
    defaultRules: {
      create: true,
      rules: { etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, windows: false },
    },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    prometheusOperator: {
      resources: resources("100m", "128Mi", "512Mi"),
      ...placed(),
      admissionWebhooks: { patch: { ...placed() } },
    },
    prometheus: {
      serviceAccount: { create: true, name: PROMETHEUS_SERVICE_ACCOUNT },
      prometheusSpec: {
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        replicas: prom.replicas,
        scrapeInterval: prom.scrapeInterval,
        evaluationInterval: "30s",
        retention: prom.retention,
        // Prometheus size units are powers of 1024 (GB = GiB).
        retentionSize: `${retentionGiB}GB`,
        externalLabels: { cluster: props.clusterName, environment: props.environment },
        resources: resources("500m", `${prom.memoryGiB}Gi`),
        storageSpec: volumeClaim(props.storageClassName, prom.volumeSizeGiB),
        ...placed(),
        ...(props.remoteWrite ? { remoteWrite: [props.remoteWrite] } : {}),
      },
    },
    alertmanager: {
      config: alertmanagerConfig(props.receivers),
      alertmanagerSpec: {
        replicas: props.alertmanagerReplicas,
        // Silences and notification state survive restarts.
        storage: volumeClaim(props.storageClassName, 2),
        resources: resources("50m", "128Mi", "256Mi"),
        ...placed(),
        volumes: volumes.volumes,
        volumeMounts: volumes.volumeMounts,
      },
    },
    grafana: {
      admin: { existingSecret: props.grafanaAdminSecretName, userKey: GRAFANA_ADMIN_KEYS.user, passwordKey: GRAFANA_ADMIN_KEYS.password },
      defaultDashboardsTimezone: "utc",
      sidecar: { dashboards: { enabled: true, label: GRAFANA_DASHBOARD_LABEL.key, labelValue: GRAFANA_DASHBOARD_LABEL.value, searchNamespace: "ALL" } },
      resources: resources("100m", "256Mi", "512Mi"),
      ...placed(),
    },
    "kube-state-metrics": {
      metricLabelsAllowlist: [`namespaces=[${props.namespaceLabelsAllowlist.join(",")}]`, `nodes=[${NODE_LABELS_ALLOWLIST.join(",")}]`],
      resources: resources("50m", "128Mi", "512Mi"),
      ...placed(),
    },
  };
}

/** Workload names of the release (`<release>-<component>` as the chart names them). */
const WORKLOADS = {
  operator: `${KUBE_PROMETHEUS_STACK_RELEASE}-operator`,
  prometheus: `prometheus-${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus`,
  alertmanager: `alertmanager-${KUBE_PROMETHEUS_STACK_RELEASE}-alertmanager`,
  grafana: `${KUBE_PROMETHEUS_STACK_RELEASE}-grafana`,
  kubeStateMetrics: `${KUBE_PROMETHEUS_STACK_RELEASE}-kube-state-metrics`,
  nodeExporter: `${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus-node-exporter`,
} as const;

/** What the release installs and runs, from the same settings as its values (requests, replicas, volumes, placement). */
export function kubePrometheusStackFootprint(props: KubePrometheusStackProps): ReleaseFootprint {
  const p = nonGpuPlacement();
  const placedPod = (name: string, kind: PodFootprint["kind"], cpu: string, memory: string, extra: Partial<PodFootprint> = {}): PodFootprint => ({
    name,
    kind,
    requests: { cpu, memory },
    tolerations: p.tolerations,
    requiredNodeAffinity: (p.affinity.nodeAffinity as { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: PodFootprint["requiredNodeAffinity"] } })
      .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ...extra,
  });
  const group = "monitoring.coreos.com";
  return {
    crds: ["Alertmanager", "AlertmanagerConfig", "PodMonitor", "Probe", "Prometheus", "PrometheusAgent", "PrometheusRule", "ScrapeConfig", "ServiceMonitor", "ThanosRuler"].map((k) => `${group}/${k}`),
    customResources: ["Prometheus", "Alertmanager", "ServiceMonitor", "PrometheusRule"].map((k) => `${group}/${k}`),
    serviceAccounts: [PROMETHEUS_SERVICE_ACCOUNT],
    pods: [
      placedPod(WORKLOADS.operator, "Deployment", "100m", "128Mi"),
      placedPod(WORKLOADS.prometheus, "StatefulSet", "500m", `${props.prometheus.memoryGiB}Gi`, {
        replicas: props.prometheus.replicas,
        serviceAccount: PROMETHEUS_SERVICE_ACCOUNT,
        volumeClaims: [{ storageClass: props.storageClassName, size: `${props.prometheus.volumeSizeGiB}Gi` }],
      }),
      placedPod(WORKLOADS.alertmanager, "StatefulSet", "50m", "128Mi", { replicas: props.alertmanagerReplicas, volumeClaims: [{ storageClass: props.storageClassName, size: "2Gi" }] }),
      placedPod(WORKLOADS.grafana, "Deployment", "100m", "256Mi", { secrets: [props.grafanaAdminSecretName] }),
      placedPod(WORKLOADS.kubeStateMetrics, "Deployment", "50m", "128Mi"),
      // The node exporter runs on every node (the subchart tolerates every NoSchedule taint) and sets no requests.
      { name: WORKLOADS.nodeExporter, kind: "DaemonSet", requests: { cpu: "0", memory: "0" }, tolerations: [{ operator: "Exists", effect: "NoSchedule" }] },
    ],
    source: "node exporter: prometheus-node-exporter subchart defaults (tolerations NoSchedule Exists, no resources)",
  };
}

/**
 * kube-prometheus-stack 88.5.3 (Prometheus Operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, node
 * exporter) configured for EKS; see `kubePrometheusStackValues`.
 */
export class KubePrometheusStack extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    this.chart = new HelmChart(this, "chart", {
      chart: KUBE_PROMETHEUS_STACK_CHART,
      releaseName: KUBE_PROMETHEUS_STACK_RELEASE,
      namespace: props.namespace,
      createNamespace: false,
      values: kubePrometheusStackValues(props),
      footprint: kubePrometheusStackFootprint(props),
      // CRDs, admission webhook jobs and volumes provisioned on first consumer take a while.
      timeoutSeconds: 900,
      dependsOn: props.dependsOn,
    });
  }
}
