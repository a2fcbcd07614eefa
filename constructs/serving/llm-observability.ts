import { dashboard } from "../observability/grafana";
import type { AlertingRule, RecordingRule, RuleGroup } from "../observability/rules";

/**
 * LLM SLO alerts and the LLM dashboard, from vLLM 0.13's engine metrics (`model_name` label; histograms
 * `vllm:time_to_first_token_seconds` and `vllm:inter_token_latency_seconds`, gauges `vllm:num_requests_waiting` and
 * `vllm:kv_cache_usage_perc` (0-1), counters `vllm:num_preemptions_total` and `vllm:generation_tokens_total`).
 * Cost per million tokens uses the On-Demand price of the node each model runs on (constructs/catalog price table),
 * shared by the replicas a node holds (MIG slices, time-sliced GPUs).
 */

export interface LlmAlertThresholds {
  readonly timeToFirstTokenP99Seconds: number;
  readonly interTokenLatencyP99Seconds: number;
  readonly waitingRequests: number;
  readonly kvCacheUsagePercent: number;
  readonly forMinutes: number;
}

/** What the dashboard and cost rules know about one model. */
export interface LlmModelCost {
  readonly modelId: string;
  /** USD per hour of one replica (its node's On-Demand price times its share of the node). */
  readonly usdPerReplicaHour: number;
  /** GPUs (or GPU fractions) per replica, for tokens per second per GPU. */
  readonly gpusPerReplica: number;
}

/** Series the recording rules produce. */
export const LLM_RECORDED = {
  ttftP99: "llm:time_to_first_token_seconds:p99_5m",
  itlP99: "llm:inter_token_latency_seconds:p99_5m",
  tokensPerSecond: "llm:generation_tokens:rate5m",
  replicas: "llm:engines:count",
  usdPerHour: "llm:usd_per_hour",
} as const;

const num = (n: number) => String(Number(n.toPrecision(6)));

/** Recording rules: latency quantiles per model, throughput, replica count and spend per model. */
export function llmRecordingRules(namespace: string, models: readonly LlmModelCost[]): RuleGroup {
  const sel = `{namespace="${namespace}"}`;
  const quantile = (metric: string) => `histogram_quantile(0.99, sum by (namespace, model_name, le) (rate(${metric}_bucket${sel}[5m])))`;
  const rules: RecordingRule[] = [
    { record: LLM_RECORDED.ttftP99, expr: quantile("vllm:time_to_first_token_seconds") },
    { record: LLM_RECORDED.itlP99, expr: quantile("vllm:inter_token_latency_seconds") },
    { record: LLM_RECORDED.tokensPerSecond, expr: `sum by (namespace, model_name) (rate(vllm:generation_tokens_total${sel}[5m]))` },
    { record: LLM_RECORDED.replicas, expr: `count by (namespace, model_name) (vllm:num_requests_running${sel})` },
    // One rule (promtool rejects two rules recording the same series): each model's replicas at its own price.
    ...(models.length
      ? [{ record: LLM_RECORDED.usdPerHour, expr: models.map((m) => `${LLM_RECORDED.replicas}{namespace="${namespace}",model_name="${m.modelId}"} * ${num(m.usdPerReplicaHour)}`).join(" or ") }]
      : []),
  ];
  return { name: "ml-platform.llm.recording", rules };
}

function alert(name: string, severity: AlertingRule["labels"]["severity"], expr: string, forMinutes: number, summary: string, description: string): AlertingRule {
  return { alert: name, expr, for: `${forMinutes}m`, labels: { severity, component: "llm" }, annotations: { summary, description } };
}

/** SLO alerts per model. */
export function llmAlertRules(namespace: string, t: LlmAlertThresholds): RuleGroup {
  const sel = `{namespace="${namespace}"}`;
  const m = t.forMinutes;
  return {
    name: "ml-platform.llm",
    rules: [
      alert(
        "LlmTimeToFirstTokenHigh",
        "warning",
        `${LLM_RECORDED.ttftP99}${sel} > ${t.timeToFirstTokenP99Seconds}`,
        m,
        "LLM {{ $labels.model_name }}: p99 time to first token over objective",
        `p99 time to first token is {{ $value | humanize }}s, over ${t.timeToFirstTokenP99Seconds}s for ${m} minutes: prefill is queueing or replicas are missing.`,
      ),
      alert(
        "LlmInterTokenLatencyHigh",
        "warning",
        `${LLM_RECORDED.itlP99}${sel} > ${t.interTokenLatencyP99Seconds}`,
        m,
        "LLM {{ $labels.model_name }}: p99 inter-token latency over objective",
        `p99 inter-token latency is {{ $value | humanize }}s, over ${t.interTokenLatencyP99Seconds}s for ${m} minutes: batches are too large for the GPU.`,
      ),
      alert(
        "LlmRequestsQueued",
        "warning",
        `sum by (namespace, model_name) (vllm:num_requests_waiting${sel}) > ${t.waitingRequests}`,
        m,
        "LLM {{ $labels.model_name }}: requests waiting",
        `{{ $value }} requests wait for a slot (over ${t.waitingRequests}) for ${m} minutes: the autoscaler is at its maximum or GPU nodes do not arrive.`,
      ),
      alert(
        "LlmKvCacheFull",
        "warning",
        `max by (namespace, model_name, pod) (vllm:kv_cache_usage_perc${sel}) * 100 > ${t.kvCacheUsagePercent}`,
        m,
        "LLM {{ $labels.model_name }}: KV cache nearly full on {{ $labels.pod }}",
        `KV-cache usage is {{ $value | humanize }}% (over ${t.kvCacheUsagePercent}%) for ${m} minutes: requests get preempted and recomputed.`,
      ),
      alert(
        "LlmPreemptions",
        "info",
        `sum by (namespace, model_name) (rate(vllm:num_preemptions_total${sel}[10m])) > 0`,
        m,
        "LLM {{ $labels.model_name }}: requests preempted",
        `{{ $value | humanize }} preemptions per second for ${m} minutes: the KV cache is too small for the load (lower max model length or add replicas).`,
      ),
    ],
  };
}

/** The LLM dashboard (Grafana sidecar JSON model). */
export function llmDashboard(namespace: string, models: readonly LlmModelCost[]): Record<string, unknown> {
  const sel = `namespace="${namespace}", model_name=~"$model"`;
  const gpus = models.map((m) => `${LLM_RECORDED.replicas}{namespace="${namespace}",model_name="${m.modelId}"} * ${num(m.gpusPerReplica)}`).join(" or ");
  return dashboard({
    uid: "ml-platform-llm",
    title: "ML platform / LLM serving",
    description: "vLLM per model: latency objectives, queue and KV cache, preemptions, throughput per GPU and cost per million tokens (node On-Demand prices).",
    tags: ["ml-platform", "inference", "vllm"],
    variables: [{ name: "model", label: "Model", metric: "vllm:num_requests_running", labelName: "model_name" }],
    rows: [
      {
        title: "Latency",
        panels: [
          { title: "p99 time to first token", type: "timeseries", unit: "s", queries: [{ expr: `${LLM_RECORDED.ttftP99}{${sel}}`, legend: "{{model_name}}" }] },
          { title: "p99 inter-token latency", type: "timeseries", unit: "s", queries: [{ expr: `${LLM_RECORDED.itlP99}{${sel}}`, legend: "{{model_name}}" }] },
        ],
      },
      {
        title: "Load",
        panels: [
          { title: "Requests waiting", type: "timeseries", unit: "short", queries: [{ expr: `sum by (model_name) (vllm:num_requests_waiting{${sel}})`, legend: "{{model_name}}" }] },
          { title: "KV-cache usage", type: "timeseries", unit: "percentunit", max: 1, queries: [{ expr: `max by (model_name, pod) (vllm:kv_cache_usage_perc{${sel}})`, legend: "{{model_name}} {{pod}}" }] },
          { title: "Preemptions per second", type: "timeseries", unit: "short", queries: [{ expr: `sum by (model_name) (rate(vllm:num_preemptions_total{${sel}}[$__rate_interval]))`, legend: "{{model_name}}" }] },
          { title: "Replicas", type: "timeseries", unit: "short", queries: [{ expr: `${LLM_RECORDED.replicas}{${sel}}`, legend: "{{model_name}}" }] },
        ],
      },
      {
        title: "Throughput and cost",
        panels: [
          {
            title: "Generated tokens per second per GPU",
            type: "timeseries",
            unit: "short",
            description: "A MIG slice or time-slice counts as its fraction of a GPU.",
            queries: [{ expr: models.length ? `${LLM_RECORDED.tokensPerSecond}{${sel}} / on (namespace, model_name) (${gpus})` : `${LLM_RECORDED.tokensPerSecond}{${sel}}`, legend: "{{model_name}}" }],
          },
          {
            title: "USD per million generated tokens",
            type: "timeseries",
            unit: "currencyUSD",
            description: "Replica-hours at the node's On-Demand price (a share of it on shared GPUs) over tokens generated; spot and idle time make the real figure differ.",
            queries: [{ expr: `${LLM_RECORDED.usdPerHour}{${sel}} / on (namespace, model_name) (${LLM_RECORDED.tokensPerSecond}{${sel}} * 3600 / 1e6 > 0)`, legend: "{{model_name}}" }],
          },
        ],
      },
    ],
  });
}
