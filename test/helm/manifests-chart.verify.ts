import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { helmValuesDocument } from "../../constructs/kubernetes/helm-chart";
import { STACK_PARTS } from "../../stacks/app";
import { LocalChartRelease, MANIFESTS_CHART, RenderedRelease, differencesFromManifestsChart, helm, lintRelease, localChartReleases, renderRelease } from "../helpers/helm";
import { ObjectValidation, validateRenderedObjects } from "../helpers/rendered-validation";
import { synthesizeExamples } from "../helpers/delivery-examples";
import { projectEnvironment, synthesizeAll } from "../helpers/synth";
import { standInContext, standInFor } from "../helpers/terraform-standins";

// `npm run verify` (needs `npm run tools` for helm). Every release of the in-repo chart in every stack of every
// environment is linted and rendered by helm with the values the stack passes; Terraform interpolations in those
// values get deterministic stand-ins of the real values' format (test/helpers/terraform-standins.ts).

// Plus the example environments' ml stacks (docs/delivery.md's models added: the shipped files serve none), so the
// Rollouts, analysis, promotion and drift objects are rendered and validated too.
const EXAMPLE = " (example models)";
const project = synthesizeAll();
const examples = synthesizeExamples();
const exampleMl = examples.stacks.filter((s) => s.id.endsWith("-ml"));
const stacks = [...project.stacks, ...exampleMl.map((s) => ({ ...s, id: `${s.id}${EXAMPLE}` }))];
const releases = [
  ...project.stacks.flatMap((s) => localChartReleases(project.outdir, s)),
  ...exampleMl.flatMap((s) => localChartReleases(examples.outdir, s).map((r) => ({ ...r, stack: `${s.id}${EXAMPLE}` }))),
];
const stackIds = stacks.map((s) => s.id);
const releasesOf = (stackId: string) => releases.filter((r) => r.stack === stackId);

function standIns(stackId: string): (expression: string) => string {
  const stack = stacks.find((s) => s.id === stackId);
  if (!stack) throw new Error(`no stack ${stackId}`);
  const ctx = standInContext(stack, stacks);
  return (expression) => standInFor(expression, ctx);
}

/** The environment's Kubernetes version as helm's --kube-version wants it (`1.35` -> `1.35.0`). */
function kubeVersion(example: string): string {
  const stackId = example.replace(EXAMPLE, "");
  const part = STACK_PARTS.find((p) => stackId.endsWith(`-${p}`));
  if (!part) throw new Error(`${stackId} is not <env>-<part>`);
  return `${projectEnvironment(stackId.slice(0, -part.length - 1)).cluster.kubernetesVersion}.0`;
}

/**
 * A release of charts/manifests itself carrying `objects`, serialized as ManifestsRelease serializes them, or with
 * `serialize` (to show what another serialization would do).
 */
function caseRelease(objects: unknown[], serialize: (values: Record<string, unknown>) => string = helmValuesDocument): LocalChartRelease {
  const values = serialize({ manifests: objects });
  return { stack: "case", address: "helm_release.case", name: "case", namespace: "case", chartDir: MANIFESTS_CHART, values: [values] };
}

const noInterpolation = (e: string): string => {
  throw new Error(`unexpected interpolation ${e}`);
};

function problemsOf(validations: readonly ObjectValidation[]): string[] {
  return validations.flatMap((v) => v.problems.map((p) => `${v.label}: ${p}`));
}

describe("helm lint charts/manifests", () => {
  test("the chart passes helm lint --strict", () => {
    const run = helm(["lint", "--strict", MANIFESTS_CHART]);
    expect(run.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(run.status).toBe(0);
  });

  const breakages: Array<[string, (dir: string) => void, string]> = [
    ["a template action that is not closed", (dir) => writeFileSync(join(dir, "templates/manifests.yaml"), "{{- range .Values.manifests }\n---\n{{ toYaml . }}\n{{- end }}\n"), 'unexpected "}" in operand'],
    ["no version in Chart.yaml", (dir) => writeFileSync(join(dir, "Chart.yaml"), readFileSync(join(dir, "Chart.yaml"), "utf8").replace(/^version:.*\n/m, "")), "version is required"],
  ];
  test.each(breakages)("a copy of the chart with %s fails helm lint", (_name, breakIt, message) => {
    const dir = mkdtempSync(join(tmpdir(), "mlp-broken-chart-"));
    try {
      cpSync(MANIFESTS_CHART, dir, { recursive: true });
      breakIt(dir);
      const run = helm(["lint", "--strict", dir]);
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).toContain(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("releases of the in-repo chart, rendered by helm template with the stacks' values", () => {
  const rendered = new Map<LocalChartRelease, RenderedRelease>();
  const validations = new Map<LocalChartRelease, ObjectValidation[]>();

  beforeAll(() => {
    for (const r of releases) rendered.set(r, renderRelease(r, standIns(r.stack)));
    // One batch for every release: validating built-in kinds starts a node process and a TypeScript program.
    const all = releases.flatMap((r) => rendered.get(r)!.objects.map((o) => [r, o] as const));
    const results = validateRenderedObjects(all.map(([, o]) => o));
    all.forEach(([r], i) => validations.set(r, [...(validations.get(r) ?? []), results[i]]));
  });

  test("every environment's platform, ml and teams stacks render objects through the in-repo chart", () => {
    const withReleases = stackIds.filter((id) => releasesOf(id).length > 0).sort();
    const expected = stackIds.filter((id) => /-(platform|ml|teams)( \(example models\))?$/.test(id)).sort();
    expect(withReleases).toEqual(expected);
  });

  test.each(stackIds)("%s: every local chart is charts/manifests, shipped unchanged", (id) => {
    expect(releasesOf(id).flatMap((r) => differencesFromManifestsChart(r.chartDir).map((d) => `${r.address}: ${d}`))).toEqual([]);
  });

  test.each(stackIds)("%s: helm lint --strict passes with every release's values at the environment's Kubernetes version", (id) => {
    expect(releasesOf(id).flatMap((r) => lintRelease(r, standIns(id), kubeVersion(id)))).toEqual([]);
  });

  test.each(stackIds)("%s: helm renders exactly the objects in the values, none dropped, added or changed", (id) => {
    expect(releasesOf(id).flatMap((r) => rendered.get(r)!.problems)).toEqual([]);
    for (const r of releasesOf(id)) expect(rendered.get(r)!.objects.length).toBeGreaterThan(0);
  });

  test.each(stackIds)("%s: built-in kinds are valid against Kubernetes' schemas (kubernetes-models 5.1.0, unknown fields included)", (id) => {
    const core = releasesOf(id).flatMap((r) => (validations.get(r) ?? []).filter((v) => v.source === "kubernetes").map((v) => ({ ...v, label: `${r.address} ${v.label}` })));
    expect(problemsOf(core)).toEqual([]);
  });

  describe("custom resources against their CRDs", () => {
    test.each(stackIds)("%s: every custom resource with a CRD in test/helpers/crd.ts is valid", (id) => {
      const crs = releasesOf(id).flatMap((r) => (validations.get(r) ?? []).filter((v) => v.source === "crd").map((v) => ({ ...v, label: `${r.address} ${v.label}` })));
      expect(problemsOf(crs)).toEqual([]);
    });

    /**
     * Kinds rendered today that crd.ts finds no CRD for: the reference data has none, or crd.ts does not load that
     * directory (its CRD_DIRECTORIES). Any other custom resource without a CRD (a new kind, or a misspelled one)
     * fails until it is listed here.
     */
    const UNCHECKED: Readonly<Record<string, string>> = {
      "argoproj.io/v1alpha1 AppProject": "the reference data has no AppProject CRD (argo-cd/crds holds Application only)",
      "generators.external-secrets.io/v1alpha1 Password": "the reference data has no generators.external-secrets.io CRD",
      "argoproj.io/v1alpha1 Application": "argo-cd/crds is not loaded by crd.ts",
      "keda.sh/v1alpha1 ScaledObject": "keda/crds is not loaded by crd.ts",
      "trainer.kubeflow.org/v1alpha1 ClusterTrainingRuntime": "kubeflow-trainer/crds is not loaded by crd.ts",
    };
    test("custom resources without a CRD are known kinds; Karpenter and Prometheus Operator kinds are checked", () => {
      const all = [...validations.values()].flat();
      const unchecked = [...new Set(all.filter((v) => v.source === "none").map((v) => `${v.apiVersion} ${v.kind}`))].sort();
      expect(unchecked.filter((k) => !(k in UNCHECKED))).toEqual([]);
      const checked = new Set(all.filter((v) => v.source === "crd").map((v) => v.kind));
      expect([...checked].sort()).toEqual(expect.arrayContaining(["EC2NodeClass", "ExternalSecret", "NodePool", "PodMonitor", "PrometheusRule", "SecretStore", "ServiceMonitor"]));
    });
  });

  describe("failing cases: the same rendering and validation catch broken objects", () => {
    const real = (kind: string): Record<string, unknown> => {
      const found = [...rendered.values()].flatMap((r) => r.objects).find((o) => o.kind === kind);
      if (!found) throw new Error(`no rendered ${kind} to start from`);
      return structuredClone(found);
    };

    test("a misspelled field and a mistyped field of a built-in kind fail", () => {
      const deployment = real("Deployment") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      deployment.spec.template.spec.containers[0].imagePullPolicyy = "IfNotPresent";
      deployment.spec.replicas = "2";
      const r = renderRelease(caseRelease([deployment]), noInterpolation);
      expect(r.problems).toEqual([]);
      const problems = problemsOf(validateRenderedObjects(r.objects));
      expect(problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/\/spec\/template\/spec\/containers\/0: unknown field "imagePullPolicyy"$/), expect.stringMatching(/\/spec\/replicas: must be integer$/)]),
      );
      expect(problems).toHaveLength(2);
    });

    test("a misspelled kind in a built-in API group fails", () => {
      const r = renderRelease(caseRelease([{ ...real("Deployment"), kind: "Deploymnet" }]), noInterpolation);
      expect(problemsOf(validateRenderedObjects(r.objects))).toEqual([expect.stringContaining("kubernetes-models has no kind Deploymnet in apps/v1")]);
    });

    // kubernetes-models also models API versions Kubernetes has removed (policy/v1beta1 PodDisruptionBudget is
    // there), so helm lint's deprecation check at the environment's version is what catches them.
    test("an API version the environment's Kubernetes no longer serves fails helm lint", () => {
      const pdb = { ...real("PodDisruptionBudget"), apiVersion: "policy/v1beta1" };
      expect(lintRelease(caseRelease([pdb]), noInterpolation, kubeVersion("prod-ml"))).toEqual([expect.stringContaining("policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+")]);
    });

    describe("custom resources", () => {
      test("a NodePool violating its CRD fails", () => {
        const pool = real("NodePool") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
        pool.spec.disruption.consolidationPolicy = "WhenIdle";
        pool.spec.template.spec.nodeClassReff = pool.spec.template.spec.nodeClassRef;
        const r = renderRelease(caseRelease([pool]), noInterpolation);
        expect(r.problems).toEqual([]);
        const problems = problemsOf(validateRenderedObjects(r.objects));
        expect(problems).toEqual(
          expect.arrayContaining([expect.stringContaining('/spec/disruption/consolidationPolicy: got "WhenIdle"; must be one of'), expect.stringContaining('unknown field "nodeClassReff"')]),
        );
      });
    });

    test("a value helm reads differently from the values (YAML 1.1 booleans, written as YAML 1.2) is reported as changed", () => {
      const map = real("ConfigMap") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      map.metadata.labels = { ...map.metadata.labels, "example.com/enabled": "on" };
      const r = renderRelease(caseRelease([map], (v) => stringify(v, { sortMapEntries: false, lineWidth: 0 })), noInterpolation);
      expect(r.problems).toEqual([expect.stringContaining('/metadata/labels/example.com~1enabled: values have "on", helm rendered true')]);
    });

    test("ManifestsRelease's values (JSON) bring YAML 1.1 booleans and numbers to helm as the strings they are", () => {
      const map = real("ConfigMap") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      const ambiguous = { "example.com/enabled": "on", "example.com/off": "Off", "example.com/yes": "yes", "example.com/y": "y", "example.com/size": "1_000" };
      map.metadata.labels = { ...map.metadata.labels, ...ambiguous };
      const r = renderRelease(caseRelease([map]), noInterpolation);
      expect(r.problems).toEqual([]);
      expect(r.objects[0].metadata.labels).toEqual(expect.objectContaining(ambiguous));
    });
  });
});
