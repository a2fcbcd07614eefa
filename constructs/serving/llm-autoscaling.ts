import type { KubernetesObject } from "../kubernetes/manifests-release";

/**
 * KEDA autoscaling of one vLLM model (keda.sh/v1alpha1 ScaledObject, KEDA 2.20): three Prometheus triggers combined
 * by a scaling modifier into one desired replica count.
 *
 * - `waiting` (primary): requests queued in the engines, `vllm:num_requests_waiting`, per `waitingPerReplica`.
 * - `kvcache` (secondary): the sum of `vllm:kv_cache_usage_perc` (a 0-1 fraction per engine) over the target fraction,
 *   i.e. the replicas that keep every engine's KV cache under the target. (`vllm:gpu_cache_usage_perc` is the
 *   deprecated name of the same gauge.)
 * - `incoming` (only when the model may scale to zero): the router's `vllm:num_incoming_requests_total{model}`, which
 *   the production-stack router (vllm-stack 0.1.12, src/vllm_router/services/request_service/request.py) increments
 *   for every request before it looks for an engine, also when none runs (it then answers 503, or 404 if it has not
 *   seen the model since it started). With zero engines no `vllm:*` engine series exists, so this is the only signal
 *   that can wake the model. The first request creates the router's series already at 1, so a rate alone stays 0:
 *   a series that appeared within the window counts too.
 *
 * The formula's value is a replica count (metricType AverageValue, target 1), so the HPA runs `ceil(value)` replicas.
 */

export interface LlmScalingProps {
  /** ScaledObject and Deployment name. */
  readonly name: string;
  readonly namespace: string;
  /** `--served-model-name`: the `model_name` label of the engine's metrics and `model` of the router's. */
  readonly modelId: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly waitingPerReplica: number;
  readonly kvCacheUsagePercent: number;
  readonly prometheusUrl: string;
  /** Namespace of the router (its metrics carry it). */
  readonly routerNamespace: string;
}

/** PromQL string literal (model ids contain `/` and `.`, never quotes: the schema forbids them). */
const q = (s: string) => JSON.stringify(s);

/** The queries of the three triggers (each is 0, not empty, when its series are absent). */
export function llmScalingQueries(p: Pick<LlmScalingProps, "namespace" | "modelId" | "routerNamespace">): { waiting: string; kvcache: string; incoming: string } {
  const engine = `{namespace=${q(p.namespace)},model_name=${q(p.modelId)}}`;
  const incoming = `vllm:num_incoming_requests_total{namespace=${q(p.routerNamespace)},model=${q(p.modelId)}}`;
  return {
    waiting: `sum(vllm:num_requests_waiting${engine}) or vector(0)`,
    kvcache: `sum(vllm:kv_cache_usage_perc${engine}) or vector(0)`,
    // Requests per second, plus router series that did not exist 2 minutes ago (a first request, or the first one a
    // restarted router pod sees): both are 0 when nothing arrived.
    incoming: `(sum(rate(${incoming}[2m])) or vector(0)) + (count(${incoming} unless (${incoming} offset 2m)) or vector(0))`,
  };
}

/** The ScaledObject of one model's Deployment. */
export function llmScaledObject(p: LlmScalingProps, labels: Readonly<Record<string, string>>): KubernetesObject {
  const queries = llmScalingQueries(p);
  const kvTarget = p.kvCacheUsagePercent / 100;
  const scaleToZero = p.minReplicas === 0;
  const trigger = (name: keyof typeof queries) => ({
    type: "prometheus",
    name,
    metricType: "AverageValue",
    metadata: { serverAddress: p.prometheusUrl, query: queries[name], threshold: "1", ignoreNullValues: "true" },
  });
  const terms = [`waiting / ${p.waitingPerReplica}`, `kvcache / ${kvTarget}`, ...(scaleToZero ? ["(incoming > 0 ? 1 : 0)"] : [])];
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: p.name, namespace: p.namespace, labels: { ...labels } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: p.name },
      minReplicaCount: p.minReplicas,
      maxReplicaCount: p.maxReplicas,
      pollingInterval: 15,
      // Scale-to-zero only: keep an idle model for 15 minutes before giving its GPU node back.
      ...(scaleToZero ? { cooldownPeriod: 900, initialCooldownPeriod: 900 } : {}),
      advanced: {
        scalingModifiers: { formula: `max(${terms.join(", ")})`, target: "1", activationTarget: "0", metricType: "AverageValue" },
        horizontalPodAutoscalerConfig: {
          behavior: {
            // A new replica needs a GPU node and minutes of weight loading: add promptly, remove slowly, one at a time.
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
            scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] },
          },
        },
      },
      triggers: [trigger("waiting"), trigger("kvcache"), ...(scaleToZero ? [trigger("incoming")] : [])],
    },
  };
}
