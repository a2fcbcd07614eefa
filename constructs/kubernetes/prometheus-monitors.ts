import type { KubernetesObject } from "./manifests-release";

/** One scrape endpoint of a ServiceMonitor (by Service port name) or PodMonitor (by container port name). */
export interface ScrapeEndpoint {
  /** Name of the Service port (ServiceMonitor) or container port (PodMonitor). */
  readonly port: string;
  /** @default "/metrics" */
  readonly path?: string;
  /** @default "http" */
  readonly scheme?: "http" | "https";
  /**
   * Scrape a controller-runtime `secureServing` endpoint: TLS without verification of its self-signed certificate,
   * authenticated with Prometheus's own service-account token (authorized by its ClusterRole on `/metrics`).
   * @default false
   */
  readonly kubernetesAuth?: boolean;
  /** Skip TLS verification (self-signed serving certificates). @default false */
  readonly insecureSkipVerify?: boolean;
  /** @default "30s" */
  readonly interval?: string;
  /**
   * Relabelings applied to the target before scraping (for example copying `__meta_kubernetes_pod_node_name` to
   * `node`). @default - none
   */
  readonly relabelings?: ReadonlyArray<Record<string, unknown>>;
}

export interface MonitorProps {
  readonly name: string;
  /** Namespace of the monitor and of the scraped objects. */
  readonly namespace: string;
  /**
   * Namespace of the scraped objects when the monitor lives elsewhere (the observability stack keeps its monitors in
   * its own namespace, which exists before the targets' namespaces do). @default - `namespace`
   */
  readonly targetNamespace?: string;
  /** Labels of the Service (ServiceMonitor) or Pods (PodMonitor) to scrape. */
  readonly matchLabels: Record<string, string>;
  readonly endpoints: readonly ScrapeEndpoint[];
  /** Labels identifying the platform; the observability stack selects every monitor (selectors nil-uses-Helm false). */
  readonly labels?: Record<string, string>;
}

const SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

function endpoint(e: ScrapeEndpoint, allowTokenFile: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { port: e.port, path: e.path ?? "/metrics", scheme: e.scheme ?? (e.kubernetesAuth ? "https" : "http"), interval: e.interval ?? "30s" };
  if (e.relabelings?.length) out.relabelings = e.relabelings.map((r) => ({ ...r }));
  if (e.kubernetesAuth || e.insecureSkipVerify) out.tlsConfig = { insecureSkipVerify: true };
  if (e.kubernetesAuth) {
    if (!allowTokenFile) throw new Error(`PodMonitor endpoint ${e.port}: kubernetesAuth needs a ServiceMonitor (PodMonitor has no bearerTokenFile)`);
    out.bearerTokenFile = SA_TOKEN;
  }
  return out;
}

/** A monitoring.coreos.com/v1 ServiceMonitor for Services in its own namespace. */
export function serviceMonitor(props: MonitorProps): KubernetesObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: props.name, namespace: props.namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) },
    spec: {
      namespaceSelector: { matchNames: [props.targetNamespace ?? props.namespace] },
      selector: { matchLabels: { ...props.matchLabels } },
      endpoints: props.endpoints.map((e) => endpoint(e, true)),
    },
  };
}

/** A monitoring.coreos.com/v1 PodMonitor for Pods in its own namespace (for components without a metrics Service). */
export function podMonitor(props: MonitorProps): KubernetesObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: props.name, namespace: props.namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) },
    spec: {
      namespaceSelector: { matchNames: [props.targetNamespace ?? props.namespace] },
      selector: { matchLabels: { ...props.matchLabels } },
      podMetricsEndpoints: props.endpoints.map((e) => endpoint(e, false)),
    },
  };
}
