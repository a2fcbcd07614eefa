// A faster entry to cdktf 0.21's token resolution (cdktf/lib/tokens/private/resolve.js), installed by
// scripts/lib/synth-runtime.ts. cdktf resolves every element's whole configuration three times per stack (the
// preparing run, per element, then the merged stack) and, for every string, number, key and value of that plain
// data, allocates a context with two closures and a prefix array and runs up to four regular expressions: it was
// ~25% of synthesis. This walks plain data itself, with the same checks in the same order, and hands each value that
// is or holds a token (and anything cdktf would reject) to cdktf's own `resolve` with the options cdktf would have
// passed there, so tokens resolve (and fail) exactly as before and in the same order.

/* eslint-disable @typescript-eslint/no-explicit-any */
type ResolveOptions = { prefix?: string[]; previousContext?: any; preparing?: boolean; scope?: unknown; resolver?: unknown; [k: string]: unknown };
type Resolve = (obj: unknown, options: ResolveOptions) => unknown;

/** What the walk needs from cdktf's token encoding (cdktf/lib/tokens/private/encoding.js and token.js). */
export interface TokenEncoding {
  /** Whether a string holds an encoded string or list token (both markers contain it). */
  readonly TOKEN_MARKER: string;
  readonly stringMapTokenValues: readonly string[];
  readonly numberMapTokenValue: number;
  /** cdktf's test for concatenated number tokens in a string (TokenString.forNumbers(s).test()). */
  hasNumberTokens(s: string): boolean;
  /** extractTokenDouble(x, false) !== undefined */
  isNumberToken(x: number): boolean;
  containsStringListTokenElement(xs: unknown[]): boolean;
  containsNumberListTokenElement(xs: unknown[]): boolean;
  containsMapToken(x: object): boolean;
}

/** Where a value sits below the object given to `resolve`: the path segments cdktf would have in `prefix`. */
interface Path {
  readonly parent?: Path;
  readonly segment?: string;
  readonly depth: number;
}

/** cdktf's depth limit against cyclic references (`prefix.length > 200`). */
const MAX_DEPTH = 200;

/**
 * Returns a `resolve` with cdktf's signature and results that resolves plain data (strings, numbers, booleans,
 * arrays, objects without tokens) itself and calls `original` for everything else.
 */
export function fastResolve(original: Resolve, enc: TokenEncoding): Resolve {
  const plainString = (s: string) => !s.includes(enc.TOKEN_MARKER) && !enc.stringMapTokenValues.includes(s) && !enc.hasNumberTokens(s);

  return function resolve(obj: unknown, options: ResolveOptions): unknown {
    const rootPrefix = options.prefix ?? [];
    // The options cdktf passes a nested value: every option, its prefix, and a context whose four inherited fields
    // are the root's (cdktf copies them from one level's previousContext to the next unchanged).
    const optionsAt = (path: Path): ResolveOptions => {
      if (path.depth === 0) return options;
      const segments: string[] = [];
      for (let p: Path | undefined = path; p?.segment !== undefined; p = p.parent) segments.push(p.segment);
      const prefix = rootPrefix.concat(segments.reverse());
      const inherited = options.previousContext;
      const previousContext = {
        preparing: options.preparing,
        scope: options.scope,
        suppressBraces: inherited?.suppressBraces,
        ignoreEscapes: inherited?.ignoreEscapes,
        warnEscapes: inherited?.warnEscapes,
        iteratorContext: inherited?.iteratorContext,
        registerPostProcessor() {},
        resolve: (x: unknown) => original(x, { ...options, prefix, previousContext }),
      };
      return { ...options, prefix, previousContext };
    };

    const walk = (value: unknown, path: Path): unknown => {
      if (rootPrefix.length + path.depth > MAX_DEPTH) return original(value, optionsAt(path));
      if (value === undefined) return undefined;
      if (value === null) return null;
      switch (typeof value) {
        case "string":
          return plainString(value) ? value : original(value, optionsAt(path));
        case "number":
          return value !== enc.numberMapTokenValue && !enc.isNumberToken(value) ? value : original(value, optionsAt(path));
        case "object":
          break;
        case "function":
          return original(value, optionsAt(path));
        default:
          return value;
      }
      if (value instanceof Date) return value;
      if (Array.isArray(value)) {
        if (enc.containsStringListTokenElement(value) || enc.containsNumberListTokenElement(value)) return original(value, optionsAt(path));
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const resolved = walk(value[i], { parent: path, segment: `${i}`, depth: path.depth + 1 });
          if (resolved !== undefined) out.push(resolved);
        }
        return out;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      // A token, a map token, a construct (rejected) or a key that needs resolving: cdktf's path for the whole object.
      if (enc.containsMapToken(record) || typeof record.resolve === "function" || (record._children !== undefined && record._metadata !== undefined) || !keys.every(plainString)) {
        return original(value, optionsAt(path));
      }
      const result: Record<string, unknown> = {};
      for (const key of keys) {
        const resolved = walk(record[key], { parent: path, segment: key, depth: path.depth + 1 });
        if (resolved !== undefined) result[key] = resolved;
      }
      return result;
    };

    return walk(obj, { depth: 0 });
  };
}
