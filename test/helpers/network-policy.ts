/**
 * A small evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1) for tests: whether a policy lets traffic out
 * to, or in from, a peer on a port, as the NetworkPolicy semantics define it (a rule matches when one of its peers
 * and one of its ports match; a peer with both selectors needs both; an ipBlock matches addresses in its CIDR and
 * outside its exceptions; namespaces carry `kubernetes.io/metadata.name`). Only the policies given are considered.
 */
import { parseCidr } from "../../environments/lib/cidr";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** The other end of a connection: a pod (namespace and labels) and/or an address. */
export interface Peer {
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ip?: string;
}

export interface Port {
  readonly protocol: "TCP" | "UDP";
  readonly port: number;
}

function selects(selector: Any, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every((e: Any) => {
    const v = labels[e.key];
    switch (e.operator) {
      case "In":
        return v !== undefined && e.values.includes(v);
      case "NotIn":
        return v === undefined || !e.values.includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
      default:
        throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return byLabel && byExpr;
}

function ipNumber(ip: string): number {
  const c = parseCidr(`${ip}/32`);
  if (!c) throw new Error(`not an IPv4 address: ${ip}`);
  return c.base;
}

function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not a CIDR: ${cidr}`);
  const size = 2 ** (32 - c.prefix);
  const n = ipNumber(ip);
  return n >= c.base && n < c.base + size;
}

function peerMatches(rulePeer: Any, peer: Peer, policyNamespace: string): boolean {
  if (rulePeer.ipBlock) return peer.ip !== undefined && inCidr(peer.ip, rulePeer.ipBlock.cidr) && !(rulePeer.ipBlock.except ?? []).some((x: string) => inCidr(peer.ip!, x));
  if (peer.namespace === undefined) return false;
  const nsLabels = { "kubernetes.io/metadata.name": peer.namespace };
  const nsOk = rulePeer.namespaceSelector ? selects(rulePeer.namespaceSelector, nsLabels) : peer.namespace === policyNamespace;
  const podOk = rulePeer.podSelector ? selects(rulePeer.podSelector, peer.labels ?? {}) : true;
  return nsOk && podOk;
}

function portMatches(rulePorts: Any[] | undefined, port: Port): boolean {
  if (!rulePorts?.length) return true;
  return rulePorts.some((p) => (p.protocol ?? "TCP") === port.protocol && (p.port === undefined || p.port === port.port || (p.endPort !== undefined && port.port >= p.port && port.port <= p.endPort)));
}

function allowed(policy: Any, direction: "ingress" | "egress", peer: Peer, port: Port): boolean {
  const type = direction === "ingress" ? "Ingress" : "Egress";
  if (!(policy.spec.policyTypes ?? []).includes(type)) return true;
  const field = direction === "ingress" ? "from" : "to";
  return (policy.spec[direction] ?? []).some((rule: Any) => (!rule[field] || rule[field].some((p: Any) => peerMatches(p, peer, policy.metadata.namespace))) && portMatches(rule.ports, port));
}

/** Whether a pod the policy selects may connect out to `peer` on `port`. */
export const egressAllowed = (policy: Any, peer: Peer, port: Port) => allowed(policy, "egress", peer, port);

/** Whether `peer` may connect in to a pod the policy selects on `port`. */
export const ingressAllowed = (policy: Any, peer: Peer, port: Port) => allowed(policy, "ingress", peer, port);
