/**
 * Finds keys written twice in one object literal of an environment file. JavaScript keeps the later value without a
 * word (esbuild only warns while building), so a copied file edited in two places silently loses one edit; zod never
 * sees the earlier value. A small tokenizer is enough: environment files are object literals, strings and numbers.
 */

/** A key that appears twice in one object literal. */
export interface DuplicateKey {
  /** Dotted path of the repeated key from the outermost object literal around it, like `network.vpcCidr`. */
  readonly path: readonly (string | number)[];
  /** 1-based lines of the first and the repeated occurrence. */
  readonly firstLine: number;
  readonly line: number;
}

interface Token {
  readonly text: string;
  readonly kind: "name" | "string" | "number" | "punct" | "template";
  readonly line: number;
}

/** Splits source text into tokens, dropping comments and whitespace; template literals become one opaque token. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const advance = (to: number) => {
    for (; i < to; i++) if (src[i] === "\n") line++;
  };
  while (i < src.length) {
    const c = src[i];
    const start = line;
    if (/\s/.test(c)) advance(i + 1);
    else if (src.startsWith("//", i)) advance(src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i));
    else if (src.startsWith("/*", i)) advance(src.indexOf("*/", i + 2) < 0 ? src.length : src.indexOf("*/", i + 2) + 2);
    else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      // Raw text: keys with escapes are rare enough in environment files that `"a"` and `a` matching is what counts.
      out.push({ text: src.slice(i + 1, j), kind: "string", line: start });
      advance(j + 1);
    } else if (c === "`") {
      // Opaque: `${...}` inside may hold braces, counted so the literal ends at its own backtick.
      let j = i + 1;
      let depth = 0;
      while (j < src.length && !(src[j] === "`" && depth === 0)) {
        if (src[j] === "\\") j++;
        else if (src.startsWith("${", j)) (depth++, j++);
        else if (src[j] === "}" && depth > 0) depth--;
        j++;
      }
      out.push({ text: "`", kind: "template", line: start });
      advance(j + 1);
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[\w$]+/.exec(src.slice(i))![0];
      out.push({ text: m, kind: "name", line: start });
      advance(i + m.length);
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][\w.]*/.exec(src.slice(i))![0];
      out.push({ text: String(Number(m.replace(/_/g, ""))), kind: "number", line: start });
      advance(i + m.length);
    } else {
      const m = src.startsWith("...", i) ? "..." : src.startsWith("=>", i) ? "=>" : c;
      out.push({ text: m, kind: "punct", line: start });
      advance(i + m.length);
    }
  }
  return out;
}

type Frame =
  | { kind: "object"; keys: Map<string, number>; expectKey: boolean; key?: string }
  | { kind: "array"; index: number }
  | { kind: "block" | "paren" };

/** Tokens after which `{` opens an object literal rather than a block. */
const OBJECT_AFTER = new Set(["(", "[", ",", ":", "=", "?", "|", "&", "!", "...", "return", "default"]);
/** Words that make the next name a method key (`get x()`, `async f()`). */
const METHOD_PREFIX = new Set(["get", "set", "async"]);

/** Every key written twice in one object literal of `source` (TypeScript or JavaScript), in source order. */
export function duplicateKeys(source: string): DuplicateKey[] {
  const tokens = tokenize(source);
  const frames: Frame[] = [];
  const found: DuplicateKey[] = [];
  const path = (): (string | number)[] => {
    const out: (string | number)[] = [];
    for (const f of frames) {
      if (f.kind === "block") out.length = 0;
      else if (f.kind === "object" && f.key !== undefined) out.push(f.key);
      else if (f.kind === "array") out.push(f.index);
    }
    return out;
  };
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    const top = frames[frames.length - 1];
    if (top?.kind === "object" && top.expectKey && tok.text !== "}") {
      top.expectKey = false;
      if (tok.text === "...") continue;
      if (tok.text === "[") {
        // A computed key: skip to its closing bracket; its name is unknown until run time.
        let depth = 0;
        for (; t < tokens.length; t++) {
          if (tokens[t].text === "[") depth++;
          else if (tokens[t].text === "]" && --depth === 0) break;
        }
        top.key = undefined;
        continue;
      }
      let keyTok = tok;
      if (tok.kind === "name" && METHOD_PREFIX.has(tok.text) && tokens[t + 1] && !["(", ":", ",", "}"].includes(tokens[t + 1].text)) keyTok = tokens[++t];
      if (keyTok.kind === "name" || keyTok.kind === "string" || keyTok.kind === "number") {
        const first = top.keys.get(keyTok.text);
        top.key = keyTok.text;
        if (first !== undefined) found.push({ path: path(), firstLine: first, line: keyTok.line });
        else top.keys.set(keyTok.text, keyTok.line);
        continue;
      }
    }
    switch (tok.text) {
      case "{": {
        const prev = tokens[t - 1]?.text;
        frames.push(prev !== undefined && OBJECT_AFTER.has(prev) ? { kind: "object", keys: new Map(), expectKey: true } : { kind: "block" });
        break;
      }
      case "[":
        frames.push({ kind: "array", index: 0 });
        break;
      case "(":
        frames.push({ kind: "paren" });
        break;
      case "}":
      case "]":
      case ")":
        frames.pop();
        break;
      case ",":
        if (top?.kind === "object") top.expectKey = true;
        else if (top?.kind === "array") top.index++;
        break;
    }
  }
  return found;
}
