import { blocks, finding, resourcesOf } from "./audit-context";
import { manifestLabel, renderedManifests } from "./manifests";
import type { SecurityTarget } from "./security-audit";
import { PRIVILEGED_WORKLOAD_EXCEPTIONS } from "./security-exceptions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Config = Record<string, any>;

const A = "alb.ingress.kubernetes.io";
const isOpen = (cidr: string) => cidr === "0.0.0.0/0" || cidr === "::/0";

/** TLS policies of the load balancer that refuse TLS 1.0 and 1.1. */
export const TLS12_POLICIES = /^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)/;

/** An Ingress in one shape, whether rendered by the manifests chart or a typed `kubernetes_ingress_v1`. */
interface IngressView {
  readonly address: string;
  readonly annotations: Record<string, string>;
  /** Backend Service names of its rules. */
  readonly services: string[];
  /** Default backend: a Service, or an annotation action (`use-annotation`). */
  readonly defaultBackend?: { readonly service: string; readonly action: boolean };
}

function ingressViews(t: SecurityTarget): IngressView[] {
  const out: IngressView[] = [];
  for (const m of renderedManifests(t)) {
    const o = m.manifest;
    if (o.kind !== "Ingress") continue;
    const services = blocks<Config>(o.spec?.rules).flatMap((r) => blocks<Config>(r.http?.paths).map((p) => String(p.backend?.service?.name)));
    const def = o.spec?.defaultBackend?.service;
    out.push({ address: `${m.address} ${manifestLabel(o)}`, annotations: o.metadata?.annotations ?? {}, services, ...(def ? { defaultBackend: { service: def.name, action: def.port?.name === "use-annotation" } } : {}) });
  }
  for (const [type, name, cfg] of resourcesOf(t.json)) {
    if (type !== "kubernetes_ingress_v1" && type !== "kubernetes_ingress") continue;
    const spec = blocks<Config>(cfg.spec)[0] ?? {};
    const services = blocks<Config>(spec.rule).flatMap((r) => blocks<Config>(r.http).flatMap((h) => blocks<Config>(h.path).map((p) => String(blocks<Config>(blocks<Config>(p.backend)[0]?.service)[0]?.name))));
    const def = blocks<Config>(blocks<Config>(spec.default_backend)[0]?.service)[0];
    const port = blocks<Config>(def?.port)[0];
    out.push({
      address: `${type}.${name}`,
      annotations: blocks<Config>(cfg.metadata)[0]?.annotations ?? {},
      services,
      ...(def ? { defaultBackend: { service: String(def.name), action: port?.name === "use-annotation" } } : {}),
    });
  }
  return out;
}

/**
 * HTTPS only at the load balancer: every Ingress listens on HTTPS with a certificate and a TLS 1.2+ policy, any HTTP
 * listener only redirects; and nothing reaches a backend unguarded: each rule's Service is behind a login (OIDC or
 * Cognito) or a source-ip condition without 0.0.0.0/0; a default backend is a fixed action or guarded the same way.
 */
export function auditIngress(t: SecurityTarget): string[] {
  const out: string[] = [];
  for (const i of ingressViews(t)) {
    const add = (rule: string, detail: string) => out.push(finding(t.id, i.address, rule, detail));
    const a = i.annotations;
    const ports: Array<Record<string, number>> = a[`${A}/listen-ports`] ? JSON.parse(a[`${A}/listen-ports`]) : [a[`${A}/certificate-arn`] ? { HTTPS: 443 } : { HTTP: 80 }];
    if (!ports.some((p) => "HTTPS" in p)) add("https-only", "no HTTPS listener");
    if (ports.some((p) => "HTTP" in p) && !a[`${A}/ssl-redirect`]) add("https-only", "an HTTP listener that serves instead of redirecting (no ssl-redirect)");
    if (!a[`${A}/certificate-arn`]) add("https-only", "no certificate-arn");
    if (!TLS12_POLICIES.test(a[`${A}/ssl-policy`] ?? "")) add("https-only", `ssl-policy ${JSON.stringify(a[`${A}/ssl-policy`] ?? "(controller default)")} allows TLS below 1.2`);
    const login = ["oidc", "cognito"].includes(a[`${A}/auth-type`] ?? "");
    const guarded = (service: string) => {
      if (login) return true;
      const conditions = a[`${A}/conditions.${service}`];
      const ips: string[] = conditions ? JSON.parse(conditions).filter((c: Config) => c.field === "source-ip").flatMap((c: Config) => c.sourceIpConfig?.values ?? []) : [];
      return ips.length > 0 && !ips.some(isOpen);
    };
    for (const service of new Set(i.services)) if (!guarded(service)) add("guarded-route", `Service ${service} is reachable without a login or a source-ip condition limited to known networks`);
    if (i.defaultBackend && !i.defaultBackend.action && !guarded(i.defaultBackend.service)) add("guarded-route", `default backend ${i.defaultBackend.service} is reachable without a login or a source-ip condition`);
  }
  return out;
}

/** Pod specs of an in-repo object: workloads, CronJobs, Pods and training runtimes' job templates. */
function podSpecs(o: Config): Config[] {
  switch (o.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return [o.spec?.template?.spec].filter(Boolean);
    case "CronJob":
      return [o.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean);
    case "Pod":
      return [o.spec].filter(Boolean);
    case "ClusterTrainingRuntime":
    case "TrainingRuntime":
      return blocks<Config>(o.spec?.template?.spec?.replicatedJobs).map((j) => j.template?.spec?.template?.spec).filter(Boolean);
    default:
      return [];
  }
}

/** What keeps one pod spec from the restricted profile (empty when it complies). */
export function restrictedProblems(pod: Config): string[] {
  const problems: string[] = [];
  for (const host of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[host] === true) problems.push(`${host}`);
  const psc = pod.securityContext ?? {};
  const containers: Config[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const name = `container ${c.name}`;
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true || (sc.runAsUser ?? psc.runAsUser) === 0) problems.push(`${name}: may run as root (runAsNonRoot)`);
    if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== "RuntimeDefault") problems.push(`${name}: no RuntimeDefault seccomp profile`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) problems.push(`${name}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${name}: capabilities not dropped (drop ALL)`);
    const added = (sc.capabilities?.add ?? []).filter((cap: string) => cap !== "NET_BIND_SERVICE");
    if (added.length) problems.push(`${name}: adds capabilities ${added.join(", ")}`);
  }
  return problems;
}

/**
 * The restricted profile for every workload this repository authors (manifests chart releases): non-root, RuntimeDefault
 * seccomp, no privilege escalation, all capabilities dropped, no host namespaces. Exceptions are by release and
 * workload in security-exceptions.ts (`source: "manifests <release>"`).
 */
export function auditWorkloads(t: SecurityTarget): string[] {
  const out: string[] = [];
  for (const m of renderedManifests(t)) {
    const excepted = PRIVILEGED_WORKLOAD_EXCEPTIONS.some((x) => x.source === `manifests ${m.release}` && x.workload === m.manifest.metadata?.name);
    if (excepted) continue;
    for (const pod of podSpecs(m.manifest)) {
      for (const p of restrictedProblems(pod)) out.push(finding(t.id, `${m.address} ${manifestLabel(m.manifest)}`, "restricted-workload", p));
    }
  }
  return out;
}
