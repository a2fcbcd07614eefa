import { SYNTH_PATCHES_VAR, synthRuntime } from "../scripts/lib/synth-runtime";
import { fastResolve, type TokenEncoding } from "../scripts/lib/fast-resolve";

type Resolve = Parameters<typeof fastResolve>[0];

/**
 * cdktf's own resolve, its encoding and token factories from a fresh, unpatched module registry, so each value can be
 * resolved by cdktf's path and by scripts/lib/fast-resolve.ts with the same token map.
 */
function unpatchedCdktf() {
  const previous = process.env[SYNTH_PATCHES_VAR];
  process.env[SYNTH_PATCHES_VAR] = "off";
  try {
    let loaded!: { cdktf: typeof import("cdktf"); raw: Resolve; enc: TokenEncoding; resolvable: typeof import("cdktf/lib/tokens/resolvable") };
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const runtime = require("../scripts/lib/synth-runtime") as typeof import("../scripts/lib/synth-runtime");
      loaded = {
        cdktf: require("cdktf") as typeof import("cdktf"),
        raw: (require("cdktf/lib/tokens/private/resolve") as { resolve: Resolve }).resolve,
        enc: runtime.cdktfTokenEncoding()!,
        resolvable: require("cdktf/lib/tokens/resolvable") as typeof import("cdktf/lib/tokens/resolvable"),
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    return loaded;
  } finally {
    if (previous === undefined) delete process.env[SYNTH_PATCHES_VAR];
    else process.env[SYNTH_PATCHES_VAR] = previous;
  }
}

const { cdktf, raw, enc, resolvable } = unpatchedCdktf();
const { App, Fn, Lazy, TerraformStack, TerraformVariable, Token } = cdktf;
const stack = new TerraformStack(new App({ outdir: "unused", stackTraces: false }), "s");
const variable = new TerraformVariable(stack, "v", { type: "string" });
const options = () => ({ scope: stack, resolver: new resolvable.DefaultTokenResolver(new resolvable.StringConcat()), preparing: false });
const lazy = <T>(value: T) => Lazy.anyValue({ produce: () => value });

/** The outcome of a resolve: its JSON (key order included) or the error message it threw. */
function outcome(resolve: Resolve, value: unknown): string {
  try {
    return `value ${JSON.stringify(resolve(value, options()))}`;
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
}

const cases: Record<string, () => unknown> = {
  "plain data, undefined dropped, Date and booleans kept": () => ({ a: "x", b: [1, "1e5", "v-1.2e3", undefined, null, true, new Date(0)], c: { d: undefined, e: {} } }),
  "string tokens alone and inside strings": () => ({ alone: Lazy.stringValue({ produce: () => "lazy" }), inside: `pre-${variable.stringValue}-post`, fn: Fn.join(",", ["a", "b"]) }),
  "a number token, alone and concatenated into a string": () => ({ n: Token.asNumber(lazy(7)), s: `port ${Token.asNumber(lazy(8))}` }),
  "list and map tokens": () => ({ list: Token.asList(lazy(["x", "y"])), numbers: Token.asNumberList(lazy([1, 2])), map: Token.asStringMap(lazy({ k: "v" })) }),
  "a list token beside other elements (rejected)": () => ({ inList: ["a", ...Token.asList(lazy(["b"]))] }),
  "a token key": () => ({ [Lazy.stringValue({ produce: () => "key" })]: "value", plain: 1 }),
  "tokens producing data that holds tokens": () => ({ outer: lazy({ inner: lazy([variable.stringValue, undefined, { deep: lazy("d") }]) }) }),
  "escape sequences in plain strings": () => ({ shell: "echo ${HOME} }", tf: "$${literal}" }),
  "a function (rejected)": () => ({ ok: 1, bad: () => 1 }),
  "a construct (rejected)": () => ({ nested: { stack } }),
  "data deeper than cdktf's limit (rejected)": () => Array.from({ length: 205 }).reduce((inner: unknown) => ({ next: inner }), "leaf"),
  "a list token in a scalar string (rejected)": () => ({ bad: `x${Token.asList(lazy(["a"]))[0]}` }),
};

describe("fast token resolution (scripts/lib/fast-resolve.ts): same results and errors as cdktf's resolve", () => {
  test("it is installed for synthesis and tests", () => {
    expect(synthRuntime.tokenResolutionSpedUp).toBe(true);
    expect(enc).toBeDefined();
  });

  test.each(Object.keys(cases))("%s", (name) => {
    // One value for both: its tokens (and the numbers in error messages) are the same.
    const value = cases[name]();
    expect(outcome(fastResolve(raw, enc), value)).toBe(outcome(raw, value));
  });

  test("failing case: a walk that misses number tokens in strings resolves differently", () => {
    const broken = fastResolve(raw, { ...enc, hasNumberTokens: () => false });
    const value = { s: `port ${Token.asNumber(lazy(8))}` };
    expect(outcome(raw, value)).toBe('value {"s":"port 8"}');
    expect(outcome(broken, value)).not.toBe(outcome(raw, value));
  });
});
