/**
 * Evaluates the conditions the canary AnalysisTemplates use, as Argo Rollouts v1.9.0 does (utils/evaluate/evaluate.go,
 * expr): the Prometheus provider hands a vector's sample values to the condition as `result`, a list of floats
 * (metricproviders/prometheus processResponse). Only the forms the platform writes are accepted,
 * `len(result) == N && result[0] <op> <number>` and the literal `false`, so a condition of another shape fails the test
 * that reads it instead of being evaluated wrongly. Go's float comparisons with NaN are false, as JavaScript's are.
 */
export type AnalysisPhase = "Successful" | "Failed" | "Inconclusive";

const FORM = /^len\(result\) == (\d+) && result\[0\] (>=|<=|==|!=|<|>) (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;

/** Whether one condition holds for a query result. */
export function conditionHolds(condition: string, result: readonly number[]): boolean {
  if (condition === "false") return false;
  const m = FORM.exec(condition);
  if (!m) throw new Error(`not a condition form this evaluator knows: ${condition}`);
  const [, n, op, threshold] = m;
  if (result.length !== Number(n)) return false;
  const v = result[0];
  const t = Number(threshold);
  switch (op) {
    case ">=": return v >= t;
    case "<=": return v <= t;
    case "==": return v === t;
    case "!=": return v !== t;
    case "<": return v < t;
    default: return v > t;
  }
}

/**
 * A measurement's phase as EvaluateResult decides it: without a failure condition, not successful is Failed; with
 * both, the failure condition wins, and neither holding is Inconclusive.
 */
export function evaluateMetric(metric: { readonly successCondition: string; readonly failureCondition?: string }, result: readonly number[]): AnalysisPhase {
  const success = conditionHolds(metric.successCondition, result);
  const failure = metric.failureCondition === undefined ? !success : conditionHolds(metric.failureCondition, result);
  if (failure) return "Failed";
  return success ? "Successful" : "Inconclusive";
}

/** The phase under a success condition alone (no failureCondition: not successful is Failed). */
export function evaluateCondition(condition: string, result: readonly number[]): AnalysisPhase {
  return evaluateMetric({ successCondition: condition }, result);
}
