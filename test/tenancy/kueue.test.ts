// The Kueue controller of the platform stack: the pinned chart and image, its values against the chart's values.yaml,
// and the manager Configuration as the chart hands it to Kueue (parsed from the rendered values) against the fields of
// Kueue's Configuration type at v0.19.2: integrations, namespace scoping, waitForPodsReady, fair sharing, quota checks.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Kueue, KUEUE_FRAMEWORKS, WAIT_FOR_PODS_READY_TIMEOUT } from "../../constructs/tenancy/kueue";
import { MANAGED_NAMESPACE_LABEL } from "../../constructs/tenancy/names";
import { synthConstruct } from "../helpers/construct";
import { unknownValuePaths } from "../helpers/helm-values";
import { release } from "../helpers/ml-helm";
import { oracle, oracleFiles } from "../helpers/oracles";
import { stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENVS = ["dev", "staging", "prod"] as const;
const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/upstream/kueue-configuration-fields.json"), "utf8"));

/** Paths of `config` that Kueue's Configuration type has no field for (maps and scalars end the walk). */
function unknownConfigPaths(config: Any, fields: Any, path = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config ?? {})) {
    const p = path ? `${path}.${k}` : k;
    const f = fields?.[k];
    if (f === undefined) out.push(p);
    else if (typeof f === "object" && "list" in f) for (const item of v as Any[]) out.push(...unknownConfigPaths(item, f.list, `${p}[]`));
    else if (typeof f === "object") out.push(...unknownConfigPaths(v, f, p));
  }
  return out;
}

const managerConfig = (env: string) => parse(release(stack(`${env}-platform`), "kueue").values.managerConfig.controllerManagerConfigYaml);

/** Minutes of a Go duration made of hours and minutes (`20m`, `1h30m`). */
const minutes = (d: string) => [...d.matchAll(/(\d+)(h|m)/g)].reduce((n, [, v, u]) => n + Number(v) * (u === "h" ? 60 : 1), 0);

describe("Kueue's Configuration fields (fixture from kubernetes-sigs/kueue v0.19.2)", () => {
  test("the fixture is the type's fields at v0.19.2, unedited (its hash matches)", () => {
    expect(fixture.source).toEqual(expect.objectContaining({ repository: "github.com/kubernetes-sigs/kueue", ref: "v0.19.2", path: "apis/config/v1beta2/configuration_types.go" }));
    expect(createHash("sha256").update(JSON.stringify(fixture.data)).digest("hex")).toBe(fixture.sha256);
  });

  test("the upstream default Configuration passes the check, and a misspelled or removed field fails it", () => {
    expect(unknownConfigPaths(oracle("kueue/controller_manager_config.yaml"), fixture.data)).toEqual([]);
    expect(unknownConfigPaths({ fairsharing: {}, waitForPodsReady: { timeout: "5m", enable: true }, integrations: { podOptions: {} } }, fixture.data)).toEqual(["fairsharing", "waitForPodsReady.enable", "integrations.podOptions"]);
  });
});

describe.each(ENVS)("%s: the Kueue controller", (env) => {
  const kueue = release(stack(`${env}-platform`), "kueue");
  const config = managerConfig(env);

  test("is chart 0.19.2 from registry.k8s.io with the release image pinned, in kueue-system on the system nodes", () => {
    expect({ chart: kueue.chart, repository: kueue.repository, version: kueue.version, namespace: kueue.namespace }).toEqual({ chart: "kueue", repository: "oci://registry.k8s.io/kueue/charts", version: "0.19.2", namespace: "kueue-system" });
    expect(kueue.values.controllerManager.manager.image).toEqual({ repository: "registry.k8s.io/kueue/kueue", tag: "v0.19.2", pullPolicy: "IfNotPresent" });
    expect(kueue.values.controllerManager.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }]);
    expect({ viz: kueue.values.enableKueueViz, prometheus: kueue.values.enablePrometheus }).toEqual({ viz: false, prometheus: false });
  });

  test("sets only keys the chart's values.yaml has", () => {
    expect(unknownValuePaths(kueue.values, "kueue/values.yaml")).toEqual([]);
    expect(unknownValuePaths({ controllerManager: { manager: { imagePullPolicy: "Always" } } }, "kueue/values.yaml")).toEqual(["controllerManager.manager.imagePullPolicy"]);
  });

  test("runs two replicas behind a PodDisruptionBudget in production (its webhooks gate team pods), one elsewhere", () => {
    const production = env === "prod";
    expect(kueue.values.controllerManager.replicas).toBe(production ? 2 : 1);
    expect(kueue.values.controllerManager.podDisruptionBudget).toEqual({ enabled: production, minAvailable: 1 });
  });

  test("its manager Configuration uses only fields of Kueue's Configuration type", () => {
    expect(config).toEqual(expect.objectContaining({ apiVersion: "config.kueue.x-k8s.io/v1beta2", kind: "Configuration" }));
    expect(unknownConfigPaths(config, fixture.data)).toEqual([]);
  });

  test("queues TrainJobs, RayJobs, RayClusters, Jobs, JobSets and plain pods, each a framework Kueue 0.19.2 knows", () => {
    const known: string[] = oracle<Any>("kueue/controller_manager_config.yaml").integrations.frameworks;
    expect(config.integrations.frameworks).toEqual([...KUEUE_FRAMEWORKS]);
    for (const f of ["trainer.kubeflow.org/trainjob", "ray.io/rayjob", "ray.io/raycluster", "pod"]) expect(config.integrations.frameworks).toContain(f);
    expect(config.integrations.frameworks.filter((f: string) => !known.includes(f))).toEqual([]);
  });

  test("manages only labelled namespaces and leaves jobs without a queue label alone (Kubeflow Pipelines' own pods)", () => {
    expect(config.manageJobsWithoutQueueName).toBe(false);
    expect(config.managedJobsNamespaceSelector).toEqual({ matchLabels: { [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value } });
  });

  test(`evicts a workload whose pods are not all ready within ${WAIT_FOR_PODS_READY_TIMEOUT} (a GPU cold start and a multi-GB pull take about 15), at most 5 times`, () => {
    const w = config.waitForPodsReady;
    expect(minutes(w.timeout)).toBe(20);
    expect(minutes(w.timeout)).toBeGreaterThanOrEqual(15);
    expect(w.recoveryTimeout).toBe(w.timeout);
    expect(w.blockAdmission).toBe(false);
    expect(w.requeuingStrategy).toEqual({ timestamp: "Eviction", backoffLimitCount: 5, backoffBaseSeconds: 60, backoffMaxSeconds: 3600 });
  });

  test("shares fairly between the cohort's queues and counts only the resources queues declare (GPUs)", () => {
    expect(config.fairSharing).toEqual({ preemptionStrategies: ["LessThanOrEqualToFinalShare", "LessThanInitialShare"] });
    // Kueue rejects excludeResourcePrefixes with IgnoreUndeclared (pkg/config/validation.go at v0.19.2).
    expect(config.resources).toEqual({ quotaCheckStrategy: "IgnoreUndeclared" });
    expect(config.metrics.enableClusterQueueResources).toBe(true);
  });
});

test("the chart's footprint installs every Kueue CRD of the pinned release", () => {
  const kinds = oracleFiles("kueue/crds").flatMap((f) => (oracle(f) as Array<{ kind: string }>).map((c) => `kueue.x-k8s.io/${c.kind}`));
  const { built } = synthConstruct((s) => new Kueue(s, "kueue"));
  expect(kinds.length).toBe(7);
  expect(kinds.filter((c) => !built.chart.footprint.crds!.includes(c))).toEqual([]);
});
