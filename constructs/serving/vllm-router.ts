import type { KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";
import { ENGINE_LABELS } from "./vllm-engine";

/** Commit of production-stack's lightweight tag `vllm-stack-0.1.12` (the push to main that bumped the chart to 0.1.12). */
export const VLLM_STACK_COMMIT = "66b60661aa3052810859a417559e9e830772a091";

/**
 * The vLLM production-stack router of vllm-stack 0.1.12, by the per-commit tag of the tag's commit. The chart's
 * release workflow (.github/workflows/helm-release.yml at vllm-stack-0.1.12, job release-docker) builds the router on
 * every push to main under helm/ and tags the one build `router:<github.sha>` on GHCR besides `v<chart version>` and
 * `latest` (also as `lmcache/lmstack-router`, the chart's default). `v0.1.12` is not immutable: later pushes to main
 * under helm/ with the chart still at 0.1.12 re-pushed it, some after router changes (f2290319 after a0f4980a,
 * 01eaf92c after 51022d65); the commit tag names exactly the router source of the chart's tag.
 * @see https://github.com/vllm-project/production-stack/tree/vllm-stack-0.1.12/src/vllm_router
 */
export const VLLM_ROUTER_IMAGE = `ghcr.io/vllm-project/production-stack/router:${VLLM_STACK_COMMIT}`;

/** The router's port (OpenAI API and its own /metrics). */
export const ROUTER_PORT = 8000;

/** Requests and limit of the router: the chart's defaults (routerSpec.resources: 400m, 1000Mi). */
const ROUTER_RESOURCES = { requests: { cpu: "400m", memory: "1000Mi" }, limits: { memory: "1000Mi" } } as const;

export interface RouterSpec {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly routingLogic: "roundrobin" | "session" | "prefixaware";
  /** Header that identifies a session; required with `session` (the router refuses to start without it). */
  readonly sessionKey?: string;
  /** Where it runs (the general pool, no GPU). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: ReadonlyArray<Record<string, string>>;
}

function sessionKeyOf(r: RouterSpec): string {
  // The environment schema rejects this earlier; a direct caller gets the router's own rule rather than a crash-loop.
  if (!r.sessionKey) throw new Error(`router ${r.name}: routingLogic "session" needs a sessionKey (the router exits without --session-key)`);
  return r.sessionKey;
}

/**
 * The router authored as the chart's templates render it (deployment-router.yaml, role.yaml, service-router.yaml at
 * 0.1.12): it discovers engine pods by label in its namespace (pod IPs, `GET /v1/models` on each) and routes by the
 * request's `model`. Its Role matches the chart's (`patch` is used to label sleeping engines).
 */
export function routerObjects(r: RouterSpec): KubernetesObject[] {
  const labels = { "app.kubernetes.io/name": r.name, "app.kubernetes.io/component": "vllm-router", "app.kubernetes.io/part-of": "ml-platform" };
  const selector = { "app.kubernetes.io/name": r.name };
  const engineSelector = Object.entries(ENGINE_LABELS)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: r.name, namespace: r.namespace, labels: { ...labels } } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: `${r.name}-pod-reader`, namespace: r.namespace, labels: { ...labels } },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "watch", "list", "patch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${r.name}-pod-reader`, namespace: r.namespace, labels: { ...labels } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${r.name}-pod-reader` },
      subjects: [{ kind: "ServiceAccount", name: r.name, namespace: r.namespace }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: r.name, namespace: r.namespace, labels: { ...labels } },
      spec: {
        replicas: r.replicas,
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            serviceAccountName: r.name,
            nodeSelector: { ...r.nodeSelector },
            tolerations: r.tolerations.map((t) => ({ ...t })),
            securityContext: restrictedPodSecurityContext(),
            containers: [
              {
                name: "router",
                image: VLLM_ROUTER_IMAGE,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "--host",
                  "0.0.0.0",
                  "--port",
                  String(ROUTER_PORT),
                  "--service-discovery",
                  "k8s",
                  "--k8s-namespace",
                  r.namespace,
                  "--k8s-service-discovery-type",
                  "pod-ip",
                  "--k8s-label-selector",
                  engineSelector,
                  "--routing-logic",
                  r.routingLogic,
                  ...(r.routingLogic === "session" ? ["--session-key", sessionKeyOf(r)] : []),
                  "--engine-stats-interval",
                  "15",
                  "--request-stats-window",
                  "60",
                ],
                ports: [{ name: "http", containerPort: ROUTER_PORT, protocol: "TCP" }],
                startupProbe: { httpGet: { path: "/health", port: "http" }, initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 12 },
                livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
                resources: structuredClone(ROUTER_RESOURCES),
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: r.name, namespace: r.namespace, labels: { ...labels } },
      spec: { type: "ClusterIP", selector: { ...selector }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: r.name, namespace: r.namespace, labels: { ...labels } },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
    },
  ];
}
