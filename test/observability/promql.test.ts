// The PromQL checks the tests run on Prometheus's own grammar (test/helpers/promql.ts, promql-labels.ts): what they
// accept, and a failing case for every check they add to the grammar. promtool runs the real parser in
// test/observability/promtool.verify.ts.
import { metricNames, parsePromql, promqlProblems, stringValue, valueType } from "../helpers/promql";
import { PROMQL_FUNCTIONS } from "../helpers/promql-functions.generated";
import { labelFlow, type LabelCatalog } from "../helpers/promql-labels";

const typeOf = (expr: string) => {
  const q = parsePromql(expr);
  return valueType(q, q.root);
};

describe("PromQL: queries Prometheus v3.14 accepts", () => {
  test.each([
    ["up", "vector"],
    ["1", "scalar"],
    ['"a string"', "string"],
    ["-Inf", "scalar"],
    ["0x1f + 1e3 * .5", "scalar"],
    ['http_requests_total{job="api", code=~"5..", method!="GET", path!~"/health.*",}', "vector"],
    ['{__name__="up", job="x"}', "vector"],
    ["rate(http_requests_total[5m])", "vector"],
    ["rate(http_requests_total[1h30m] offset -5m)", "vector"],
    ["http_requests_total @ 1609746000", "vector"],
    ["http_requests_total[5m] @ end() offset 1h", "matrix"],
    ["max_over_time(rate(x[5m])[1h:])", "vector"],
    ["max_over_time(rate(x[5m])[1h:1m] offset 1d)", "vector"],
    ["sum by (job) (rate(x[5m]))", "vector"],
    ["sum(rate(x[5m])) without (instance)", "vector"],
    ["topk(3, sum by (a, b) (x))", "vector"],
    ['count_values("version", build_info)', "vector"],
    ["histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))", "vector"],
    ["a / on (node) group_left (nodepool) b", "vector"],
    ["a * ignoring (code) group_right c", "vector"],
    ["a > bool 3", "vector"],
    ["1 < bool 2", "scalar"],
    ["a and on (x) b or c unless d", "vector"],
    ['label_replace(up, "dst", "$1", "src", "(.*)")', "vector"],
    ['label_join(up, "dst", ",", "a", "b", "c")', "vector"],
    ["round(x)", "vector"],
    ["round(x, 0.5)", "vector"],
    ["time() - 60", "scalar"],
    ["vector(1) or absent(up)", "vector"],
    ["# a comment\nup # trailing\n", "vector"],
    ["deriv(recorded:metric:rate5m[15m]) > 0", "vector"],
    ["`raw\\string`", "string"],
  ])("%s is a valid %s", (expr, type) => {
    expect(promqlProblems(expr)).toEqual([]);
    expect(typeOf(expr)).toBe(type);
  });

  test("lists the metric names a query reads", () => {
    expect(metricNames('sum(rate(b_total[5m])) / on (x) group_left a + {__name__="c"} + {job="no-name"} + b_total')).toEqual(["a", "b_total", "c"]);
  });

  test("decodes Go string escapes", () => {
    expect(stringValue('"a\\"b\\n\\x41\\u00e9\\101"')).toBe('a"b\nAéA');
    expect(stringValue("`a\\n`")).toBe("a\\n");
  });

  test("takes arity and types from Prometheus's own function table", () => {
    expect(PROMQL_FUNCTIONS.rate).toEqual({ args: ["matrix"], returns: "vector" });
    expect(PROMQL_FUNCTIONS.label_join).toEqual({ args: ["vector", "string", "string", "string"], returns: "vector", variadic: -1 });
    expect(PROMQL_FUNCTIONS.mad_over_time.experimental).toBe(true);
  });
});

describe("PromQL: fails what Prometheus v3.14 rejects", () => {
  test.each([
    // The grammar's own errors.
    ["", "empty expression"],
    ["sum(rate(x[5m])", "syntax error at character 16 at the end"],
    ["nosuchfunc(x)", 'unknown function "nosuchfunc" at character 1'],
    ["x[5mm]", "syntax error at character 5"],
    ["x[5m30h]", "syntax error at character 5"],
    ['x{job="a" code="b"}', "syntax error at character 11"],
    ["x{job=a}", "syntax error at character 7"],
    ["a * group_left b", "syntax error at character 5"],
    ["sum by (a) (x) by (b)", "syntax error at character 16"],
    ["rate(x[$__rate_interval])", "syntax error at character 8"],
    // What Prometheus's parser adds (checkAST), written on the tree.
    ["rate(x)", 'expected type range vector in call to function "rate", got instant vector'],
    ["rate(x[5m], 1)", 'expected 1 argument(s) in call to "rate", got 2'],
    ["round(x, 1, 2)", 'expected at most 2 argument(s) in call to "round", got 3'],
    ["label_join(x)", 'expected at least 3 argument(s) in call to "label_join", got 1'],
    ["rate(x[5m] + 1)", "binary expression must contain only scalar and instant vector types"],
    ["sum(x[5m])", "expected type instant vector in aggregation expression, got range vector"],
    ["topk(x)", "wrong number of arguments for aggregate expression provided, expected 2, got 1"],
    ['topk("3", x)', "expected type scalar in aggregation parameter, got string"],
    ["mad_over_time(x[5m])", 'function "mad_over_time" is experimental and not enabled'],
    ["limitk(2, x)", "limitk() is experimental"],
    ["x[5m] anchored", "anchored modifier is experimental and not enabled"],
    ["a + fill(0) b", "binop fill modifiers are experimental and not enabled"],
    ["x[5m+1m]", "experimental duration expression is not enabled"],
    ["x[0s]", "duration must be greater than 0"],
    ["(x + y)[5m]", "ranges only allowed for vector selectors"],
    ["x offset 5m [5m]", "ranges only allowed for vector selectors"],
    ["x offset 5m offset 1h", "offset may not be set multiple times"],
    ["sum(x) offset 5m", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"],
    ["rate(x[5m])[1h:] @ 100 @ 200", "@ may not be set multiple times"],
    ["- x[5m]", "ranges only allowed for vector selectors"],
    ['{job=~".*"}', "vector selector must contain at least one non-empty matcher"],
    ['x{__name__="y"}', 'metric name must not be set twice: "x" or "y"'],
    ['x{job=~"("}', "invalid regular expression for label job"],
    ['"unterminated', "unterminated quoted string"],
    ['"bad \\q escape"', "unknown escape sequence \\q"],
    ["1 > 2", "comparisons between scalars must use BOOL modifier"],
    ["a + bool b", "bool modifier can only be used on comparison operators"],
    ["a and 1", 'set operator "and" not allowed in binary scalar expression'],
    ["a and on (x) group_left b", 'no grouping allowed for "and" operation'],
    ["1 + on (x) a", "vector matching only allowed between instant vectors"],
    ["a / on (x) group_left (x) b", 'label "x" must not occur in ON and GROUP clause at once'],
    ['label_replace(up, "bad-label", "$1", "src", "(.*)")', 'invalid destination label name in label_replace(): "bad-label"'],
    ['label_replace(up, "dst", "$1", "src", "(")', 'invalid regular expression in label_replace(): "("'],
  ])("fails %j", (expr, message) => {
    expect(promqlProblems(expr).join("\n")).toContain(message);
  });
});

describe("PromQL: labels against the series' labels", () => {
  const catalog: LabelCatalog = (m) =>
    ({ requests: new Set(["namespace", "pod", "resource"]), phase: new Set(["namespace", "pod", "phase"]), nodes: new Set(["node", "label_pool"]), cap: new Set(["node", "resource"]) })[m];
  const check = (expr: string) => labelFlow(expr, catalog);

  test("follows labels through aggregation, matching and label_replace", () => {
    expect(check('sum by (namespace, pod) (requests{resource="gpu"}) > 0 and on (namespace, pod) (phase{phase="Pending"} == 1)')).toEqual({ labels: new Set(["namespace", "pod"]), problems: [] });
    expect(check('cap * on (node) group_left (pool) max by (node, pool) (label_replace(nodes, "pool", "$1", "label_pool", "(.+)"))').labels).toEqual(new Set(["node", "resource", "pool"]));
    expect(check("sum without (pod) (requests)").labels).toEqual(new Set(["namespace", "resource"]));
    expect(check("requests / on (pod) phase").labels).toEqual(new Set(["pod"]));
    expect(check("count(requests) or vector(0)").labels).toEqual(new Set());
  });

  test.each([
    ["sum by (namespce) (requests)", 'sum by label "namespce" is not on requests (its labels: namespace, pod, resource)'],
    ['requests{resorce="gpu"}', 'matcher label "resorce" is not on requests{resorce="gpu"}'],
    ["requests * on (node) cap", 'on() label "node" is not on requests'],
    ["cap * on (node) group_left (pool) nodes", 'group_left() label "pool" is not on nodes'],
    ['label_replace(nodes, "pool", "$1", "label_pol", "(.+)")', 'label_replace() source label "label_pol" is not on nodes'],
    ["sum by (node) (sum by (namespace) (requests))", 'sum by label "node" is not on sum by (namespace) (requests)'],
    ["undocumented_metric", "no documented labels for metric undocumented_metric"],
  ])("fails %s", (expr, message) => {
    expect(check(expr).problems.join("\n")).toContain(message);
  });
});
