import { auditTargets } from "../helpers/audit-context";
import { findCrd, isKnownCrdGroup, validateCustomResource } from "../helpers/crd";
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
  test.each(targets.map((t) => [t.id, t] as const))("%s: every rendered custom resource with a CRD in the reference data is valid", (id, target) => {
    const problems = renderedManifests(target)
      .filter(({ manifest }) => findCrd(manifest.apiVersion, manifest.kind) || isKnownCrdGroup(manifest.apiVersion))
      .flatMap(({ address, manifest }) => validateCustomResource(manifest).map((p) => `${id} ${address} ${manifestLabel(manifest)}: ${p}`));
    expect(problems).toEqual([]);
  });
});
