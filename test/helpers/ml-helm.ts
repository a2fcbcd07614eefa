import { helmReleases } from "./manifests";
import type { SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A helm_release of a synthesized stack with its values document parsed. */
export { mergeValues } from "./manifests";

export interface ReleaseView {
  readonly address: string;
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  readonly repository?: string;
  readonly version?: string;
  readonly values: Record<string, Any>;
  readonly config: Record<string, Any>;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every helm_release of a stack, values parsed and merged as Helm does (shared with the audit: ./manifests.ts). */
export function releases(stack: SynthesizedStack): ReleaseView[] {
  return helmReleases(stack).map((r) => {
    const config: Record<string, Any> = stack.json.resource!.helm_release[r.address.slice("helm_release.".length)];
    return { ...r, namespace: config.namespace, repository: config.repository, version: config.version, config };
  });
}

/** The release named `name` (fails the test when absent). */
export function release(stack: SynthesizedStack, name: string): ReleaseView {
  const r = releases(stack).find((x) => x.name === name);
  if (!r) throw new Error(`${stack.id} has no helm release ${name}; have ${releases(stack).map((x) => x.name).join(", ")}`);
  return r;
}

/** Objects rendered by in-repo `manifests` chart releases, with the release they belong to. */
export function renderedObjects(stack: SynthesizedStack): Array<{ release: string; obj: Record<string, Any> }> {
  return releases(stack).flatMap((r) => ((r.values.manifests as Any[]) ?? []).map((obj) => ({ release: r.name, obj })));
}

/** The rendered object of a kind and name (fails the test when absent). */
export function renderedObject(stack: SynthesizedStack, kind: string, name: string, namespace?: string): Record<string, Any> {
  const hit = renderedObjects(stack).find(({ obj }) => obj.kind === kind && obj.metadata?.name === name && (namespace === undefined || obj.metadata?.namespace === namespace));
  if (!hit) throw new Error(`${stack.id} renders no ${kind}/${name}`);
  return hit.obj;
}

/**
 * Paths of `values` that the chart's values.yaml does not define. Below a chart default that is an empty map, null or
 * a list anything goes (free-form), as Helm passes it to templates unchanged.
 */
export function unknownValueKeys(values: Record<string, unknown>, chartDefaults: unknown, path = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const p = path ? `${path}.${k}` : k;
    if (!isMap(chartDefaults) || !(k in chartDefaults)) {
      out.push(p);
      continue;
    }
    const d = chartDefaults[k];
    if (d === null || Array.isArray(d) || (isMap(d) && Object.keys(d).length === 0)) continue;
    if (isMap(v) && isMap(d)) out.push(...unknownValueKeys(v, d, p));
  }
  return out;
}
