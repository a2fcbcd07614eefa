import { metricNames, parsePromQL, promqlProblem, typeOf } from "../../constructs/observability/promql";

describe("PromQL parser: valid expressions", () => {
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
    ["quantile(0.99, x)", "vector"],
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
    ["clamp(x, 0, 100)", "vector"],
    ["2 ^ 3 ^ 2", "scalar"],
    ["# a comment\nup # trailing\n", "vector"],
    ["deriv(recorded:metric:rate5m[15m]) > 0", "vector"],
    ["sum(x) by (a)", "vector"],
    ["`raw\\string`", "string"],
  ])("%s parses as %s", (expr, type) => {
    expect(promqlProblem(expr)).toBeUndefined();
    expect(typeOf(parsePromQL(expr))).toBe(type);
  });

  test("respects precedence: * before +, ^ right-associative, unary minus looser than ^", () => {
    const node = parsePromQL("1 + 2 * 3");
    expect(node).toMatchObject({ kind: "binary", op: "+", rhs: { kind: "binary", op: "*" } });
    expect(parsePromQL("2 ^ 3 ^ 2")).toMatchObject({ op: "^", lhs: { kind: "number", value: 2 }, rhs: { op: "^" } });
    expect(parsePromQL("-2 ^ 2")).toMatchObject({ kind: "unary", op: "-", expr: { kind: "binary", op: "^" } });
    expect(parsePromQL("a or b and c")).toMatchObject({ op: "or", rhs: { op: "and" } });
    expect(parsePromQL("a - b - c")).toMatchObject({ op: "-", lhs: { op: "-" } });
  });

  test("lists the metric names an expression reads", () => {
    expect(metricNames('sum(rate(b_total[5m])) / on (x) group_left a + {__name__="c"} + {job="no-name"} + b_total')).toEqual(["a", "b_total", "c"]);
  });

  test("decodes string escapes", () => {
    expect(parsePromQL('"a\\"b\\n\\x41\\u00e9\\101"')).toEqual({ kind: "string", value: 'a"b\nAéA' });
  });
});

describe("PromQL parser: fails invalid expressions", () => {
  test.each([
    ["", "empty expression (at character 1)"],
    ["sum(rate(x[5m])", 'expected ")" to close sum(...), got end of input'],
    ["rate(x)", "argument 1 of rate() must be range vector, got instant vector"],
    ["rate(x[5m] + 1)", 'binary "+" needs scalars or instant vectors, got range vector'],
    ["sum(x[5m])", "sum() aggregates an instant vector, got range vector"],
    ["topk(x)", "topk() takes 2 argument(s), got 1"],
    ['topk("3", x)', "the parameter of topk() must be scalar, got string"],
    ["rate(x[5m], 1)", "rate() takes 1 argument(s), got 2"],
    ["round(x, 1, 2)", "round() takes 1 to 2 argument(s), got 3"],
    ["nosuchfunc(x)", 'unknown or experimental function "nosuchfunc"'],
    ["mad_over_time(x[5m])", 'unknown or experimental function "mad_over_time"'],
    ["limitk(2, x)", 'unknown or experimental function "limitk"'],
    ["x[5]", 'expected a duration like 5m for the range, got "5"'],
    ["x[5mm]", 'bad number or duration "5mm"'],
    ["x[5m", 'expected "]" to close the range, got "end of input"'],
    ["x[0s]", 'range duration must be positive, got "0s"'],
    ["x[5m30h]", 'duration "5m30h" must list each unit once, from largest to smallest'],
    ["(x + y)[5m]", "a range [..] can only follow an instant vector selector"],
    ["x offset 5m [5m]", "offset and @ must come after the range, not before it"],
    ["x offset 5m offset 1h", "offset may only be given once"],
    ["sum(x) offset 5m", "offset must follow a selector or a subquery, not a aggregate"],
    ["(x) offset 5m", "offset must follow a selector or a subquery, not a parenthesized expression"],
    ["x @ now()", '@ needs a Unix timestamp, start() or end(), got "now"'],
    ["x + 5m", 'duration "5m" is only allowed in [..] ranges and after offset'],
    ['{job=~".*"}', "a selector without a metric name needs at least one matcher that does not match the empty string"],
    ['x{job="a" code="b"}', 'expected "," between label matchers, got "code"'],
    ["x{job=a}", 'label job must be compared with a quoted string, got "a"'],
    ['x{job=="a"}', 'expected =, !=, =~ or !~ after label job, got "=="'],
    ['x{job=~"("}', "invalid regular expression for label job"],
    ['x{__name__="y"}', 'metric name "x" is given twice (also as __name__)'],
    ['"unterminated', "unterminated string"],
    ['"bad \\q escape"', 'unknown escape sequence "\\q" in string'],
    ["1 > 2", "comparison between two scalars needs the bool modifier"],
    ["a + bool b", 'bool modifier can only be used on comparison operators, not "+"'],
    ["a and 1", 'set operator "and" needs instant vectors on both sides'],
    ["a and on (x) group_left b", 'no grouping allowed for "and" operation'],
    ["a * group_left b", "group_left needs on(...) or ignoring(...) before it"],
    ["1 + on (x) a", 'vector matching (on/ignoring) needs instant vectors on both sides of "+"'],
    ["a / on (x.y) b", 'unexpected character "."'],
    ["a / on (x, 1) b", 'expected a label name in on(...), got "1"'],
    ["sum by (a) (x) by (b)", "sum: only one by/without clause is allowed"],
    ["sum", "aggregation sum needs its argument in parentheses"],
    ["x y", 'unexpected "y" after a complete expression'],
    ['label_replace(up, "bad-label", "$1", "src", "(.*)")', 'label_replace(): "bad-label" is not a valid label name'],
    ['label_replace(up, "dst", "$1", "src", "(")', "label_replace(): invalid regular expression"],
    ["-rate(x[5m])[5m]", "a range [..] can only follow an instant vector selector"],
    ["- x[5m]", 'unary "-" needs a scalar or instant vector, got range vector'],
    ["by", 'unexpected keyword "by"'],
    ["x $ y", 'unexpected character "$"'],
    ["rate(x[$__rate_interval])", 'unexpected character "$"'],
  ])("fails %s", (expr, message) => {
    expect(promqlProblem(expr)).toContain(message);
  });
});
