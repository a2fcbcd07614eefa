// The Ray templates the ML stack ships, validated against the KubeRay 1.7.0 CRDs (test/oracles/kuberay/crds). Here
// rather than in the unit suite: compiling the RayJob and RayService schemas (1-1.4 MB each) takes seconds.
import { parse } from "yaml";
import { validateCustomResource } from "../helpers/crd";
import { renderedObject } from "../helpers/ml-helm";
import { projectEnvironment, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe.each(["dev", "staging", "prod"])("%s: Ray templates", (env) => {
  const templates = renderedObject(stack(`${env}-ml`), "ConfigMap", "ray-templates", "ray");
  const crs = Object.values(templates.data as Record<string, string>).map((t) => parse(t) as Any);

  test("the RayCluster, RayJob and RayService validate against the KubeRay 1.7.0 CRDs", () => {
    expect(crs.map((c) => c.kind)).toEqual(["RayCluster", "RayJob", "RayService"]);
    expect(crs.flatMap((c) => validateCustomResource(c).map((p) => `${c.kind}: ${p}`))).toEqual([]);
  });

  test("the RayJob retries a failed job as often as the environment's checkpoint restarts allow, each retry resuming from S3", () => {
    const job = crs.find((c) => c.kind === "RayJob");
    expect(job.spec.backoffLimit).toBe(projectEnvironment(env).resilience.checkpoints.maxRestarts);
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    const head = job.spec.rayClusterSpec.headGroupSpec.template.spec.containers[0];
    expect(head.env).toContainEqual({ name: "RAY_STORAGE_URI", value: expect.stringMatching(/^s3:\/\/.+\/ray$/) });
  });

  test("a field KubeRay does not define, or a wrong type, is rejected", () => {
    const bad = structuredClone(crs[1]);
    bad.spec.rayClusterSpec.headGroupSpec.rayStartParms = {};
    bad.spec.rayClusterSpec.workerGroupSpecs[0].maxReplicas = "2";
    const problems = validateCustomResource(bad).join("\n");
    expect(problems).toMatch(/rayStartParms/);
    expect(problems).toMatch(/maxReplicas/);
  });
});
