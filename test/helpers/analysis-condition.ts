/**
 * Evaluates the success conditions the canary AnalysisTemplates use, as Argo Rollouts v1.9.0 does (utils/evaluate
 * with expr): the Prometheus provider hands a vector's sample values to the condition as `result`, a list of floats
 * (metricproviders/prometheus processResponse). Only the one form the platform writes is accepted,
 * `len(result) == N && result[0] <op> <number>`, so a condition of another shape fails the test that reads it instead
 * of being evaluated wrongly. Go's float comparisons with NaN are false, as JavaScript's are.
 */
export type AnalysisPhase = "Successful" | "Failed";

const FORM = /^len\(result\) == (\d+) && result\[0\] (>=|<=|==) (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;

/** The measurement's phase for a query result under `condition` (no failureCondition: not successful is Failed). */
export function evaluateCondition(condition: string, result: readonly number[]): AnalysisPhase {
  const m = FORM.exec(condition);
  if (!m) throw new Error(`not a condition form this evaluator knows: ${condition}`);
  const [, n, op, threshold] = m;
  if (result.length !== Number(n)) return "Failed";
  const v = result[0];
  const t = Number(threshold);
  const ok = op === ">=" ? v >= t : op === "<=" ? v <= t : v === t;
  return ok ? "Successful" : "Failed";
}
