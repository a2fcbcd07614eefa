/**
 * Label names in queries against the labels the series can carry. A grouping, matching or matcher label that the
 * series do not have is not an error to Prometheus: `sum by (modle)` silently returns one series without the label,
 * `on (node)` over a metric without `node` matches nothing, an alert on `{stauts="true"}` never fires. This follows
 * the labels through a query on the lezer tree (promql.ts) as Prometheus's engine propagates them and reports every
 * label a query uses that its input cannot have.
 */
import { callArgs, children, groupingLabels, operands, operatorName, parsePromql, selector, stringValue, valueType, type ParsedPromql, type PromqlNode } from "./promql";

/** The labels a series may carry, or "any" where that is unknown (a selector without a metric name). */
export type LabelSet = ReadonlySet<string> | "any";

/** The labels of a metric's series, or undefined for a metric nobody documented. */
export type LabelCatalog = (metric: string) => ReadonlySet<string> | undefined;

const EMPTY: ReadonlySet<string> = new Set();
const union = (a: LabelSet, b: Iterable<string>): LabelSet => (a === "any" ? a : new Set([...a, ...b]));
const minus = (a: LabelSet, b: readonly string[]): LabelSet => (a === "any" ? a : new Set([...a].filter((l) => !b.includes(l))));

class LabelFlow {
  readonly problems: string[] = [];
  constructor(
    private readonly q: ParsedPromql,
    private readonly catalog: LabelCatalog,
  ) {}

  private text(n: PromqlNode): string {
    const t = this.q.expr.slice(n.from, n.to);
    return t.length > 70 ? `${t.slice(0, 67)}...` : t;
  }

  /** Reports each of `wanted` that `have` lacks; `use` says what the label is for. */
  private require(have: LabelSet, wanted: readonly string[], use: string, of: PromqlNode): void {
    if (have === "any") return;
    for (const l of wanted) {
      if (!have.has(l)) this.problems.push(`${use} label "${l}" is not on ${this.text(of)} (its labels: ${[...have].sort().join(", ") || "none"})`);
    }
  }

  labels(n: PromqlNode): LabelSet {
    switch (n.name) {
      case "NumberDurationLiteral":
      case "StringLiteral":
        return EMPTY;
      case "VectorSelector":
        return this.selector(n);
      case "FunctionCall":
        return this.call(n);
      case "AggregateExpr":
        return this.aggregation(n);
      case "BinaryExpr":
        return this.binary(n);
      default:
        return this.labels(operands(n)[0]);
    }
  }

  private selector(n: PromqlNode): LabelSet {
    const { name, matchers } = selector(this.q, n);
    if (name === undefined) return "any";
    const known = this.catalog(name);
    if (!known) {
      this.problems.push(`no documented labels for metric ${name}`);
      return "any";
    }
    this.require(known, [...new Set(matchers.map((m) => m.label).filter((l) => l !== "__name__"))], "matcher", n);
    return known;
  }

  private call(n: PromqlNode): LabelSet {
    const fn = operatorName(this.q, n);
    const args = callArgs(n);
    const sets = args.map((a) => this.labels(a));
    const str = (i: number) => (args[i]?.name === "StringLiteral" ? stringValue(this.q.expr.slice(args[i].from, args[i].to)) : undefined);
    if (fn === "label_replace") {
      this.require(sets[0], [str(3)].filter((s): s is string => !!s), "label_replace() source", args[0]);
      return union(sets[0], [str(1) ?? ""]);
    }
    if (fn === "label_join") {
      this.require(sets[0], args.slice(3).map((_, i) => str(i + 3) ?? ""), "label_join() source", args[0]);
      return union(sets[0], [str(1) ?? ""]);
    }
    if (fn === "histogram_quantile" || fn === "histogram_fraction") {
      const hist = args.length - 1;
      this.require(sets[hist], ["le"], `${fn}() bucket`, args[hist]);
      return minus(sets[hist], ["le"]);
    }
    const series = args.findIndex((a) => ["vector", "matrix"].includes(valueType(this.q, a)));
    return fn === "vector" || series < 0 ? EMPTY : sets[series];
  }

  private aggregation(n: PromqlNode): LabelSet {
    const op = operatorName(this.q, n);
    const args = callArgs(n);
    const sets = args.map((a) => this.labels(a));
    const inner = sets[sets.length - 1];
    const modifier = children(n).find((c) => c.name === "AggregateModifier");
    const [kind, list] = modifier ? children(modifier) : [];
    const grouping = groupingLabels(this.q, list);
    const by = kind?.name === "By";
    if (by) this.require(inner, grouping, `${op} by`, args[args.length - 1]);
    // topk, bottomk and limitk return input series unchanged; count_values adds its label.
    if (["topk", "bottomk", "limitk", "limit_ratio"].includes(op)) return inner;
    const kept = !modifier ? EMPTY : by ? new Set(grouping) : minus(inner, grouping);
    const countLabel = op === "count_values" && args[0].name === "StringLiteral" ? [stringValue(this.q.expr.slice(args[0].from, args[0].to))] : [];
    return union(kept, countLabel);
  }

  /** Vector matching as the engine does it (promql/engine.go resultMetric and the set operations). */
  private binary(n: PromqlNode): LabelSet {
    const [lhs, rhs] = operands(n);
    const [l, r] = [this.labels(lhs), this.labels(rhs)];
    const [lt, rt] = [valueType(this.q, lhs), valueType(this.q, rhs)];
    if (lt === "scalar") return r;
    if (rt === "scalar") return l;
    const op = children(n).find((c) => !c.type.is("Expr"))!.name;
    const clause = children(children(n).find((c) => c.name === "MatchingModifierClause") ?? n);
    const on = clause[0]?.name === "On";
    const ignoring = clause[0]?.name === "Ignoring";
    const matched = on || ignoring ? groupingLabels(this.q, clause[1]) : [];
    const group = clause.find((c) => c.name === "GroupLeft" || c.name === "GroupRight");
    const include = group ? groupingLabels(this.q, clause[clause.indexOf(group) + 1]) : [];
    if (on) {
      this.require(l, matched, "on()", lhs);
      this.require(r, matched, "on()", rhs);
    }
    if (ignoring && l !== "any" && r !== "any") this.require(new Set([...l, ...r]), matched, "ignoring()", n);
    if (op === "And" || op === "Unless") return l;
    if (op === "Or") return r === "any" ? r : union(l, r);
    if (group?.name === "GroupLeft") {
      this.require(r, include, "group_left()", rhs);
      return union(l, include);
    }
    if (group?.name === "GroupRight") {
      this.require(l, include, "group_right()", lhs);
      return union(r, include);
    }
    return on ? (l === "any" ? l : new Set(matched)) : minus(l, matched);
  }
}

/** The labels a query's result can carry and every label it uses that its input series cannot have. */
export function labelFlow(expr: string, catalog: LabelCatalog): { labels: LabelSet; problems: string[] } {
  const q = parsePromql(expr);
  const flow = new LabelFlow(q, catalog);
  const labels = flow.labels(q.root);
  return { labels, problems: flow.problems };
}
