/**
 * PromQL checks for the tests, on the syntax tree of Prometheus's own grammar (@prometheus-io/lezer-promql, the
 * parser of Prometheus's web UI). The grammar marks syntax errors (unknown functions included) with error nodes but
 * is untyped and permissive: it accepts any number of arguments of any type, ranges after any expression and the
 * experimental features the clusters do not enable. What Prometheus's parser checks on top (promql/parser/parse.go
 * `checkAST` at v3.14.0) is checked here on the tree, with arity and types from Prometheus's function table, so a
 * mistake fails `npm test`; `promtool check rules` (`npm run verify`) then runs the real parser over the same queries.
 */
import { parser } from "@prometheus-io/lezer-promql";
import { PROMQL_FUNCTIONS, type ValueType } from "./promql-functions.generated";

/** A node of the lezer syntax tree. */
export type PromqlNode = ReturnType<typeof parser.parse>["topNode"];

/** A parsed query: its text and the node of its expression. */
export interface ParsedPromql {
  readonly expr: string;
  readonly root: PromqlNode;
}

/** A label matcher of a selector, string values unquoted. */
export interface Matcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

/** Aggregations with a leading parameter and its type (parse.go checkAST). */
const AGGREGATION_PARAM: Readonly<Record<string, ValueType>> = { topk: "scalar", bottomk: "scalar", quantile: "scalar", limitk: "scalar", limit_ratio: "scalar", count_values: "string" };
/** Aggregations behind --enable-feature=promql-experimental-functions (lex.go IsExperimentalAggregator). */
const EXPERIMENTAL_AGGREGATIONS = new Set(["limitk", "limit_ratio"]);
const COMPARISON_OPS = new Set(["Eql", "Neq", "Gtr", "Lss", "Gte", "Lte"]);
const SET_OPS = new Set(["And", "Or", "Unless"]);
const MODIFIED = new Set(["OffsetExpr", "StepInvariantExpr"]);
const SELECTABLE = new Set(["VectorSelector", "MatrixSelector", "SubqueryExpr"]);
const DOCUMENTED: Readonly<Record<ValueType, string>> = { vector: "instant vector", matrix: "range vector", scalar: "scalar", string: "string" };

/** The child nodes of a node, in order. */
export function children(n: PromqlNode): PromqlNode[] {
  const out: PromqlNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** The expression children of a node (the grammar's `Expr` group). */
export const operands = (n: PromqlNode): PromqlNode[] => children(n).filter((c) => c.type.is("Expr"));

const child = (n: PromqlNode, name: string) => children(n).find((c) => c.name === name);

/** The value of a PromQL string literal ("…", '…' or `…`). */
export function stringValue(raw: string): string {
  if (raw.startsWith("`")) return raw.slice(1, -1);
  const escapes: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'" };
  return raw.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (all, e: string) => {
    if (e.length === 1) return escapes[e] ?? all;
    return String.fromCodePoint(parseInt(/^[0-7]/.test(e) ? e : e.slice(1), /^[0-7]/.test(e) ? 8 : 16));
  });
}

/**
 * Parses a query; throws naming the first syntax error the grammar reports (later ones follow from it). The grammar
 * only knows Prometheus's function names, so a call of any other name is an error at its parenthesis.
 */
export function parsePromql(expr: string): ParsedPromql {
  const tree = parser.parse(expr);
  let error: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && error === undefined) error = n.from;
    },
  });
  const root = operands(tree.topNode)[0];
  if (error === undefined && root) return { expr, root };
  if (!expr.trim()) throw new Error("empty expression");
  const at = error ?? expr.length;
  const call = expr[at] === "(" ? /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(expr.slice(0, at)) : null;
  const near = at < expr.length ? `near "${expr.slice(at, at + 20)}"` : "at the end";
  throw new Error(call ? `unknown function "${call[1]}" at character ${at - call[1].length + 1}` : `syntax error at character ${at + 1} ${near}: ${expr}`);
}

/** The name of the function a FunctionCall node calls, or of the aggregation of an AggregateExpr. */
export function operatorName(q: ParsedPromql, n: PromqlNode): string {
  const id = child(n, n.name === "FunctionCall" ? "FunctionIdentifier" : "AggregateOp");
  return id ? q.expr.slice(id.from, id.to) : "";
}

/** The arguments of a function call or aggregation. */
export const callArgs = (n: PromqlNode): PromqlNode[] => operands(child(n, "FunctionCallBody") ?? n);

/** The label names of a `by (…)`, `on (…)` or `group_left (…)` list. */
export function groupingLabels(q: ParsedPromql, n: PromqlNode | undefined): string[] {
  return n ? children(n).map((c) => (c.name === "QuotedLabelName" ? stringValue(q.expr.slice(c.from, c.to)) : q.expr.slice(c.from, c.to))) : [];
}

/** A selector's metric name (identifier, `__name__="…"` or a quoted name) and label matchers. */
export function selector(q: ParsedPromql, n: PromqlNode): { name?: string; matchers: Matcher[] } {
  const at = (c: PromqlNode) => q.expr.slice(c.from, c.to);
  const id = child(n, "Identifier");
  const matchers: Matcher[] = [];
  let name = id ? at(id) : undefined;
  for (const m of children(child(n, "LabelMatchers") ?? n).filter((c) => c.name !== "Identifier")) {
    if (m.name === "QuotedLabelName") {
      name = stringValue(at(m));
      continue;
    }
    const [label, op, value] = children(m);
    const labelName = label.name === "QuotedLabelName" ? stringValue(at(label)) : at(label);
    matchers.push({ label: labelName, op: at(op) as Matcher["op"], value: stringValue(at(value)) });
  }
  const byName = matchers.filter((m) => m.label === "__name__" && m.op === "=");
  return { name: name ?? (byName.length === 1 ? byName[0].value : undefined), matchers: matchers.filter((m) => !(m.label === "__name__" && m.op === "=" && !id)) };
}

/** The value type of an expression, as Prometheus types it (no checking). */
export function valueType(q: ParsedPromql, n: PromqlNode): ValueType {
  switch (n.name) {
    case "NumberDurationLiteral":
      return "scalar";
    case "StringLiteral":
      return "string";
    case "VectorSelector":
    case "AggregateExpr":
      return "vector";
    case "MatrixSelector":
    case "SubqueryExpr":
      return "matrix";
    case "FunctionCall":
      return PROMQL_FUNCTIONS[operatorName(q, n)]?.returns ?? "vector";
    case "BinaryExpr":
      return operands(n).every((o) => valueType(q, o) === "scalar") ? "scalar" : "vector";
    default:
      return valueType(q, operands(n)[0]);
  }
}

/** Whether a matcher selects series without the label (an empty value), using JavaScript's regexes for RE2's. */
function matchesEmpty(m: Matcher): boolean {
  const re = () => new RegExp(`^(?:${m.value})$`).test("");
  return m.op === "=" ? m.value === "" : m.op === "!=" ? m.value !== "" : m.op === "=~" ? re() : !re();
}

/** A plain duration (`5m`, `-5m` after offset); anything else is an experimental duration expression. */
function plainDuration(n: PromqlNode): boolean {
  const c = children(n);
  if (c.length === 1 && c[0].name === "NumberDurationLiteralInDurationContext") return true;
  return n.name === "OffsetDurationExpr" && c.length === 2 && c[0].name === "UnaryOp" && plainDuration(c[1]);
}

/** What Prometheus's parser rejects beyond the grammar; each problem names the text it is about. */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly q: ParsedPromql) {}

  private report(n: PromqlNode, message: string): void {
    this.problems.push(`${message} (at character ${n.from + 1}: "${this.q.expr.slice(n.from, n.to)}")`);
  }

  private expect(n: PromqlNode, want: ValueType, context: string): void {
    const got = this.check(n);
    if (got !== want) this.report(n, `expected type ${DOCUMENTED[want]} in ${context}, got ${DOCUMENTED[got]}`);
  }

  /** Checks a node and its operands; returns its type. */
  check(n: PromqlNode): ValueType {
    const [first] = operands(n);
    switch (n.name) {
      case "ParenExpr":
        this.check(first);
        break;
      case "UnaryExpr": {
        const t = this.check(first);
        if (t !== "scalar" && t !== "vector") this.report(n, `unary expression only allowed on expressions of type scalar or instant vector, got ${DOCUMENTED[t]}`);
        break;
      }
      case "VectorSelector":
        this.vectorSelector(n);
        break;
      case "MatrixSelector":
        if (first.name !== "VectorSelector") this.report(n, "ranges only allowed for vector selectors");
        this.check(first);
        this.durations(n);
        break;
      case "SubqueryExpr":
        this.expect(first, "vector", "subquery");
        this.durations(n);
        break;
      case "OffsetExpr":
      case "StepInvariantExpr":
        this.modifier(n);
        break;
      case "AnchoredExpr":
      case "SmoothedExpr":
        this.report(n, `${n.name === "AnchoredExpr" ? "anchored" : "smoothed"} modifier is experimental and not enabled`);
        this.check(first);
        break;
      case "FunctionCall":
        this.call(n);
        break;
      case "AggregateExpr":
        this.aggregation(n);
        break;
      case "BinaryExpr":
        this.binary(n);
        break;
    }
    return valueType(this.q, n);
  }

  private vectorSelector(n: PromqlNode): void {
    const { name, matchers } = selector(this.q, n);
    for (const m of matchers.filter((x) => x.op === "=~" || x.op === "!~")) {
      try {
        new RegExp(m.value);
      } catch (e) {
        this.report(n, `invalid regular expression for label ${m.label}: ${(e as Error).message}`);
      }
    }
    if (name === undefined && matchers.every((m) => safely(() => matchesEmpty(m)))) this.report(n, "vector selector must contain at least one non-empty matcher");
    const named = matchers.find((m) => m.label === "__name__" && m.op === "=");
    if (named && children(n)[0].name === "Identifier") this.report(n, `metric name must not be set twice: "${name}" or "${named.value}"`);
  }

  /** Range and subquery durations: plain and positive (parse.go newMatrixSelector / newSubqueryExpr). */
  private durations(n: PromqlNode): void {
    for (const d of children(n).filter((c) => c.name === "DurationExpr")) {
      if (!plainDuration(d)) this.report(d, "experimental duration expression is not enabled");
      else if (!/[1-9]/.test(this.q.expr.slice(d.from, d.to))) this.report(d, "duration must be greater than 0");
    }
  }

  /** Strings end with their opening quote and use only Go's escapes (lex.go lexString/lexEscape). */
  strings(root: PromqlNode): void {
    for (const n of descendants(root).filter((c) => c.name === "StringLiteral")) {
      const raw = this.q.expr.slice(n.from, n.to);
      const quote = raw[0];
      if (raw.length < 2 || !raw.endsWith(quote) || (quote !== "`" && /(^|[^\\])(\\\\)*\\$/.test(raw.slice(0, -1)))) {
        this.report(n, "unterminated quoted string");
        continue;
      }
      if (quote === "`") continue;
      const escape = new RegExp(`\\\\([abfnrtv\\\\${quote}]|[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})`, "g");
      const bad = /\\./.exec(raw.slice(1, -1).replace(escape, ""));
      if (bad) this.report(n, `unknown escape sequence ${bad[0]}`);
    }
  }

  /** `offset` and `@` follow a selector or subquery, each at most once (parse.go setOffset/setTimestamp). */
  private modifier(n: PromqlNode): void {
    const label = n.name === "OffsetExpr" ? "offset" : "@";
    let base = operands(n)[0];
    while (MODIFIED.has(base.name)) {
      if (base.name === n.name) this.report(n, `${label} may not be set multiple times`);
      base = operands(base)[0];
    }
    if (!SELECTABLE.has(base.name)) this.report(n, `${label} modifier must be preceded by an instant vector selector or range vector selector or a subquery`);
    const duration = child(n, "OffsetDurationExpr");
    if (duration && !plainDuration(duration)) this.report(duration, "experimental duration expression is not enabled");
    this.check(operands(n)[0]);
  }

  private call(n: PromqlNode): void {
    const fn = operatorName(this.q, n);
    const sig = PROMQL_FUNCTIONS[fn];
    const args = callArgs(n);
    if (!sig) {
      this.report(n, `unknown function with name "${fn}" in Prometheus v3.14`);
      args.forEach((a) => this.check(a));
      return;
    }
    if (sig.experimental) this.report(n, `function "${fn}" is experimental and not enabled (--enable-feature=promql-experimental-functions)`);
    const fixed = sig.args.length;
    const variadic = sig.variadic ?? 0;
    if (variadic === 0 && args.length !== fixed) this.report(n, `expected ${fixed} argument(s) in call to "${fn}", got ${args.length}`);
    if (variadic !== 0 && args.length < fixed - 1) this.report(n, `expected at least ${fixed - 1} argument(s) in call to "${fn}", got ${args.length}`);
    if (variadic > 0 && args.length > fixed - 1 + variadic) this.report(n, `expected at most ${fixed - 1 + variadic} argument(s) in call to "${fn}", got ${args.length}`);
    args.forEach((a, i) => {
      if (i >= fixed && variadic === 0) return;
      this.expect(a, sig.args[Math.min(i, fixed - 1)], `call to function "${fn}"`);
    });
    if ((fn === "label_replace" || fn === "label_join") && args[1]?.name === "StringLiteral") {
      const dst = stringValue(this.q.expr.slice(args[1].from, args[1].to));
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(dst)) this.report(args[1], `invalid destination label name in ${fn}(): "${dst}"`);
    }
    if (fn === "label_replace" && args[4]?.name === "StringLiteral") {
      const re = stringValue(this.q.expr.slice(args[4].from, args[4].to));
      if (!safely(() => new RegExp(re))) this.report(args[4], `invalid regular expression in label_replace(): "${re}"`);
    }
  }

  private aggregation(n: PromqlNode): void {
    const op = operatorName(this.q, n);
    const args = callArgs(n);
    if (EXPERIMENTAL_AGGREGATIONS.has(op)) this.report(n, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    const param = AGGREGATION_PARAM[op];
    const want = param ? 2 : 1;
    if (args.length !== want) {
      this.report(n, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
      args.forEach((a) => this.check(a));
      return;
    }
    if (param) this.expect(args[0], param, "aggregation parameter");
    this.expect(args[args.length - 1], "vector", "aggregation expression");
  }

  private binary(n: PromqlNode): void {
    const [lhs, rhs] = operands(n);
    const op = children(n).find((c) => !c.type.is("Expr"))!;
    const [lt, rt] = [this.check(lhs), this.check(rhs)];
    const bool = child(n, "BoolModifier");
    const matching = child(n, "MatchingModifierClause");
    if (bool && !COMPARISON_OPS.has(op.name)) this.report(n, "bool modifier can only be used on comparison operators");
    if (COMPARISON_OPS.has(op.name) && !bool && lt === "scalar" && rt === "scalar") this.report(n, "comparisons between scalars must use BOOL modifier");
    for (const [side, t] of [[lhs, lt], [rhs, rt]] as const) {
      if (t !== "scalar" && t !== "vector") this.report(side, "binary expression must contain only scalar and instant vector types");
    }
    if (child(n, "FillModifier")) this.report(n, "binop fill modifiers are experimental and not enabled");
    if (SET_OPS.has(op.name) && (lt === "scalar" || rt === "scalar")) this.report(n, `set operator "${this.q.expr.slice(op.from, op.to)}" not allowed in binary scalar expression`);
    if (!matching) return;
    const clause = children(matching);
    const on = clause[0].name === "On";
    const grouping = clause.find((c) => c.name === "GroupLeft" || c.name === "GroupRight");
    const matched = groupingLabels(this.q, clause[1]);
    const included = groupingLabels(this.q, grouping ? clause[clause.indexOf(grouping) + 1] : undefined);
    if ((lt !== "vector" || rt !== "vector") && matched.length) this.report(n, "vector matching only allowed between instant vectors");
    if (SET_OPS.has(op.name) && grouping) this.report(n, `no grouping allowed for "${this.q.expr.slice(op.from, op.to)}" operation`);
    for (const l of included) if (on && matched.includes(l)) this.report(n, `label "${l}" must not occur in ON and GROUP clause at once`);
  }
}

function safely(f: () => unknown): boolean {
  try {
    return Boolean(f());
  } catch {
    return false;
  }
}

/** Every problem Prometheus v3.14 would report for a query (syntax and types), or [] when it parses. */
export function promqlProblems(expr: string): string[] {
  let q: ParsedPromql;
  try {
    q = parsePromql(expr);
  } catch (e) {
    return [(e as Error).message];
  }
  const checker = new Checker(q);
  checker.strings(q.root);
  checker.check(q.root);
  return checker.problems;
}

/** Every node of an expression, depth first. */
export function descendants(n: PromqlNode): PromqlNode[] {
  return [n, ...children(n).flatMap(descendants)];
}

/** The metric names a query reads, sorted and unique (selectors without a fixed name are skipped). */
export function metricNames(expr: string): string[] {
  const q = parsePromql(expr);
  const names = descendants(q.root).flatMap((n) => (n.name === "VectorSelector" ? [selector(q, n).name] : []));
  return [...new Set(names.filter((x): x is string => x !== undefined))].sort();
}
