/**
 * The PromQL tokenizer: identifiers, numbers, durations, strings (with Go escapes) and operators, as the
 * Prometheus 3 lexer splits them. Part of the parser in promql.ts.
 */

/** A syntax or type error, with the character offset it was found at. */
export class PromQLError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
    this.name = "PromQLError";
  }
}

const DURATION = /^(([0-9]+)(ms|s|m|h|d|w|y))+/;
const UNIT_MS: Readonly<Record<string, number>> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const UNIT_ORDER = ["y", "w", "d", "h", "m", "s", "ms"];

export type TokenType = "ident" | "number" | "duration" | "string" | "op" | "eof";
export interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly pos: number;
  /** Parsed value of number, duration (ms) and string tokens. */
  readonly value?: number | string;
}

const OPERATORS = ["==", "!=", ">=", "<=", "=~", "!~", "=", ">", "<", "+", "-", "*", "/", "%", "^", "(", ")", "{", "}", "[", "]", ",", ":", "@"];

function parseDuration(text: string, pos: number): number {
  let ms = 0;
  let last = -1;
  for (const part of text.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) {
    const order = UNIT_ORDER.indexOf(part[2]);
    if (order <= last) throw new PromQLError(`duration "${text}" must list each unit once, from largest to smallest`, pos);
    last = order;
    ms += Number(part[1]) * UNIT_MS[part[2]];
  }
  return ms;
}

const ESCAPES: Readonly<Record<string, string>> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'" };

function readString(input: string, start: number): { value: string; end: number } {
  const quote = input[start];
  let i = start + 1;
  let out = "";
  while (i < input.length) {
    const c = input[i];
    if (c === quote) return { value: out, end: i + 1 };
    if (quote === "`") {
      out += c;
      i++;
      continue;
    }
    if (c === "\n") throw new PromQLError("unterminated string (newline in a quoted string)", start);
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = input[i + 1];
    if (e !== undefined && e in ESCAPES) {
      out += ESCAPES[e];
      i += 2;
    } else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(input.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(input.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(input.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(input.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (e === "U" && /^[0-9a-fA-F]{8}$/.test(input.slice(i + 2, i + 10))) {
      out += String.fromCodePoint(parseInt(input.slice(i + 2, i + 10), 16));
      i += 10;
    } else if (e !== undefined && /^[0-7]{3}$/.test(input.slice(i + 1, i + 4))) {
      out += String.fromCharCode(parseInt(input.slice(i + 1, i + 4), 8));
      i += 4;
    } else {
      throw new PromQLError(`unknown escape sequence "\\${e ?? ""}" in string`, i);
    }
  }
  throw new PromQLError("unterminated string", start);
}

/** Splits an expression into tokens; comments (`# ...`) and whitespace are dropped. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  // Inside [..] a colon separates a subquery's range and step; elsewhere it may start a metric name (recording rules).
  let brackets = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < input.length && input[i] !== "\n") i++;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      const { value, end } = readString(input, i);
      tokens.push({ type: "string", text: input.slice(i, end), pos: i, value });
      i = end;
      continue;
    }
    const rest = input.slice(i);
    if (/^[0-9]/.test(c) || /^\.[0-9]/.test(rest)) {
      const dur = DURATION.exec(rest);
      if (dur && !/^[a-zA-Z0-9_.]/.test(rest.slice(dur[0].length))) {
        tokens.push({ type: "duration", text: dur[0], pos: i, value: parseDuration(dur[0], i) });
        i += dur[0].length;
        continue;
      }
      const num = /^(0[xX][0-9a-fA-F]+|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)/.exec(rest);
      if (!num || /^[a-zA-Z0-9_.]/.test(rest.slice(num[0].length))) throw new PromQLError(`bad number or duration "${/^[^\s(){}[\],]*/.exec(rest)?.[0]}"`, i);
      tokens.push({ type: "number", text: num[0], pos: i, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = (brackets > 0 ? /^[a-zA-Z_][a-zA-Z0-9_:]*/ : /^[a-zA-Z_:][a-zA-Z0-9_:]*/).exec(rest);
    if (ident) {
      tokens.push({ type: "ident", text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new PromQLError(`unexpected character "${c}"`, i);
    if (op === "[") brackets++;
    if (op === "]") brackets = Math.max(0, brackets - 1);
    tokens.push({ type: "op", text: op, pos: i });
    i += op.length;
  }
  tokens.push({ type: "eof", text: "end of input", pos: input.length });
  return tokens;
}
