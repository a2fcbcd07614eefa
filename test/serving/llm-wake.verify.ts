// Scale-from-zero wakes on the first request: promtool evaluates the `incoming` KEDA trigger of a scale-to-zero model
// (constructs/serving/llm-autoscaling.ts) over the router's counter as vllm-stack 0.1.12's router exposes it. The
// router creates the series already at 1 on the first request, so a rate over it alone stays 0 (the failing case).
import { stringify } from "yaml";
import { llmScalingQueries } from "../../constructs/serving/llm-autoscaling";
import { promtool } from "../helpers/promtool-tests";

const MODEL = "Qwen/Qwen2.5-1.5B-Instruct";
const SERIES = `vllm:num_incoming_requests_total{namespace="llm",model="${MODEL}",pod="vllm-router-7d9f-abcde"}`;
/** 15 s scrapes: no series for 10 minutes, one request at 10m, none after; a second router pod gets 3 requests at 30m-31m. */
const INPUT = [
  { series: SERIES, values: "_x40 1x120" },
  { series: SERIES.replace("abcde", "fghij"), values: "_x120 1 2 3 3x20" },
];

/** A promtool test file evaluating `expr` at the given minutes against the expected value (an unlabelled sample). */
function testFile(expr: string, expected: ReadonlyArray<readonly [minutes: number, value: number]>): string {
  return stringify(
    {
      rule_files: [],
      evaluation_interval: "15s",
      tests: [{ interval: "15s", input_series: INPUT, promql_expr_test: expected.map(([m, value]) => ({ expr, eval_time: `${m * 60}s`, exp_samples: [{ labels: "{}", value }] })) }],
    },
    { lineWidth: 0 },
  );
}

const run = (expr: string, expected: ReadonlyArray<readonly [number, number]>) => promtool(["test", "rules", "wake.yaml"], { "wake.yaml": testFile(expr, expected) });

describe("waking a scaled-to-zero vLLM model (KEDA trigger `incoming`)", () => {
  const { incoming } = llmScalingQueries({ namespace: "llm", routerNamespace: "llm", modelId: MODEL });

  test("is 0 before any request, at least 1 within 2 minutes of the first request, and 0 again once requests stop", () => {
    // 9m: no series. 10m15s-12m: the new series. 15m-29m: idle (KEDA may scale back to zero after its cooldown).
    const result = run(incoming, [[9, 0], [10.25, 1], [11.75, 1], [15, 0], [29, 0]]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
    // A restarted router pod's first requests: its new series and their rate both count.
    const restarted = run(`(${incoming}) > bool 1`, [[31, 1]]);
    expect(restarted.output).toContain("SUCCESS");
  });

  test("the check can fail: a rate of the counter alone never wakes the model on a first request", () => {
    const rateOnly = `sum(rate(vllm:num_incoming_requests_total{namespace="llm",model="${MODEL}"}[2m])) or vector(0)`;
    const result = run(rateOnly, [[11, 1]]);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/exp: \{\} 1E\+00\s+got: \{\} 0E\+00/);
  });
});
