import { parse } from "yaml";
import type { TerraformJson } from "./synth";

/** A helm_release as the plan will see it, with its values documents parsed and merged. */
export interface HelmReleaseView {
  /** Terraform address, for example `helm_release.karpenter_release_1A2B3C`. */
  readonly address: string;
  /** Release name. */
  readonly name: string;
  readonly chart: string;
  /** @default "" for in-repo charts (the chart is a local asset path) */
  readonly repository: string;
  /** @default "" for in-repo charts */
  readonly version: string;
  /** The `values` documents deep-merged in order, as Helm does (maps merge, lists and scalars replace). */
  readonly values: Record<string, unknown>;
}

/** One Kubernetes object rendered by a release of an in-repo chart from its top-level `manifests` list. */
export interface RenderedManifest {
  /** Release name. */
  readonly release: string;
  /** Terraform address of the helm_release. */
  readonly address: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly manifest: Record<string, any>;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Helm's values merge: maps merge key by key, everything else (lists included) replaces. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isMap(out[k]) && isMap(v) ? mergeValues(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/**
 * A helm_release `values` document parsed. The constructs write JSON (helmValuesDocument), which JSON.parse reads
 * ~50x faster than a YAML parser and to the same result (JSON is YAML); anything else (a document a test wrote as
 * YAML) is parsed as YAML.
 */
export function parseValuesDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parse(text);
  }
}

/** Every helm_release of a stack with its values parsed (YAML, which includes JSON) and merged in order. */
export function helmReleases(stack: { readonly json: TerraformJson }): HelmReleaseView[] {
  return Object.entries(stack.json.resource?.helm_release ?? {})
    .filter(([name]) => !name.startsWith("//"))
    .map(([name, cfg]) => {
      const address = `helm_release.${name}`;
      const docs: unknown[] = (cfg.values ?? []).map((text: unknown, i: number) => {
        if (typeof text !== "string") throw new Error(`${address}: values[${i}] is not a string`);
        try {
          return parseValuesDocument(text) ?? {};
        } catch (e) {
          throw new Error(`${address}: values[${i}] is not valid YAML/JSON: ${(e as Error).message}`);
        }
      });
      const values = docs.reduce<Record<string, unknown>>((acc, doc, i) => {
        if (!isMap(doc)) throw new Error(`${address}: values[${i}] is not a map`);
        return mergeValues(acc, doc);
      }, {});
      return { address, name: String(cfg.name), chart: String(cfg.chart), repository: cfg.repository ?? "", version: cfg.version ?? "", values };
    });
}

/**
 * The Kubernetes objects a stack renders through in-repo charts: every entry of a release's top-level
 * `manifests` list (after merging its values documents, since Helm only sees the merged list).
 */
export function renderedManifests(stack: { readonly json: TerraformJson }): RenderedManifest[] {
  return helmReleases(stack).flatMap((r) => {
    const list = r.values.manifests;
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw new Error(`${r.address}: values.manifests must be a list, got ${typeof list}`);
    return list.map((manifest, i) => {
      if (!isMap(manifest)) throw new Error(`${r.address}: values.manifests[${i}] is not an object`);
      return { release: r.name, address: r.address, manifest };
    });
  });
}

/** A short label for a rendered object in findings: `Kind/namespace/name` or `Kind/name`. */
export function manifestLabel(m: Record<string, unknown>): string {
  const meta = (isMap(m.metadata) ? m.metadata : {}) as Record<string, unknown>;
  return [m.kind ?? "?", meta.namespace, meta.name ?? "?"].filter((x) => x !== undefined).join("/");
}
