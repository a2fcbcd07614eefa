import { Construct } from "constructs";
import { allOfTerms, copyTolerations, type NodeSelectorTerm } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";
import type { RemoteEngineValues } from "../resilience/dcgm-host-engine";

/** The required node-affinity terms of a pod-spec `affinity`, as the deploy walk reads them. */
function requiredTerms(affinity: Record<string, unknown>): NodeSelectorTerm[] {
  const node = affinity.nodeAffinity as { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } | undefined;
  return node?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

/** NVIDIA DCGM exporter chart, pinned. */
export const DCGM_EXPORTER_CHART: ChartRef = { repository: "https://nvidia.github.io/dcgm-exporter/helm-charts", chart: "dcgm-exporter", version: "4.8.2" };

export interface DcgmExporterProps {
  /** @default "kube-system" */
  readonly namespace?: string;
  /** Labels GPU nodes carry. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations for every taint GPU nodes carry. */
  readonly tolerations: readonly PodToleration[];
  /**
   * Chart values that make the exporter a client of the node's DCGM host engine (`arguments`, `extraEnv`, `affinity`;
   * constructs/resilience/dcgm-host-engine.ts) instead of starting an embedded one. @default - embedded host engine
   */
  readonly remoteHostEngine?: RemoteEngineValues;
  /**
   * Required node affinity besides the node selector: with MIG pools, the exporter (which holds the GPUs open) waits
   * on MIG nodes until mig-manager has made the slices (constructs/serving/gpu-sharing.ts). @default - none
   */
  readonly affinity?: readonly NodeSelectorTerm[];
}

/**
 * The DCGM exporter DaemonSet (GPU utilisation, memory, XID errors, NVLink) with its metrics Service on
 * port 9400. The chart's own ServiceMonitor is disabled: it needs the Prometheus Operator CRDs, and the
 * observability stack creates every ServiceMonitor after kube-prometheus-stack is installed (select the
 * Service by `app.kubernetes.io/name: dcgm-exporter` in `namespace`).
 * @see https://github.com/NVIDIA/dcgm-exporter/tree/4.5.3-4.8.2/deployment
 */
export class DcgmExporter extends Construct {
  readonly chart: HelmChart;
  readonly namespace: string;
  readonly releaseName = "dcgm-exporter";
  /** Port of the metrics Service. */
  readonly metricsPort = 9400;
  /** Name of the metrics port on the Service (for a ServiceMonitor endpoint). */
  readonly metricsPortName = "metrics";
  /** Labels of the metrics Service (for a ServiceMonitor selector). */
  readonly serviceLabels: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "dcgm-exporter" };

  constructor(scope: Construct, id: string, props: DcgmExporterProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "kube-system";
    // Both constraints hold: the host engine's nodes, and (with MIG) nodes whose slices are made.
    const terms = allOfTerms(props.remoteHostEngine ? requiredTerms(props.remoteHostEngine.affinity) : [], props.affinity);
    const affinity = terms.length ? terms : undefined;
    this.chart = new HelmChart(this, "chart", {
      chart: DCGM_EXPORTER_CHART,
      releaseName: this.releaseName,
      namespace: this.namespace,
      createNamespace: false,
      values: {
        serviceMonitor: { enabled: false },
        nodeSelector: { ...props.nodeSelector },
        tolerations: props.tolerations.map((t) => ({ ...t })),
        ...(props.remoteHostEngine ? { arguments: [...props.remoteHostEngine.arguments], extraEnv: structuredClone(props.remoteHostEngine.extraEnv) } : {}),
        ...(affinity ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: structuredClone(affinity) } } } } : {}),
      },
      footprint: {
        // Requests are the chart's defaults (values.yaml resources.requests: 100m, 128Mi).
        pods: [
          {
            name: "dcgm-exporter",
            kind: "DaemonSet",
            requests: { cpu: "100m", memory: "128Mi" },
            nodeSelector: { ...props.nodeSelector },
            tolerations: copyTolerations(props.tolerations),
            ...(affinity ? { requiredNodeAffinity: structuredClone(affinity) } : {}),
          },
        ],
        source: "dcgm-exporter chart 4.8.2 values.yaml (resources.requests)",
      },
    });
  }
}
