import { isBuiltInApiVersion, validateBuiltInObjects } from "./core-schema";
import { findCrd, validateCustomResource } from "./crd";
import { manifestLabel } from "./manifests";

/** Which schema an object was checked against. */
export type SchemaSource = "kubernetes" | "crd" | "none";

/** The validation of one rendered Kubernetes object. */
export interface ObjectValidation {
  /** `Kind/namespace/name`. */
  readonly label: string;
  readonly apiVersion: string;
  readonly kind: string;
  /**
   * `kubernetes`: a built-in kind, checked with kubernetes-models (test/helpers/core-schema.ts); `crd`: a custom
   * resource whose CRD test/helpers/crd.ts finds, checked against it; `none`: a custom resource crd.ts has no CRD
   * for (not checked; callers decide whether that is acceptable for the kind).
   */
  readonly source: SchemaSource;
  readonly problems: readonly string[];
}

/**
 * Validates rendered objects: built-in kinds against Kubernetes' schemas (all in one batch, since that starts a
 * node process and a TypeScript program), custom resources against their CRDs through crd.ts's public API.
 */
export function validateRenderedObjects(objects: readonly Record<string, unknown>[]): ObjectValidation[] {
  const apiVersionOf = (o: Record<string, unknown>) => String(o.apiVersion ?? "");
  const builtIn = objects.filter((o) => isBuiltInApiVersion(apiVersionOf(o)));
  const builtInProblems = new Map(validateBuiltInObjects(builtIn).map((p, i) => [builtIn[i], p]));
  return objects.map((o) => {
    const apiVersion = apiVersionOf(o);
    const kind = String(o.kind ?? "");
    const base = { label: manifestLabel(o), apiVersion, kind };
    const core = builtInProblems.get(o);
    if (core) return { ...base, source: "kubernetes", problems: core };
    if (findCrd(apiVersion, kind)) return { ...base, source: "crd", problems: validateCustomResource(o) };
    return { ...base, source: "none", problems: [] };
  });
}
