import { denyingAdmissionPolicy } from "../kubernetes/admission-policy";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * The default NetworkPolicy of a team namespace. The VPC CNI enforces it (add-on `enableNetworkPolicy`, see
 * constructs/eks/cluster.ts); every pod of the namespace is selected, so anything not allowed here is dropped.
 *
 * Ingress: from the namespace's own pods (distributed training, Ray) and from the platform pods that call into team
 * pods (Prometheus scraping them, the KubeRay operator reading Ray jobs' status). Other teams' pods are refused here, whatever their own egress allows.
 *
 * Egress: the namespace's own pods; CoreDNS; the platform services team pods call, each only its serving pods on the
 * ports they listen on (not their namespaces: `monitoring` also holds Alertmanager's unauthenticated API, `kubeflow`
 * KFP's MySQL and metadata store); the EKS Pod Identity agent on the node (169.254.170.23:80), without which the team's
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
  /** The platform services team pods call: their pods and the container ports they serve on. */
  readonly services: readonly ServicePods[];
  /** The pods that call into team pods (Prometheus scraping, the KubeRay operator), on any port. */
  readonly callers: readonly Omit<ServicePods, "ports">[];
}

/** Pods of one platform service: its namespace, the labels of its pods and the ports they listen on. */
export interface ServicePods {
  readonly namespace: string;
  /** Labels selecting the service's pods; every pod of the namespace when omitted. */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Container ports (what the policy agent sees after the Service's translation), TCP. */
  readonly ports: readonly number[];
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

const pods = (p: Omit<ServicePods, "ports">) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": p.namespace } },
  ...(p.podLabels ? { podSelector: { matchLabels: { ...p.podLabels } } } : {}),
});

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
      ingress: [{ from: [{ podSelector: {} }] }, { from: p.callers.map(pods) }],
      egress: [
        { to: [{ podSelector: {} }] },
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        ...p.services.map((svc) => ({ to: [pods(svc)], ports: svc.ports.map((port) => ({ protocol: "TCP", port })) })),
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: "TCP", port: POD_IDENTITY_AGENT.port }] },
        { to: [{ ipBlock: { cidr: p.vpcCidr } }, ...KUBERNETES_SERVICE_IPS.map((cidr) => ({ ipBlock: { cidr } }))], ports: https },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: https },
      ],
    },
  };
}

/** Name of the ValidatingAdmissionPolicy (and its binding) that keeps team members off NetworkPolicies. */
export const NETWORK_POLICY_GUARD = "ml-platform-team-network-policies";

/**
 * The ValidatingAdmissionPolicy (Kubernetes >= 1.30) and its Deny binding refusing any NetworkPolicy create, update or
 * delete by a member of a team group (`<groupPrefix><team>`, the groups of the teams' access entries).
 * AmazonEKSEditPolicy grants those verbs in the team's namespace and RBAC cannot take them away, so without it a
 * member could delete `team-isolation` or add a policy that opens more. The platform applies the policies with its
 * own identity, in no team group.
 */
export function teamNetworkPolicyGuard(groupPrefix: string): KubernetesObject[] {
  return denyingAdmissionPolicy({
    name: NETWORK_POLICY_GUARD,
    matchConstraints: {
      resourceRules: [{ apiGroups: ["networking.k8s.io", "extensions"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["networkpolicies"] }],
    },
    expression: `!has(request.userInfo.groups) || !request.userInfo.groups.exists(g, g.startsWith('${groupPrefix}'))`,
    message: "team namespaces' NetworkPolicies are the platform's (docs/tenancy.md): team members may not change them",
  });
}
