import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * The default NetworkPolicy of a team namespace. The VPC CNI enforces it (add-on `enableNetworkPolicy`, see
 * constructs/eks/cluster.ts); every pod of the namespace is selected, so anything not allowed here is dropped.
 *
 * Ingress: from the namespace's own pods (distributed training, Ray) and from the platform namespaces that call into
 * team pods (Prometheus scraping them, the KubeRay operator reading Ray jobs' status). Other teams' pods are refused here, whatever their own egress allows.
 *
 * Egress: the namespace's own pods; CoreDNS; the platform services' namespaces (MLflow, Feast, Triton, Prometheus,
 * the Kubeflow Pipelines API); the EKS Pod Identity agent on the node (169.254.170.23:80), without which the team's
 * role is unreachable; HTTPS inside the VPC, for the Kubernetes API server (its private endpoint's network interfaces
 * are in the VPC) and interface endpoints, and to the `kubernetes` Service's ClusterIP; and HTTPS to public
 * addresses, which is how S3 is reached through the gateway endpoint: a gateway endpoint routes S3's public
 * address ranges, which change and cannot be listed as CIDRs here, so HTTPS to any non-private address is allowed
 * (S3, STS, package and model registries through the NAT gateways). Nothing else leaves the namespace.
 */

/** What a team namespace may reach and be reached from. */
export interface TeamNetworkProps {
  readonly namespace: string;
  /** The VPC's CIDR (the API server's private endpoint and interface endpoints). */
  readonly vpcCidr: string;
  /** Namespaces of the platform services team pods call. */
  readonly serviceNamespaces: readonly string[];
  /** Namespaces whose pods call into team pods (Prometheus). */
  readonly callerNamespaces: readonly string[];
}

/**
 * The ClusterIP of the `kubernetes` Service (the first address of the service range), where in-cluster clients such as
 * Ray's autoscaler reach the API server. The VPC CNI's policy agent judges egress before kube-proxy translates the
 * ClusterIP to the endpoint's address, so the VPC rule alone does not let these connections out. EKS picks the range
 * (10.100.0.0/16 or 172.20.0.0/16, whichever does not overlap the VPC) when the cluster sets none, as here: both.
 */
export const KUBERNETES_SERVICE_IPS = ["10.100.0.1/32", "172.20.0.1/32"] as const;

/** The EKS Pod Identity agent's link-local address and port on every node. */
export const POD_IDENTITY_AGENT = { cidr: "169.254.170.23/32", port: 80 } as const;

/**
 * Private address ranges (RFC 1918), carrier-grade NAT and link-local (the instance metadata service): not "the
 * internet" for the HTTPS rule.
 */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] as const;

const byName = (names: readonly string[]) => ({ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...names].sort() }] } });

/** The team namespace's NetworkPolicy `team-isolation`. */
export function teamNetworkPolicy(p: TeamNetworkProps): KubernetesObject {
  const https = [{ protocol: "TCP", port: 443 }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "team-isolation", namespace: p.namespace },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: {} }] }, { from: [byName(p.callerNamespaces)] }],
      egress: [
        { to: [{ podSelector: {} }] },
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [byName(p.serviceNamespaces)] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: "TCP", port: POD_IDENTITY_AGENT.port }] },
        { to: [{ ipBlock: { cidr: p.vpcCidr } }, ...KUBERNETES_SERVICE_IPS.map((cidr) => ({ ipBlock: { cidr } }))], ports: https },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: https },
      ],
    },
  };
}
