/**
 * Types and argument signatures of PromQL functions and aggregations (Prometheus 3, stable only). Part of the
 * parser in promql.ts.
 */

/** The four PromQL value types. */
export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** Argument types of the stable functions; `variadic` repeats the last type, `optional` counts trailing optional args. */
export interface FunctionSignature {
  readonly args: readonly ValueType[];
  readonly returns: ValueType;
  readonly optional?: number;
  readonly variadic?: boolean;
}

const v = "vector" as const;
const m = "matrix" as const;
const s = "scalar" as const;
const str = "string" as const;
const vectorFn: FunctionSignature = { args: [v], returns: v };
const rangeFn: FunctionSignature = { args: [m], returns: v };
const dateFn: FunctionSignature = { args: [v], returns: v, optional: 1 };

/** Stable functions of Prometheus 3 (experimental ones such as `mad_over_time` or `info` are left out on purpose). */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  abs: vectorFn,
  absent: vectorFn,
  absent_over_time: rangeFn,
  acos: vectorFn,
  acosh: vectorFn,
  asin: vectorFn,
  asinh: vectorFn,
  atan: vectorFn,
  atanh: vectorFn,
  avg_over_time: rangeFn,
  ceil: vectorFn,
  changes: rangeFn,
  clamp: { args: [v, s, s], returns: v },
  clamp_max: { args: [v, s], returns: v },
  clamp_min: { args: [v, s], returns: v },
  cos: vectorFn,
  cosh: vectorFn,
  count_over_time: rangeFn,
  day_of_month: dateFn,
  day_of_week: dateFn,
  day_of_year: dateFn,
  days_in_month: dateFn,
  deg: vectorFn,
  delta: rangeFn,
  deriv: rangeFn,
  exp: vectorFn,
  floor: vectorFn,
  histogram_avg: vectorFn,
  histogram_count: vectorFn,
  histogram_fraction: { args: [s, s, v], returns: v },
  histogram_quantile: { args: [s, v], returns: v },
  histogram_stddev: vectorFn,
  histogram_stdvar: vectorFn,
  histogram_sum: vectorFn,
  hour: dateFn,
  idelta: rangeFn,
  increase: rangeFn,
  irate: rangeFn,
  label_join: { args: [v, str, str, str], returns: v, variadic: true },
  label_replace: { args: [v, str, str, str, str], returns: v },
  last_over_time: rangeFn,
  ln: vectorFn,
  log10: vectorFn,
  log2: vectorFn,
  max_over_time: rangeFn,
  min_over_time: rangeFn,
  minute: dateFn,
  month: dateFn,
  pi: { args: [], returns: s },
  predict_linear: { args: [m, s], returns: v },
  present_over_time: rangeFn,
  quantile_over_time: { args: [s, m], returns: v },
  rad: vectorFn,
  rate: rangeFn,
  resets: rangeFn,
  round: { args: [v, s], returns: v, optional: 1 },
  scalar: { args: [v], returns: s },
  sgn: vectorFn,
  sin: vectorFn,
  sinh: vectorFn,
  sort: vectorFn,
  sort_desc: vectorFn,
  sqrt: vectorFn,
  stddev_over_time: rangeFn,
  stdvar_over_time: rangeFn,
  sum_over_time: rangeFn,
  tan: vectorFn,
  tanh: vectorFn,
  time: { args: [], returns: s },
  timestamp: vectorFn,
  vector: { args: [s], returns: v },
  year: dateFn,
};

/** Aggregation operators; the value is the type of their leading parameter, if any. */
export const AGGREGATIONS: Readonly<Record<string, ValueType | undefined>> = {
  avg: undefined,
  bottomk: s,
  count: undefined,
  count_values: str,
  group: undefined,
  max: undefined,
  min: undefined,
  quantile: s,
  stddev: undefined,
  stdvar: undefined,
  sum: undefined,
  topk: s,
};
