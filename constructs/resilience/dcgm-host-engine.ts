import type { InstanceTypeInfo } from "../catalog/instance-types";

/**
 * The platform's one DCGM host engine per GPU node, and who runs it.
 *
 * Decision: the EKS node monitoring agent's `dcgm-server` DaemonSet runs the host engine (`nv-hostengine -n -b ALL`,
 * container and host port 5555); the DCGM exporter connects to it as a remote host engine (`-r <node IP>:5555`) instead
 * of starting its own embedded engine. Two engines on one node fight over the GPUs' watches and policies, and the agent
 * then reports AcceleratedHardwareReady=False, which node repair turns into needless node replacements
 * (aws/containers-roadmap #2555). The reverse (the exporter's engine serving the agent) is not possible: the agent
 * dials `localhost:5555` (DCGM_ADDRESS is not settable through the add-on's configuration schema) and the exporter's
 * embedded engine listens on no TCP port. Without the agent (`resilience.nodeMonitoring.enabled: false`) the exporter
 * keeps its embedded engine.
 *
 * Consequence: the exporter runs only where `dcgm-server` runs, so it takes the same node affinity (the instance types
 * below, amd64), and an environment whose GPU pools allow a type outside it is rejected at synth.
 * @see https://github.com/aws/eks-node-monitoring-agent/blob/v1.7.0/charts/eks-node-monitoring-agent/templates/dcgm-daemonset.yaml
 */

/** The host engine's port on the node (dcgm-daemonset.yaml `containerPort`/`hostPort`). */
export const DCGM_HOST_ENGINE_PORT = 5555;

/**
 * Instance types the agent's `dcgm-server` DaemonSet runs on: its chart's default `dcgmAgent.affinity` (values.yaml of
 * eks-node-monitoring-agent 1.7.0, commit c399089d), which the add-on keeps because this platform sets only
 * tolerations. The same term requires `kubernetes.io/arch In [amd64]`. test/resilience/foundation.test.ts compares
 * this list with the oracle.
 */
export const DCGM_HOST_ENGINE_INSTANCE_TYPES: readonly string[] = [
  "g3.16xlarge", "g3.4xlarge", "g3.8xlarge", "g3s.xlarge", "g4dn.12xlarge", "g4dn.16xlarge", "g4dn.2xlarge",
  "g4dn.4xlarge", "g4dn.8xlarge", "g4dn.metal", "g4dn.xlarge", "g5.12xlarge", "g5.16xlarge", "g5.24xlarge",
  "g5.2xlarge", "g5.48xlarge", "g5.4xlarge", "g5.8xlarge", "g5.xlarge", "g5g.16xlarge", "g5g.2xlarge", "g5g.4xlarge",
  "g5g.8xlarge", "g5g.metal", "g5g.xlarge", "g6.12xlarge", "g6.16xlarge", "g6.24xlarge", "g6.2xlarge", "g6.48xlarge",
  "g6.4xlarge", "g6.8xlarge", "g6.xlarge", "g6e.12xlarge", "g6e.16xlarge", "g6e.24xlarge", "g6e.2xlarge",
  "g6e.48xlarge", "g6e.4xlarge", "g6e.8xlarge", "g6e.xlarge", "g6f.2xlarge", "g6f.4xlarge", "g6f.large",
  "g6f.xlarge", "g7.12xlarge", "g7.24xlarge", "g7.2xlarge", "g7.48xlarge", "g7.4xlarge", "g7.8xlarge",
  "g7e.12xlarge", "g7e.24xlarge", "g7e.2xlarge", "g7e.48xlarge", "g7e.4xlarge", "g7e.8xlarge", "gr6.4xlarge",
  "gr6.8xlarge", "gr6f.4xlarge", "p2.16xlarge", "p2.8xlarge", "p2.xlarge", "p3.16xlarge", "p3.2xlarge", "p3.8xlarge",
  "p3dn.24xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5.4xlarge", "p5e.48xlarge", "p5en.48xlarge",
  "p6-b200.48xlarge", "p6-b300.48xlarge", "p6e-gb200.36xlarge", "p6e-gb300.36xlarge",
];

/** Whether the agent's host engine runs on nodes of this type (its list and amd64). */
export function hostEngineRunsOn(type: Pick<InstanceTypeInfo, "name" | "arch">): boolean {
  return type.arch === "amd64" && DCGM_HOST_ENGINE_INSTANCE_TYPES.includes(type.name);
}

/** The required node affinity of `dcgm-server`, for the exporter that depends on it (pod-spec form). */
export function hostEngineNodeAffinity(): Record<string, unknown> {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: "node.kubernetes.io/instance-type", operator: "In", values: [...DCGM_HOST_ENGINE_INSTANCE_TYPES] },
              { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
            ],
          },
        ],
      },
    },
  };
}

/** DCGM exporter chart values for a remote host engine. */
export interface RemoteEngineValues {
  readonly arguments: readonly string[];
  readonly extraEnv: ReadonlyArray<Record<string, unknown>>;
  readonly affinity: Record<string, unknown>;
}

/** The DCGM exporter's default counters file (chart 4.8.2 `arguments`), kept when the remote engine is added. */
const EXPORTER_COUNTERS_ARGS = ["-f", "/etc/dcgm-exporter/default-counters.csv"];

/** Environment variable the exporter container gets with its node's IP (the downward API's status.hostIP). */
export const NODE_IP_ENV = "NODE_IP";

/**
 * Chart values that make the DCGM exporter 4.8.2 a client of the node's host engine:
 * `--remote-hostengine-info=$(NODE_IP):5555` (the exporter uses a remote engine only when the flag is given; the chart
 * renders `arguments` as the container's args) with the node IP from the downward API (Kubernetes expands `$(NODE_IP)`
 * in args), reached through dcgm-server's hostPort (the VPC CNI's portmap plugin), and the host engine's node affinity.
 */
export function exporterRemoteEngineValues(): RemoteEngineValues {
  return {
    arguments: [...EXPORTER_COUNTERS_ARGS, `--remote-hostengine-info=$(${NODE_IP_ENV}):${DCGM_HOST_ENGINE_PORT}`],
    extraEnv: [{ name: NODE_IP_ENV, valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
    affinity: hostEngineNodeAffinity(),
  };
}
