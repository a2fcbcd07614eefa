import { auditTargets } from "../helpers/audit-context";
import { findCrd, splitApiVersion, UNVALIDATED_KINDS, validateCustomResource } from "../helpers/crd";
import { helmReleases, manifestLabel, renderedManifests } from "../helpers/manifests";

const targets = auditTargets();

describe("Helm releases (every stack of every environment)", () => {
  test.each(targets.map((t) => [t.id, t] as const))("%s: every release pins its chart, its values parse and its manifests are Kubernetes objects", (_id, target) => {
    const problems = renderedManifests(target).flatMap(({ address, manifest }) =>
      typeof manifest.apiVersion === "string" && typeof manifest.kind === "string" && typeof manifest.metadata?.name === "string" ? [] : [`${address} ${manifestLabel(manifest)}: needs apiVersion, kind and metadata.name`],
    );
    const unpinned = helmReleases(target)
      .filter((r) => r.repository !== "" && !/^v?\d+\.\d+\.\d+$/.test(r.version))
      .map((r) => `${target.id} ${r.address}: chart ${r.chart} from ${r.repository} is not pinned to an exact version (got ${JSON.stringify(r.version)})`);
    expect([...problems, ...unpinned]).toEqual([]);
  });
});

describe("custom resources against upstream CRDs (every stack of every environment)", () => {
  const CORE = /^(|apps|batch|policy|autoscaling|[a-z.]*\.k8s\.io)$/;
  test.each(targets.map((t) => [t.id, t] as const))("%s: every rendered custom resource validates against its CRD (or is a listed exception)", (id, target) => {
    const problems = renderedManifests(target)
      .filter(({ manifest }) => !CORE.test(splitApiVersion(manifest.apiVersion).group))
      .flatMap(({ address, manifest }) => {
        const kind = `${splitApiVersion(manifest.apiVersion).group}/${manifest.kind}`;
        if (!findCrd(manifest.apiVersion, manifest.kind)) return kind in UNVALIDATED_KINDS ? [] : [`${id} ${address} ${manifestLabel(manifest)}: no CRD for ${kind} among the oracles, and not a listed exception`];
        return validateCustomResource(manifest).map((p) => `${id} ${address} ${manifestLabel(manifest)}: ${p}`);
      });
    expect(problems).toEqual([]);
  });
});

describe("the custom-resource audit can fail", () => {
  test("a kind with no CRD oracle and no listed exception is reported; a listed exception is not", () => {
    expect(findCrd("example.com/v1", "Widget")).toBeUndefined();
    expect("example.com/Widget" in UNVALIDATED_KINDS).toBe(false);
    expect(findCrd("argoproj.io/v1alpha1", "AppProject")).toBeUndefined();
    expect(UNVALIDATED_KINDS["argoproj.io/AppProject"]).toMatch(/not in the reference data/);
  });

  test("an ExternalSecret with a misspelled field fails its CRD (External Secrets CRDs are checked now)", () => {
    const es = { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "x", namespace: "y" }, spec: { secretStoreRef: { kind: "ClusterSecretStore", name: "s" }, dataFromm: [] } };
    expect(validateCustomResource(es)).toEqual([expect.stringContaining('unknown field "dataFromm"')]);
  });
});
