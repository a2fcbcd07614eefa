import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { diffDirs } from "./dir-diff";
import { manifestLabel, mergeValues } from "./manifests";
import type { SynthesizedStack } from "./synth";
import { replaceInterpolations } from "./terraform-standins";
import { tool } from "./tools";

/** The in-repo chart that renders the stacks' Kubernetes objects (constructs/kubernetes/manifests-release.ts). */
export const MANIFESTS_CHART = resolve(__dirname, "../../charts/manifests");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** Runs the helm installed by `npm run tools` (scripts/tools/helm.sh). */
export function helm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  // Helm's cache, config and data dirs in a fresh temp dir: runs neither read nor write the user's helm setup.
  const home = mkdtempSync(join(tmpdir(), "mlp-helm-home-"));
  try {
    const env = {
      ...process.env,
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_DATA_HOME: join(home, "data"),
      // No cluster is ever contacted: template and lint work on files only.
      KUBECONFIG: join(home, "no-kubeconfig"),
    };
    const run = spawnSync(tool("helm"), args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    if (run.error) throw run.error;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** A helm_release whose chart is a directory shipped inside the synthesized stack (a cdktf asset). */
export interface LocalChartRelease {
  readonly stack: string;
  /** Terraform address, `helm_release.<id>`. */
  readonly address: string;
  readonly name: string;
  readonly namespace: string;
  /** Absolute path of the chart directory as Terraform would read it (relative to the stack's directory). */
  readonly chartDir: string;
  /** The `values` documents exactly as synthesized (Terraform interpolations included). */
  readonly values: readonly string[];
}

/**
 * Every release of a stack whose chart is a local directory (no `repository`), in synthesis order. Values given
 * through `set`, `set_list` or `set_sensitive` are an error: the rendering here uses `values` only.
 */
export function localChartReleases(outdir: string, stack: SynthesizedStack): LocalChartRelease[] {
  return Object.entries(stack.json.resource?.helm_release ?? {})
    .filter(([id, cfg]) => !id.startsWith("//") && !cfg.repository)
    .map(([id, cfg]) => {
      const address = `${stack.id} helm_release.${id}`;
      const chartDir = resolve(outdir, "stacks", stack.id, String(cfg.chart));
      if (!existsSync(chartDir) || !statSync(chartDir).isDirectory()) throw new Error(`${address}: chart ${cfg.chart} has no repository and is no directory in the synthesized stack`);
      for (const key of ["set", "set_list", "set_sensitive", "set_wo"]) {
        if (cfg[key] !== undefined) throw new Error(`${address}: ${key} is not modelled by this rendering; pass objects through values`);
      }
      const values = (cfg.values ?? []) as unknown[];
      if (!values.every((v): v is string => typeof v === "string")) throw new Error(`${address}: values must be strings`);
      return { stack: stack.id, address: `helm_release.${id}`, name: String(cfg.name), namespace: String(cfg.namespace ?? "default"), chartDir, values };
    });
}

/** Differences between a shipped chart directory and charts/manifests (empty when byte-identical). */
export function differencesFromManifestsChart(chartDir: string): string[] {
  return diffDirs(MANIFESTS_CHART, chartDir).map((d) => d.replace("only in the first synth", "missing from the shipped chart").replace("only in the second synth", "not in charts/manifests"));
}

/** Writes values documents to temp files and runs `fn` with their `-f` arguments, in order. */
function withValuesFiles<T>(texts: readonly string[], fn: (args: string[]) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "mlp-helm-values-"));
  try {
    return fn(
      texts.flatMap((text, i) => {
        const file = join(dir, `values-${i}.yaml`);
        writeFileSync(file, text);
        return ["-f", file];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `helm lint --strict --kube-version <version>` of a release's chart with its values (interpolations replaced by
 * `standIn`). Strict makes warnings fail: APIs deprecated or removed at that Kubernetes version, invalid object names.
 * Returns helm's report when lint fails, nothing when it passes.
 */
export function lintRelease(release: LocalChartRelease, standIn: (expression: string) => string, version: string): string[] {
  const texts = release.values.map((v) => replaceInterpolations(v, standIn));
  const run = withValuesFiles(texts, (args) => helm(["lint", "--strict", "--kube-version", version, release.chartDir, ...args]));
  return run.status === 0 ? [] : [`${release.stack} ${release.address}: helm lint failed: ${(run.stdout + run.stderr).trim()}`];
}

/** A rendered release: helm's objects and everything that went wrong on the way. */
export interface RenderedRelease {
  readonly release: LocalChartRelease;
  /** The objects helm rendered, read as Helm and the API server read YAML (1.1), in helm's output order. */
  readonly objects: Obj[];
  /** helm failures, unparseable output, and rendered objects that differ from the values' `manifests`. */
  readonly problems: string[];
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x} (integer)` : x)) ?? "undefined";
}

/** The first place two values differ, as `<json pointer>: values have X, helm rendered Y`. */
function firstDifference(expected: unknown, actual: unknown, path = ""): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  const bothArrays = Array.isArray(expected) && Array.isArray(actual);
  const bothMaps = [expected, actual].every((v) => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date));
  if (bothArrays || bothMaps) {
    const e = expected as Obj;
    const a = actual as Obj;
    const keys = bothArrays ? [...Array(Math.max(e.length, a.length)).keys()].map(String) : [...new Set([...Object.keys(e), ...Object.keys(a)])].sort();
    for (const k of keys) {
      const d = firstDifference(e[k as never], a[k as never], `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
      if (d) return d;
    }
  }
  return `${path || "/"}: values have ${show(expected)}, helm rendered ${show(actual)}`;
}

function objectKey(o: Obj): string {
  return `${o?.apiVersion}/${manifestLabel(o)}`;
}

/** JSON-compatible copy: exact integers (parsed as BigInt for the comparison) become numbers for the validators. */
function toPlain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));
}

/**
 * Renders a release with `helm template <name> <chart> --namespace <ns> -f <values...>`, every Terraform
 * interpolation in the values replaced by `standIn(expression)`, and compares helm's objects with the `manifests`
 * list of the values (chart defaults, then the documents merged in order as Helm does). Helm orders objects by kind
 * for installation, so objects are matched by apiVersion, kind, namespace and name. Both sides keep integers exact
 * (BigInt) and helm's output is read with YAML 1.1, as Helm itself reads it, so a number turned into a float or a
 * string such as `on` turned into a boolean shows up as a difference.
 */
export function renderRelease(release: LocalChartRelease, standIn: (expression: string) => string): RenderedRelease {
  const label = `${release.stack} ${release.address}`;
  const texts = release.values.map((v) => replaceInterpolations(v, standIn));
  const run = withValuesFiles(texts, (args) => helm(["template", release.name, release.chartDir, "--namespace", release.namespace, ...args]));
  if (run.status !== 0) return { release, objects: [], problems: [`${label}: helm template failed (exit ${run.status}): ${run.stderr.trim()}`] };

  const docs = parseAllDocuments(run.stdout, { schema: "yaml-1.1", intAsBigInt: true });
  const broken = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors.map((e) => `${label}: helm output is not valid YAML: ${e.message}`));
  if (broken.length || !Array.isArray(docs)) return { release, objects: [], problems: broken };
  const rendered = docs.map((d) => d.toJS() as Obj).filter((o) => o !== null && o !== undefined);

  const defaults = (parse(readFileSync(join(release.chartDir, "values.yaml"), "utf8")) ?? {}) as Obj;
  const merged = texts.reduce<Obj>((acc, text) => mergeValues(acc, (parse(text, { intAsBigInt: true }) ?? {}) as Obj), defaults);
  const expected = (merged.manifests ?? []) as Obj[];

  const problems: string[] = [];
  const byKey = new Map(rendered.map((o) => [objectKey(o), o]));
  if (byKey.size !== rendered.length) problems.push(`${label}: helm rendered two objects with the same apiVersion, kind, namespace and name`);
  for (const want of expected) {
    const got = byKey.get(objectKey(want));
    if (!got) problems.push(`${label} ${manifestLabel(want)}: in the values but not rendered by helm`);
    else {
      const d = firstDifference(want, got);
      if (d) problems.push(`${label} ${manifestLabel(want)}: ${d}`);
    }
  }
  const wanted = new Set(expected.map(objectKey));
  for (const o of rendered.filter((x) => !wanted.has(objectKey(x)))) problems.push(`${label} ${manifestLabel(o)}: rendered by helm but not in the values`);
  return { release, objects: toPlain(rendered), problems };
}
