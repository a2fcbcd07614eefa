import type { ReleaseFootprint } from "../kubernetes/footprint";
import { RESILIENCE_ADDON_FOOTPRINTS } from "../resilience/addon-footprints";

const ALL_TAINTS = [{ operator: "Exists" }];
const CRITICAL_ADDONS = [{ key: "CriticalAddonsOnly", operator: "Exists" }];

/**
 * What each managed add-on runs at its default configuration, for the deploy walk (system node capacity, pods per
 * node, what exists before the first workload). EKS picks the add-on versions, so these are the defaults of the
 * add-ons' own manifests, not something this repository sets: aws-ebs-csi-driver from its chart's values.yaml (six
 * controller containers and three node containers, 10m/40Mi each; the sidecars default to the controller's
 * resources); coredns 100m/70Mi and two replicas; vpc-cni's aws-node 25m CPU; kube-proxy 100m CPU; the Pod Identity
 * agent sets no requests. Every DaemonSet runs on every node. The node monitoring agent and the CSI drivers of the
 * training storage are in constructs/resilience/addon-footprints.ts.
 */
export const ADDON_FOOTPRINTS: Readonly<Record<string, ReleaseFootprint>> = {
  "eks-pod-identity-agent": { pods: [{ name: "eks-pod-identity-agent", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "0", memory: "0" }, tolerations: ALL_TAINTS }] },
  "vpc-cni": {
    serviceAccounts: ["aws-node"],
    pods: [{ name: "aws-node", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "25m", memory: "0" }, tolerations: ALL_TAINTS, serviceAccount: "aws-node" }],
  },
  "kube-proxy": { pods: [{ name: "kube-proxy", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "100m", memory: "0" }, tolerations: ALL_TAINTS }] },
  coredns: {
    pods: [
      {
        name: "coredns",
        kind: "Deployment",
        namespace: "kube-system",
        replicas: 2,
        requests: { cpu: "100m", memory: "70Mi" },
        tolerations: [...CRITICAL_ADDONS, { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
      },
    ],
  },
  "aws-ebs-csi-driver": {
    provisioners: ["ebs.csi.aws.com"],
    serviceAccounts: ["ebs-csi-controller-sa"],
    pods: [
      {
        name: "ebs-csi-controller",
        kind: "Deployment",
        namespace: "kube-system",
        replicas: 2,
        requests: { cpu: "60m", memory: "240Mi" },
        tolerations: [...CRITICAL_ADDONS, { operator: "Exists", effect: "NoExecute" }],
        serviceAccount: "ebs-csi-controller-sa",
      },
      { name: "ebs-csi-node", kind: "DaemonSet", namespace: "kube-system", requests: { cpu: "30m", memory: "120Mi" }, tolerations: ALL_TAINTS },
    ],
  },
  ...RESILIENCE_ADDON_FOOTPRINTS,
};
