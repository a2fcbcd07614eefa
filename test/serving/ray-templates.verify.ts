// The Ray templates the ML and teams stacks ship, validated against the KubeRay 1.7.0 CRDs (test/oracles/kuberay/crds).
// Here rather than in the unit suite: compiling the RayJob and RayService schemas (1-1.4 MB each) takes seconds.
import { validateCustomResource } from "../helpers/crd";
import { clusterSpecOf, rayTemplates } from "../helpers/ray-templates";
import { stack } from "../helpers/synth";

describe.each(["dev", "staging", "prod"])("%s: Ray templates", (env) => {
  const templates = [...rayTemplates(stack(`${env}-ml`)), ...rayTemplates(stack(`${env}-teams`))];

  test("the RayService (namespace ray) and every team's RayCluster and RayJob validate against the KubeRay 1.7.0 CRDs", () => {
    expect(new Set(templates.map((t) => t.cr.kind))).toEqual(new Set(["RayCluster", "RayJob", "RayService"]));
    expect(templates.flatMap(({ namespace, cr }) => validateCustomResource(cr).map((p) => `${namespace}/${cr.kind}: ${p}`))).toEqual([]);
  });

  test("a field KubeRay does not define, or a wrong type, is rejected", () => {
    const bad = structuredClone(templates.find((t) => t.cr.kind === "RayJob")!.cr);
    clusterSpecOf(bad).headGroupSpec.rayStartParms = {};
    clusterSpecOf(bad).workerGroupSpecs[0].maxReplicas = "2";
    bad.spec.backoffLimit = "3";
    const problems = validateCustomResource(bad).join("\n");
    expect(problems).toMatch(/rayStartParms/);
    expect(problems).toMatch(/maxReplicas/);
    expect(problems).toMatch(/backoffLimit/);
  });
});
