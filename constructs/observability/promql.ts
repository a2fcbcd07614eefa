/**
 * A strict PromQL parser and type checker for the expressions this repository writes (alert and recording rules,
 * dashboard queries). It follows the grammar and typing rules of Prometheus 3 (`promql/parser` in
 * github.com/prometheus/prometheus): operator precedence and associativity, vector matching, aggregation grouping,
 * range and subquery selectors, `offset` and `@` modifiers, and the argument types of every stable function.
 * Experimental functions and aggregations (they need a feature flag) are rejected, as are durations used as numbers.
 *
 * Why not a library: no PromQL parser is installed here (`@prometheus-io/lezer-promql` would be the candidate; it
 * is error-tolerant and leaves type checks to the caller). Rules are parsed at synth time, so a typo fails `synth`
 * instead of a PrometheusRule the operator rejects in the cluster.
 * @see https://prometheus.io/docs/prometheus/latest/querying/basics/
 */

import { AGGREGATIONS, FUNCTIONS, type ValueType } from "./promql-functions";
import { PromQLError, tokenize, type Token } from "./promql-lexer";

export { AGGREGATIONS, FUNCTIONS, PromQLError, tokenize, type ValueType };

export interface LabelMatcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

/** A parsed expression. */
export type PromQLNode =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "selector"; readonly name?: string; readonly matchers: readonly LabelMatcher[]; readonly rangeMs?: number; readonly modifiers: Modifiers }
  | { readonly kind: "subquery"; readonly expr: PromQLNode; readonly rangeMs: number; readonly stepMs?: number; readonly modifiers: Modifiers }
  | { readonly kind: "call"; readonly fn: string; readonly args: readonly PromQLNode[] }
  | { readonly kind: "aggregate"; readonly op: string; readonly param?: PromQLNode; readonly expr: PromQLNode; readonly grouping?: { readonly without: boolean; readonly labels: readonly string[] } }
  | { readonly kind: "binary"; readonly op: string; readonly lhs: PromQLNode; readonly rhs: PromQLNode; readonly bool: boolean; readonly matching?: VectorMatching }
  | { readonly kind: "unary"; readonly op: "+" | "-"; readonly expr: PromQLNode }
  | { readonly kind: "paren"; readonly expr: PromQLNode };

/** `offset` (signed milliseconds) and `@` (a timestamp, `start()` or `end()`) of a selector or subquery. */
export interface Modifiers {
  readonly offsetMs?: number;
  readonly at?: string;
}

export interface VectorMatching {
  readonly on: boolean;
  readonly labels: readonly string[];
  readonly group?: "left" | "right";
  readonly include: readonly string[];
}

/** Binary operators by precedence (higher binds tighter); `^` is right-associative. */
const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<=": 3,
  "<": 3,
  ">=": 3,
  ">": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  atan2: 5,
  "^": 6,
};
const COMPARISON = new Set(["==", "!=", "<=", "<", ">=", ">"]);
const SET_OPERATORS = new Set(["and", "or", "unless"]);
const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "atan2"]);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The type an expression evaluates to. */
export function typeOf(node: PromQLNode): ValueType {
  switch (node.kind) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "selector":
      return node.rangeMs === undefined ? "vector" : "matrix";
    case "subquery":
      return "matrix";
    case "call":
      return FUNCTIONS[node.fn].returns;
    case "aggregate":
      return "vector";
    case "binary":
      return typeOf(node.lhs) === "scalar" && typeOf(node.rhs) === "scalar" ? "scalar" : "vector";
    case "unary":
    case "paren":
      return typeOf(node.expr);
  }
}

const TYPE_NAMES: Readonly<Record<ValueType, string>> = { scalar: "scalar", vector: "instant vector", matrix: "range vector", string: "string" };

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== "eof") this.i++;
    return t;
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === "op" && t.text === text;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === "ident" && t.text === word;
  }

  private expectOp(text: string, context: string): Token {
    const t = this.next();
    if (t.type !== "op" || t.text !== text) throw new PromQLError(`expected "${text}" ${context}, got "${t.text}"`, t.pos);
    return t;
  }

  parse(): PromQLNode {
    if (this.peek().type === "eof") throw new PromQLError("empty expression", 0);
    const node = this.expression(0);
    const t = this.peek();
    if (t.type !== "eof") throw new PromQLError(`unexpected "${t.text}" after a complete expression`, t.pos);
    return node;
  }

  private binaryOperator(): string | undefined {
    const t = this.peek();
    if (t.type === "op" && t.text in PRECEDENCE) return t.text;
    if (t.type === "ident" && (SET_OPERATORS.has(t.text) || t.text === "atan2")) return t.text;
    return undefined;
  }

  private expression(minPrecedence: number): PromQLNode {
    let lhs = this.unary();
    for (;;) {
      const op = this.binaryOperator();
      if (op === undefined || PRECEDENCE[op] < minPrecedence) return lhs;
      const opToken = this.next();
      let bool = false;
      if (this.isKeyword("bool")) {
        if (!COMPARISON.has(op)) throw new PromQLError(`bool modifier can only be used on comparison operators, not "${op}"`, this.peek().pos);
        this.next();
        bool = true;
      }
      const matching = this.vectorMatching(op);
      const rhs = this.expression(op === "^" ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
      lhs = checkBinary({ kind: "binary", op, lhs, rhs, bool, matching }, opToken.pos);
    }
  }

  private vectorMatching(op: string): VectorMatching | undefined {
    if (!this.isKeyword("on") && !this.isKeyword("ignoring")) {
      if (this.isKeyword("group_left") || this.isKeyword("group_right")) throw new PromQLError(`${this.peek().text} needs on(...) or ignoring(...) before it`, this.peek().pos);
      return undefined;
    }
    const on = this.next().text === "on";
    const labels = this.labelList(on ? "on" : "ignoring");
    let group: "left" | "right" | undefined;
    let include: string[] = [];
    if (this.isKeyword("group_left") || this.isKeyword("group_right")) {
      const t = this.next();
      if (SET_OPERATORS.has(op)) throw new PromQLError(`no grouping allowed for "${op}" operation`, t.pos);
      group = t.text === "group_left" ? "left" : "right";
      if (this.isOp("(")) include = this.labelList(t.text);
    }
    return { on, labels, group, include };
  }

  private labelList(context: string): string[] {
    this.expectOp("(", `after ${context}`);
    const labels: string[] = [];
    while (!this.isOp(")")) {
      const t = this.next();
      if (t.type !== "ident" || !LABEL_NAME.test(t.text)) throw new PromQLError(`expected a label name in ${context}(...), got "${t.text}"`, t.pos);
      labels.push(t.text);
      if (!this.isOp(")")) this.expectOp(",", `between label names in ${context}(...)`);
    }
    this.next();
    return labels;
  }

  private unary(): PromQLNode {
    if (this.isOp("-") || this.isOp("+")) {
      const t = this.next();
      // Unary minus binds tighter than * and / but looser than ^ (-2^2 is -4).
      const expr = this.expression(PRECEDENCE["^"]);
      const type = typeOf(expr);
      if (type !== "scalar" && type !== "vector") throw new PromQLError(`unary "${t.text}" needs a scalar or instant vector, got ${TYPE_NAMES[type]}`, t.pos);
      return { kind: "unary", op: t.text as "+" | "-", expr };
    }
    return this.postfix();
  }

  private postfix(): PromQLNode {
    let node = this.primary();
    for (;;) {
      if (this.isOp("[")) {
        const open = this.next();
        const range = this.duration("range");
        const modified = (node.kind === "selector" || node.kind === "subquery") && (node.modifiers.offsetMs !== undefined || node.modifiers.at !== undefined);
        if (this.isOp(":")) {
          this.next();
          const step = this.peek().type === "duration" ? this.duration("subquery step") : undefined;
          this.expectOp("]", "to close the subquery");
          if (typeOf(node) !== "vector") throw new PromQLError(`subquery is only allowed on an instant vector, got ${TYPE_NAMES[typeOf(node)]}`, open.pos);
          if (modified) throw new PromQLError("offset and @ must come after the subquery range, not before it", open.pos);
          node = { kind: "subquery", expr: node, rangeMs: range, stepMs: step, modifiers: {} };
          continue;
        }
        this.expectOp("]", "to close the range");
        if (node.kind !== "selector" || node.rangeMs !== undefined) throw new PromQLError("a range [..] can only follow an instant vector selector (use a subquery [range:step] for expressions)", open.pos);
        if (modified) throw new PromQLError("offset and @ must come after the range, not before it", open.pos);
        node = { ...node, rangeMs: range };
        continue;
      }
      if (this.isKeyword("offset") || this.isOp("@")) {
        const t = this.next();
        if (node.kind !== "selector" && node.kind !== "subquery") throw new PromQLError(`${t.text} must follow a selector or a subquery, not ${node.kind === "paren" ? "a parenthesized expression" : `a ${node.kind}`}`, t.pos);
        const modifiers = node.modifiers;
        if (t.text === "offset") {
          if (modifiers.offsetMs !== undefined) throw new PromQLError("offset may only be given once", t.pos);
          const negative = this.isOp("-");
          if (negative) this.next();
          const ms = this.duration("offset");
          node = { ...node, modifiers: { ...modifiers, offsetMs: negative ? -ms : ms } };
        } else {
          if (modifiers.at !== undefined) throw new PromQLError("@ may only be given once", t.pos);
          let at: string;
          if (this.peek().type === "number") {
            at = this.next().text;
          } else if ((this.isKeyword("start") || this.isKeyword("end")) && this.isOp("(", 1) && this.isOp(")", 2)) {
            at = `${this.next().text}()`;
            this.i += 2;
          } else {
            throw new PromQLError(`@ needs a Unix timestamp, start() or end(), got "${this.peek().text}"`, this.peek().pos);
          }
          node = { ...node, modifiers: { ...modifiers, at } };
        }
        continue;
      }
      return node;
    }
  }

  private duration(context: string): number {
    const t = this.next();
    if (t.type !== "duration") throw new PromQLError(`expected a duration like 5m for the ${context}, got "${t.text}"`, t.pos);
    const ms = t.value as number;
    if (ms <= 0) throw new PromQLError(`${context} duration must be positive, got "${t.text}"`, t.pos);
    return ms;
  }

  private primary(): PromQLNode {
    const t = this.peek();
    switch (t.type) {
      case "number":
        this.next();
        return { kind: "number", value: t.value as number };
      case "string":
        this.next();
        return { kind: "string", value: t.value as string };
      case "duration":
        throw new PromQLError(`duration "${t.text}" is only allowed in [..] ranges and after offset`, t.pos);
      case "eof":
        throw new PromQLError("unexpected end of input", t.pos);
      case "op":
        if (t.text === "(") {
          this.next();
          const expr = this.expression(0);
          this.expectOp(")", "to close the parenthesis");
          return { kind: "paren", expr };
        }
        if (t.text === "{") return this.selector(undefined, t.pos);
        throw new PromQLError(`unexpected "${t.text}"`, t.pos);
      case "ident":
        return this.identifier(t);
    }
  }

  private identifier(t: Token): PromQLNode {
    const word = t.text;
    if (word in AGGREGATIONS && (this.isOp("(", 1) || this.isKeyword("by", 1) || this.isKeyword("without", 1))) return this.aggregation();
    if (this.isOp("(", 1)) {
      if (!(word in FUNCTIONS)) throw new PromQLError(`unknown or experimental function "${word}"`, t.pos);
      return this.call();
    }
    if (/^(inf|nan)$/i.test(word)) {
      this.next();
      return { kind: "number", value: /^inf$/i.test(word) ? Infinity : NaN };
    }
    if (KEYWORDS.has(word)) throw new PromQLError(`unexpected keyword "${word}"`, t.pos);
    if (word in AGGREGATIONS) throw new PromQLError(`aggregation ${word} needs its argument in parentheses`, t.pos);
    if (!METRIC_NAME.test(word)) throw new PromQLError(`invalid metric name "${word}"`, t.pos);
    this.next();
    return this.selector(word, t.pos);
  }

  private selector(name: string | undefined, pos: number): PromQLNode {
    const matchers: LabelMatcher[] = [];
    if (this.isOp("{")) {
      this.next();
      while (!this.isOp("}")) {
        const label = this.next();
        if (label.type !== "ident" || !LABEL_NAME.test(label.text)) throw new PromQLError(`expected a label name in the selector, got "${label.text}"`, label.pos);
        const opToken = this.next();
        if (opToken.type !== "op" || !["=", "!=", "=~", "!~"].includes(opToken.text)) throw new PromQLError(`expected =, !=, =~ or !~ after label ${label.text}, got "${opToken.text}"`, opToken.pos);
        const value = this.next();
        if (value.type !== "string") throw new PromQLError(`label ${label.text} must be compared with a quoted string, got "${value.text}"`, value.pos);
        const op = opToken.text as LabelMatcher["op"];
        if (op === "=~" || op === "!~") {
          try {
            new RegExp(`^(?:${value.value as string})$`);
          } catch (e) {
            throw new PromQLError(`invalid regular expression for label ${label.text}: ${(e as Error).message}`, value.pos);
          }
        }
        matchers.push({ label: label.text, op, value: value.value as string });
        if (!this.isOp("}")) this.expectOp(",", "between label matchers");
      }
      this.next();
    }
    const nameMatchers = matchers.filter((x) => x.label === "__name__");
    if (name !== undefined && nameMatchers.length) throw new PromQLError(`metric name "${name}" is given twice (also as __name__)`, pos);
    const effectiveName = name ?? (nameMatchers.length === 1 && nameMatchers[0].op === "=" ? nameMatchers[0].value : undefined);
    if (name === undefined && !matchers.some((x) => !matchesEmpty(x))) {
      throw new PromQLError("a selector without a metric name needs at least one matcher that does not match the empty string", pos);
    }
    return { kind: "selector", name: effectiveName, matchers, modifiers: {} };
  }

  private call(): PromQLNode {
    const nameToken = this.next();
    const fn = nameToken.text;
    this.expectOp("(", `after ${fn}`);
    const args: PromQLNode[] = [];
    while (!this.isOp(")")) {
      args.push(this.expression(0));
      if (this.peek().type === "eof") throw new PromQLError(`expected ")" to close ${fn}(...), got end of input`, this.peek().pos);
      if (!this.isOp(")")) this.expectOp(",", `between the arguments of ${fn}`);
    }
    this.next();
    const sig = FUNCTIONS[fn];
    const min = sig.args.length - (sig.optional ?? 0);
    const max = sig.variadic ? Infinity : sig.args.length;
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new PromQLError(`${fn}() takes ${expected} argument(s), got ${args.length}`, nameToken.pos);
    }
    args.forEach((arg, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)];
      const got = typeOf(arg);
      if (got !== want) throw new PromQLError(`argument ${i + 1} of ${fn}() must be ${TYPE_NAMES[want]}, got ${TYPE_NAMES[got]}`, nameToken.pos);
    });
    if (fn === "label_replace" || fn === "label_join") {
      const dst = (args[1] as { value: string }).value;
      if (!LABEL_NAME.test(dst)) throw new PromQLError(`${fn}(): "${dst}" is not a valid label name`, nameToken.pos);
      if (fn === "label_replace") {
        try {
          new RegExp(`^(?:${(args[4] as { value: string }).value})$`);
        } catch (e) {
          throw new PromQLError(`label_replace(): invalid regular expression: ${(e as Error).message}`, nameToken.pos);
        }
      }
    }
    return { kind: "call", fn, args };
  }

  private aggregation(): PromQLNode {
    const opToken = this.next();
    const op = opToken.text;
    let grouping: { without: boolean; labels: string[] } | undefined;
    const readGrouping = () => {
      const kw = this.next().text;
      if (grouping) throw new PromQLError(`${op}: only one by/without clause is allowed`, opToken.pos);
      grouping = { without: kw === "without", labels: this.labelList(kw) };
    };
    if (this.isKeyword("by") || this.isKeyword("without")) readGrouping();
    this.expectOp("(", `after ${op}`);
    const args: PromQLNode[] = [];
    while (!this.isOp(")")) {
      args.push(this.expression(0));
      if (this.peek().type === "eof") throw new PromQLError(`expected ")" to close ${op}(...), got end of input`, this.peek().pos);
      if (!this.isOp(")")) this.expectOp(",", `between the arguments of ${op}`);
    }
    this.next();
    if (this.isKeyword("by") || this.isKeyword("without")) readGrouping();
    const paramType = AGGREGATIONS[op];
    const wanted = paramType ? 2 : 1;
    if (args.length !== wanted) throw new PromQLError(`${op}() takes ${wanted} argument(s), got ${args.length}`, opToken.pos);
    const expr = args[args.length - 1];
    if (typeOf(expr) !== "vector") throw new PromQLError(`${op}() aggregates an instant vector, got ${TYPE_NAMES[typeOf(expr)]}`, opToken.pos);
    if (paramType && typeOf(args[0]) !== paramType) throw new PromQLError(`the parameter of ${op}() must be ${TYPE_NAMES[paramType]}, got ${TYPE_NAMES[typeOf(args[0])]}`, opToken.pos);
    return { kind: "aggregate", op, param: paramType ? args[0] : undefined, expr, grouping };
  }
}

/** Whether a matcher selects series that lack the label (value ""). */
function matchesEmpty(x: LabelMatcher): boolean {
  switch (x.op) {
    case "=":
      return x.value === "";
    case "!=":
      return x.value !== "";
    case "=~":
      return new RegExp(`^(?:${x.value})$`).test("");
    case "!~":
      return !new RegExp(`^(?:${x.value})$`).test("");
  }
}

function checkBinary(node: Extract<PromQLNode, { kind: "binary" }>, pos: number): PromQLNode {
  const lt = typeOf(node.lhs);
  const rt = typeOf(node.rhs);
  const { op } = node;
  for (const t of [lt, rt]) {
    if (t !== "scalar" && t !== "vector") throw new PromQLError(`binary "${op}" needs scalars or instant vectors, got ${TYPE_NAMES[t]}`, pos);
  }
  if (SET_OPERATORS.has(op) && (lt !== "vector" || rt !== "vector")) throw new PromQLError(`set operator "${op}" needs instant vectors on both sides`, pos);
  if (COMPARISON.has(op) && lt === "scalar" && rt === "scalar" && !node.bool) throw new PromQLError(`comparison between two scalars needs the bool modifier`, pos);
  if (node.matching && (lt !== "vector" || rt !== "vector")) throw new PromQLError(`vector matching (on/ignoring) needs instant vectors on both sides of "${op}"`, pos);
  return node;
}

/** Parses and type-checks an expression; throws PromQLError. */
export function parsePromQL(expr: string): PromQLNode {
  return new Parser(tokenize(expr)).parse();
}

/** The problem with an expression, or undefined when it parses and type-checks. */
export function promqlProblem(expr: string): string | undefined {
  try {
    parsePromQL(expr);
    return undefined;
  } catch (e) {
    if (e instanceof PromQLError) return e.message;
    throw e;
  }
}

function children(node: PromQLNode): PromQLNode[] {
  switch (node.kind) {
    case "call":
      return [...node.args];
    case "aggregate":
      return node.param ? [node.param, node.expr] : [node.expr];
    case "binary":
      return [node.lhs, node.rhs];
    case "subquery":
    case "unary":
    case "paren":
      return [node.expr];
    default:
      return [];
  }
}

/** Every selector in an expression. */
export function selectors(node: PromQLNode): Array<Extract<PromQLNode, { kind: "selector" }>> {
  return node.kind === "selector" ? [node] : children(node).flatMap(selectors);
}

/** The metric names an expression reads, sorted and unique (selectors without a fixed name are skipped). */
export function metricNames(expr: string | PromQLNode): string[] {
  const node = typeof expr === "string" ? parsePromQL(expr) : expr;
  return [...new Set(selectors(node).flatMap((x) => (x.name ? [x.name] : [])))].sort();
}
