/**
 * promtool cases for the LLM alerts (constructs/serving/llm-observability.ts), built from an environment's
 * `ml.llm.alerts`: for each alert, series under which it fires and series under which it stays quiet.
 */
import type { LlmAlertThresholds } from "../../constructs/serving/llm-observability";
import type { AlertCase, InputSeries } from "./alert-scenarios";

const MODEL = { namespace: "llm", model_name: "Qwen/Qwen2.5-1.5B-Instruct" };
const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({ metric, labels, values });

/** Cumulative histogram buckets of one engine where every observation (one a second) falls in (`low`, `high`]. */
function histogram(metric: string, low: number, high: number, minutes: number): InputSeries[] {
  const labels = { ...MODEL, pod: "qwen-0", engine: "0" };
  return [
    series(`${metric}_bucket`, { ...labels, le: String(low) }, `0+0x${minutes}`),
    series(`${metric}_bucket`, { ...labels, le: String(high) }, `0+60x${minutes}`),
    series(`${metric}_bucket`, { ...labels, le: "+Inf" }, `0+60x${minutes}`),
  ];
}

/** The cases of the five LLM alerts. */
export function llmAlertCases(t: LlmAlertThresholds): AlertCase[] {
  const m = t.forMinutes;
  const at = m + 7;
  const n = at + 5;
  const latency = (alert: string, metric: string, threshold: number): AlertCase[] => [
    // All observations in (t, 4t]: the interpolated p99 is t + 0.99 * 3t.
    { alert, title: `fires with p99 over ${threshold}s for ${m} min`, series: histogram(metric, threshold, 4 * threshold, n), atMinutes: at, fires: [{ labels: MODEL, value: threshold + 0.99 * 3 * threshold }] },
    { alert, title: `quiet with p99 under ${threshold}s`, series: histogram(metric, 0, threshold / 2, n), atMinutes: at, fires: [] },
  ];
  const engine = (pod: string) => ({ ...MODEL, pod, engine: "0" });
  return [
    ...latency("LlmTimeToFirstTokenHigh", "vllm:time_to_first_token_seconds", t.timeToFirstTokenP99Seconds),
    ...latency("LlmInterTokenLatencyHigh", "vllm:inter_token_latency_seconds", t.interTokenLatencyP99Seconds),
    {
      alert: "LlmRequestsQueued",
      title: `fires with ${2 * t.waitingRequests} waiting over two engines`,
      series: [series("vllm:num_requests_waiting", engine("qwen-0"), `${t.waitingRequests}+0x${n}`), series("vllm:num_requests_waiting", engine("qwen-1"), `${t.waitingRequests}+0x${n}`)],
      atMinutes: at,
      fires: [{ labels: MODEL, value: 2 * t.waitingRequests }],
    },
    { alert: "LlmRequestsQueued", title: `quiet at exactly ${t.waitingRequests} waiting`, series: [series("vllm:num_requests_waiting", engine("qwen-0"), `${t.waitingRequests}+0x${n}`)], atMinutes: at, fires: [] },
    {
      alert: "LlmKvCacheFull",
      title: "fires on the engine whose KV cache is full",
      series: [series("vllm:kv_cache_usage_perc", engine("qwen-0"), `1+0x${n}`), series("vllm:kv_cache_usage_perc", engine("qwen-1"), `0.5+0x${n}`)],
      atMinutes: at,
      fires: [{ labels: { ...MODEL, pod: "qwen-0" }, value: 100 }],
    },
    { alert: "LlmKvCacheFull", title: "quiet at half usage", series: [series("vllm:kv_cache_usage_perc", engine("qwen-0"), `0.5+0x${n}`)], atMinutes: at, fires: [] },
    { alert: "LlmPreemptions", title: `fires after ${m} min of preemptions`, series: [series("vllm:num_preemptions_total", engine("qwen-0"), `0+60x${n}`)], atMinutes: at, fires: [{ labels: MODEL, value: 1 }] },
    { alert: "LlmPreemptions", title: "quiet without preemptions", series: [series("vllm:num_preemptions_total", engine("qwen-0"), `0+0x${n}`)], atMinutes: at, fires: [] },
  ];
}
