import type { KubernetesObject } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { dcgmExporterSelector, KARPENTER_METRICS, type DcgmExporterTarget, type KarpenterTarget } from "./targets";

/**
 * ServiceMonitors for the platform components the observability stack owns the scraping of. They live in the
 * monitoring namespace (created with the stack) and select their Services in the components' namespaces, so they
 * can be applied before or after the components themselves. Triton, Feast, MLflow, KEDA and Kubeflow bring their
 * own monitors (ML services stack); the device plugins expose no metrics (see DEVICE_PLUGINS_WITHOUT_METRICS).
 */
export function platformServiceMonitors(namespace: string, labels: Record<string, string>, targets: { readonly dcgmExporter: DcgmExporterTarget; readonly karpenter: KarpenterTarget }): KubernetesObject[] {
  const dcgm = targets.dcgmExporter;
  return [
    serviceMonitor({
      name: "dcgm-exporter",
      namespace,
      targetNamespace: dcgm.namespace,
      matchLabels: dcgmExporterSelector(dcgm),
      labels,
      endpoints: [
        {
          port: dcgm.metricsPortName,
          path: "/metrics",
          interval: "15s",
          // DCGM labels series with the GPU's pod and namespace (kept as exported_pod/exported_namespace, since the
          // target's own pod/namespace labels win); `node` names the GPU's node for joins with kube-state-metrics.
          relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node", action: "replace" }],
        },
      ],
    }),
    serviceMonitor({
      name: "karpenter",
      namespace,
      targetNamespace: targets.karpenter.namespace,
      matchLabels: { ...KARPENTER_METRICS.selector },
      labels,
      endpoints: [{ port: KARPENTER_METRICS.port, path: KARPENTER_METRICS.path, interval: "30s" }],
    }),
  ];
}
