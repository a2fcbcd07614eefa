// A small reader of Terraform provider schema literals in Go source, for scripts/generate-force-new.mjs.
// It does not compile Go: it strips comments, matches braces around string and rune literals, and walks the
// composite literals that Terraform's two SDKs use to declare a resource schema:
//   plugin SDK v2:  Schema: map[string]*schema.Schema{ "name": { ForceNew: true, Elem: &schema.Resource{...} } }
//   framework:      Attributes: map[string]schema.Attribute{ "name": schema.StringAttribute{ PlanModifiers: [...] } }
// What it cannot follow (a schema built by a helper it cannot find) is reported, never guessed.

/** Replaces comments with spaces (offsets kept) and leaves string, raw-string and rune literals alone. */
export function stripComments(src) {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === "/" && n === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === "/" && n === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      const stop = literalEnd(src, i);
      out += src.slice(i, stop);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the string, raw-string or rune literal that starts at `i`. */
function literalEnd(src, i) {
  const q = src[i];
  let j = i + 1;
  while (j < src.length) {
    if (q !== "`" && src[j] === "\\") j += 2;
    else if (src[j] === q) return j + 1;
    else j++;
  }
  return src.length;
}

const OPEN = { "{": "}", "(": ")", "[": "]" };

/** Index of the bracket closing the one at `open` (comments must already be stripped). */
export function matchBracket(src, open) {
  const stack = [];
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === "`") {
      i = literalEnd(src, i) - 1;
    } else if (OPEN[c]) {
      stack.push(OPEN[c]);
    } else if (c === "}" || c === ")" || c === "]") {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at ${i}`);
      if (!stack.length) return i;
    }
  }
  throw new Error(`no closing bracket for ${src[open]} at ${open}`);
}

/** Splits a composite literal's body at its top-level commas into `key: value` entries (keys may be absent). */
export function entries(body) {
  const out = [];
  let depth = 0;
  let start = 0;
  let colon = -1;
  const push = (end) => {
    const text = body.slice(start, end);
    if (text.trim()) {
      out.push(colon < 0 ? { key: undefined, value: text.trim() } : { key: body.slice(start, colon).trim(), value: body.slice(colon + 1, end).trim() });
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"' || c === "'" || c === "`") i = literalEnd(body, i) - 1;
    else if (OPEN[c]) depth++;
    else if (c === "}" || c === ")" || c === "]") depth--;
    else if (depth === 0 && c === ":" && colon < 0 && body[i + 1] !== "=") colon = i;
    else if (depth === 0 && c === ",") {
      push(i);
      start = i + 1;
      colon = -1;
    }
  }
  push(body.length);
  return out;
}

/** The body (between the braces) of the first composite literal in `text` whose type matches `typeRe`. */
export function literalBody(text, typeRe) {
  const m = typeRe.exec(text);
  if (!m) return undefined;
  const open = text.indexOf("{", m.index + m[0].length - 1);
  if (open < 0) return undefined;
  return text.slice(open + 1, matchBracket(text, open));
}

/** A Go string literal's value, or undefined when `expr` is not one. */
export function stringLiteral(expr) {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(expr) ?? /^`([^`]*)`$/.exec(expr);
  return m ? m[1] : undefined;
}

/** The body of `func name(...)` or `func (r *T) name(...)` in a source file. */
export function functionBody(src, name) {
  const re = new RegExp(`^func\\s+(?:\\([^)]*\\)\\s*)?${name}\\s*\\(`, "m");
  const m = re.exec(src);
  if (!m) return undefined;
  // The body starts at the first "{" after the parameter and result lists.
  const params = src.indexOf("(", m.index + m[0].length - 1);
  let i = matchBracket(src, params) + 1;
  while (i < src.length && src[i] !== "{") {
    if (src[i] === "(") i = matchBracket(src, i);
    i++;
  }
  return src.slice(i + 1, matchBracket(src, i));
}

/**
 * Walks a plugin-SDK v2 `map[string]*schema.Schema` body. `resolveKey` turns a key expression into an attribute name;
 * `follow(expr)` returns the source of a helper the value calls (a function returning a *schema.Schema or a map),
 * or undefined. Returns { forceNew, unresolved } with dotted attribute paths.
 */
export function walkSdkSchema(body, ctx, prefix = "", out = { forceNew: [], unresolved: [] }) {
  for (const { key, value } of entries(body)) {
    if (key === undefined) continue;
    const name = ctx.resolveKey(key);
    if (!name) {
      out.unresolved.push(`${prefix}${key}`);
      continue;
    }
    const path = `${prefix}${name}`;
    let fields = value.startsWith("{") ? value.slice(1, matchBracket(value, 0)) : literalBody(value, /^&?schema\.Schema\s*\{/);
    if (fields === undefined) {
      // A helper such as tftags.TagsSchema() or a package function returning a *schema.Schema.
      const helper = ctx.follow(value);
      if (helper?.kind === "schema") fields = helper.body;
      else if (!ctx.knownHelper(value)) out.unresolved.push(`${path} (${value.slice(0, 60)})`);
    }
    if (fields === undefined) continue;
    const own = Object.fromEntries(entries(fields).map((e) => [e.key, e.value]));
    if (own.ForceNew === "true") out.forceNew.push(path);
    const elem = own.Elem;
    if (!elem) continue;
    let nested = literalBody(elem, /^&schema\.Resource\s*\{/);
    if (nested === undefined && !/^&schema\.Schema\s*\{/.test(elem)) {
      const helper = ctx.follow(elem);
      if (helper?.kind === "resource") nested = helper.body;
      else if (helper?.kind === "map") {
        walkSdkSchema(helper.body, ctx, `${path}.`, out);
        continue;
      } else if (!helper) out.unresolved.push(`${path}.* (${elem.slice(0, 60)})`);
    }
    if (nested === undefined) continue;
    const schemaField = entries(nested).find((e) => e.key === "Schema" || e.key === "SchemaFunc");
    if (!schemaField) continue;
    const map = schemaMapBody(schemaField.value, ctx);
    if (map === undefined) out.unresolved.push(`${path}.* (${schemaField.value.slice(0, 60)})`);
    else walkSdkSchema(map, ctx, `${path}.`, out);
  }
  return out;
}

/** The body of a schema map given as a literal, a `func() map... { return map...{} }` or a helper call. */
export function schemaMapBody(expr, ctx) {
  const literal = literalBody(expr, /^map\[string\]\*schema\.Schema\s*\{/);
  if (literal !== undefined) return literal;
  const fn = /^func\s*\(\s*\)\s*map\[string\]\*schema\.Schema\s*\{/.exec(expr);
  if (fn) return literalBody(expr.slice(fn[0].length), /return\s+map\[string\]\*schema\.Schema\s*\{/);
  const helper = ctx.follow(expr);
  return helper?.kind === "map" ? helper.body : undefined;
}

const REPLACE = /\b\w+planmodifier\.RequiresReplace(?:IfConfigured)?\(\)/;
const REPLACE_IF = /\bRequiresReplaceIf(?!Configured\(\))\w*\(|\brequiresReplace\w*\(/;

/** Walks a framework `map[string]schema.Attribute` / `map[string]schema.Block` body. */
export function walkFrameworkSchema(body, ctx, prefix = "", out = { forceNew: [], conditional: [], unresolved: [] }) {
  for (const { key, value } of entries(body)) {
    if (key === undefined) continue;
    const name = ctx.resolveKey(key);
    if (!name) {
      out.unresolved.push(`${prefix}${key}`);
      continue;
    }
    const path = `${prefix}${name}`;
    const m = /^schema\.(\w+)\s*\{/.exec(value);
    if (!m) {
      if (!ctx.knownHelper(value)) out.unresolved.push(`${path} (${value.slice(0, 60)})`);
      continue;
    }
    const fields = Object.fromEntries(entries(value.slice(m[0].length, matchBracket(value, m[0].length - 1))).map((e) => [e.key, e.value]));
    const modifiers = fields.PlanModifiers ?? "";
    if (REPLACE.test(modifiers)) out.forceNew.push(path);
    else if (REPLACE_IF.test(modifiers)) out.conditional.push(path);
    for (const holder of [fields, ...["NestedObject"].filter((k) => fields[k]).map((k) => Object.fromEntries(entries(literalBody(fields[k], /^schema\.\w+\s*\{/) ?? "").map((e) => [e.key, e.value])))]) {
      for (const k of ["Attributes", "Blocks"]) {
        if (!holder[k]) continue;
        const nested = literalBody(holder[k], /^map\[string\]schema\.\w+\s*\{/);
        if (nested === undefined) out.unresolved.push(`${path}.* (${holder[k].slice(0, 60)})`);
        else walkFrameworkSchema(nested, ctx, `${path}.`, out);
      }
    }
  }
  return out;
}
