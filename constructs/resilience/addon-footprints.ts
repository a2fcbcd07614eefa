import { GPU_DAEMONSET_TOLERATIONS } from "../karpenter/pool-labels";
import { copyTolerations, type ReleaseFootprint } from "../kubernetes/footprint";
import { FSX_CSI, MOUNTPOINT_CSI } from "../storage/csi-drivers";
import { dcgmServerAffinityTerms, NODE_MONITORING_AGENT_ADDON } from "./node-monitoring-agent";

const ALL_TAINTS = [{ operator: "Exists" }];

/**
 * What the resilience add-ons run, for the deploy walk, from their charts' values at the pinned versions (EKS renders the
 * add-ons from the same charts): eks-node-monitoring-agent 1.7.0 (node agent 10m/30Mi tolerating every taint; dcgm-server
 * without requests, on the GPU types of its affinity, with this platform's tolerations), aws-fsx-csi-driver 1.17.0
 * (controller 2 replicas of driver 10m/40Mi plus provisioner, resizer and liveness probe 10m/32Mi each; node plugin
 * 10m/40Mi plus registrar and probe 10m/32Mi, tolerating every taint) and aws-mountpoint-s3-csi-driver 2.7.0 (node
 * plugin 10m/40Mi, sidecars without requests; one controller without requests or tolerations).
 */
export const RESILIENCE_ADDON_FOOTPRINTS: Readonly<Record<string, ReleaseFootprint>> = {
  [NODE_MONITORING_AGENT_ADDON]: {
    crds: ["eks.amazonaws.com/NodeDiagnostic"],
    serviceAccounts: ["eks-node-monitoring-agent"],
    pods: [
      { name: "eks-node-monitoring-agent", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "10m", memory: "30Mi" }, tolerations: ALL_TAINTS, serviceAccount: "eks-node-monitoring-agent" },
      {
        name: "dcgm-server",
        kind: "DaemonSet",
        namespace: "kube-system",
        requests: { cpu: "0", memory: "0" },
        tolerations: copyTolerations(GPU_DAEMONSET_TOLERATIONS),
        nodeSelector: { "kubernetes.io/os": "linux" },
        requiredNodeAffinity: dcgmServerAffinityTerms(),
      },
    ],
  },
  [FSX_CSI.addon]: {
    provisioners: [FSX_CSI.driver],
    serviceAccounts: [FSX_CSI.controllerServiceAccount, FSX_CSI.nodeServiceAccount],
    pods: [
      {
        name: "fsx-csi-controller",
        kind: "Deployment",
        namespace: "kube-system",
        replicas: 2,
        requests: { cpu: "40m", memory: "136Mi" },
        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, { operator: "Exists", effect: "NoExecute" }],
        serviceAccount: FSX_CSI.controllerServiceAccount,
      },
      { name: "fsx-csi-node", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "30m", memory: "104Mi" }, tolerations: ALL_TAINTS, serviceAccount: FSX_CSI.nodeServiceAccount },
    ],
  },
  [MOUNTPOINT_CSI.addon]: {
    crds: ["s3.csi.aws.com/MountpointS3PodAttachment"],
    provisioners: [MOUNTPOINT_CSI.driver],
    namespaces: [MOUNTPOINT_CSI.mountpointNamespace],
    serviceAccounts: [MOUNTPOINT_CSI.nodeServiceAccount, MOUNTPOINT_CSI.controllerServiceAccount],
    pods: [
      { name: "s3-csi-node", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "10m", memory: "40Mi" }, tolerations: ALL_TAINTS, serviceAccount: MOUNTPOINT_CSI.nodeServiceAccount },
      { name: "s3-csi-controller", kind: "Deployment", namespace: "kube-system", requests: { cpu: "0", memory: "0" }, nodeSelector: { "kubernetes.io/os": "linux" }, serviceAccount: MOUNTPOINT_CSI.controllerServiceAccount },
    ],
  },
};
