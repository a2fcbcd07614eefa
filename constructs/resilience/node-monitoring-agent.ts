import { GPU_DAEMONSET_TOLERATIONS } from "../karpenter/pool-labels";
import { allOfTerms, type NodeSelectorTerm } from "../kubernetes/footprint";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { DCGM_HOST_ENGINE_INSTANCE_TYPES } from "./dcgm-host-engine";

/**
 * The EKS node monitoring agent (managed add-on `eks-node-monitoring-agent`): a privileged DaemonSet on every node that
 * turns kernel, container runtime, storage, networking (EFA counters included) and GPU faults into node conditions
 * (KernelReady, ContainerRuntimeReady, StorageReady, NetworkingReady, AcceleratedHardwareReady) that Karpenter's node
 * repair and managed node group auto repair act on, plus `dcgm-server`, the GPU nodes' DCGM host engine
 * (dcgm-host-engine.ts).
 * @see https://github.com/aws/eks-node-monitoring-agent/tree/v1.7.0/charts/eks-node-monitoring-agent
 */

export const NODE_MONITORING_AGENT_ADDON = "eks-node-monitoring-agent";

/**
 * Pinned add-on version: the chart 1.7.0 image tag (`nodeAgent.image.tag` v1.7.0-eksbuild.1), which is how EKS names
 * this add-on's versions. Check it in the region before deploying: `aws eks describe-addon-versions --addon-name
 * eks-node-monitoring-agent --kubernetes-version <version>`.
 */
export const NODE_MONITORING_AGENT_VERSION = "v1.7.0-eksbuild.1";

/** Port of the agent's metrics endpoint on the node (chart default `nodeAgent.additionalArgs: --metrics-address=:8003`; host network). */
export const NODE_MONITORING_AGENT_METRICS_PORT = 8003;

/** Labels of the agent's pods (chart `selectorLabels`: nameOverride eks-node-monitoring-agent). */
export const NODE_MONITORING_AGENT_LABELS = { "app.kubernetes.io/name": "eks-node-monitoring-agent" } as const;

/**
 * The add-on's configuration (validated against the add-on's configuration.schema.json in the tests). The DCGM agent
 * tolerates the GPU pools' taints: its default tolerations are none, so on this platform's GPU nodes (all tainted
 * `nvidia.com/gpu`) it would never run, and neither GPU health conditions nor the exporter's host engine would exist
 * (aws/containers-roadmap #2567). The node agent keeps its default (tolerate all).
 *
 * With `migReadiness` (the terms the device plugin and DCGM exporter wait on when the environment has a MIG pool,
 * serving's gpuClientAffinity) the DCGM agent waits too: a host engine started before mig-manager has made the slices
 * holds the GPUs open, and MIG mode cannot change while a process holds a GPU. Its affinity is then the chart's default
 * term ANDed with each readiness term (node selector terms are ORed, expressions within one ANDed).
 */
export function nodeMonitoringAgentConfiguration(opts: { migReadiness?: readonly NodeSelectorTerm[] } = {}): Record<string, unknown> {
  const dcgmAgent: Record<string, unknown> = { tolerations: GPU_DAEMONSET_TOLERATIONS.map((t) => ({ ...t })) };
  if (opts.migReadiness?.length) {
    dcgmAgent.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: dcgmServerAffinityTerms(opts.migReadiness) } } };
  }
  return { dcgmAgent };
}

/**
 * A PodMonitor for the agent's metrics (`problem_condition_count{severity, reason}` per condition reason, including
 * `EFAErrorMetric`, and `fatal_condition_gauge{type}`; pkg/manager/manager.go at v1.7.0). The agent uses the host network
 * and declares no container port, so the endpoint names the port number; `node` is copied from the pod's node for joins
 * with the node's pool.
 */
export function nodeMonitoringAgentPodMonitor(namespace: string, targetNamespace: string, labels: Record<string, string>): KubernetesObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: "eks-node-monitoring-agent", namespace, labels: { ...labels } },
    spec: {
      namespaceSelector: { matchNames: [targetNamespace] },
      selector: { matchLabels: { ...NODE_MONITORING_AGENT_LABELS } },
      podMetricsEndpoints: [
        {
          portNumber: NODE_MONITORING_AGENT_METRICS_PORT,
          path: "/metrics",
          scheme: "http",
          interval: "30s",
          relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node", action: "replace" }],
        },
      ],
    },
  };
}

/**
 * The dcgm-server DaemonSet's required node affinity: the chart default term, or with `migReadiness` that term ANDed
 * with each readiness term (one term per readiness term).
 */
export function dcgmServerAffinityTerms(migReadiness: readonly NodeSelectorTerm[] = []): NodeSelectorTerm[] {
  const defaults: NodeSelectorTerm["matchExpressions"] = [
    { key: "node.kubernetes.io/instance-type", operator: "In", values: [...DCGM_HOST_ENGINE_INSTANCE_TYPES] },
    { key: "eks.amazonaws.com/compute-type", operator: "NotIn", values: ["fargate", "auto", "hybrid"] },
    { key: "sagemaker.amazonaws.com/compute-type", operator: "NotIn", values: ["hyperpod"] },
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
  ];
  return allOfTerms([{ matchExpressions: defaults }], migReadiness);
}
