import { GPU_DAEMONSET_TOLERATIONS } from "../karpenter/pool-labels";
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
 * The add-on's configuration (validated against the add-on's configuration.schema.json in the tests). The only change
 * from the defaults: the DCGM agent tolerates the GPU pools' taints. Its default tolerations are none, so on this
 * platform's GPU nodes (all tainted `nvidia.com/gpu`) it would never run, and neither GPU health conditions nor the
 * exporter's host engine would exist (aws/containers-roadmap #2567). The node agent keeps its default (tolerate all).
 */
export function nodeMonitoringAgentConfiguration(): Record<string, unknown> {
  return { dcgmAgent: { tolerations: GPU_DAEMONSET_TOLERATIONS.map((t) => ({ ...t })) } };
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

/** The dcgm-server DaemonSet's required node affinity (chart default), as the deploy walk reads it. */
export function dcgmServerAffinityTerms() {
  return [
    {
      matchExpressions: [
        { key: "node.kubernetes.io/instance-type", operator: "In" as const, values: [...DCGM_HOST_ENGINE_INSTANCE_TYPES] },
        { key: "eks.amazonaws.com/compute-type", operator: "NotIn" as const, values: ["fargate", "auto", "hybrid"] },
        { key: "sagemaker.amazonaws.com/compute-type", operator: "NotIn" as const, values: ["hyperpod"] },
        { key: "kubernetes.io/arch", operator: "In" as const, values: ["amd64"] },
      ],
    },
  ];
}
