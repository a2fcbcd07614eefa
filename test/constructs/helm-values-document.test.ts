import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { parse, stringify } from "yaml";
import { HelmChart, helmValuesDocument } from "../../constructs/kubernetes/helm-chart";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import { synthConstruct } from "../helpers/construct";

// Helm and the Terraform Helm provider read `values` with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1). These strings
// are booleans or numbers in YAML 1.1 when unquoted; they must reach the chart as the strings they are.
// (`npm run verify` renders the same through helm itself: test/helm/manifests-chart.verify.ts.)
const AMBIGUOUS = { on: "on", off: "Off", yes: "yes", y: "y", no: "No", n: "N", underscored: "1_000", octal: "0755", sexagesimal: "1:20", tilde: "~" };

/** A values document read as Helm reads it (YAML 1.1), integers exact. */
const asHelmReadsIt = (doc: string) => parse(doc, { schema: "yaml-1.1", intAsBigInt: true });

describe("helm_release values reach Helm unchanged (YAML 1.1)", () => {
  const { json } = synthConstruct((stack) => {
    new HelmProvider(stack, "helm", {});
    new HelmChart(stack, "chart", {
      chart: { repository: "https://charts.example.com", chart: "example", version: "1.0.0" },
      releaseName: "example",
      namespace: "example",
      values: { labels: AMBIGUOUS, replicas: 2, ratio: 0.5, enabled: true, list: ["on", 1] },
      footprint: { pods: [] },
    });
    const manifests = new ManifestsRelease(stack, "manifests", { releaseName: "objects", namespace: "example" });
    manifests.add({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "flags", namespace: "example", labels: { "example.com/enabled": "on" } }, data: AMBIGUOUS });
  });
  const valuesOf = (name: string): string[] => {
    const release = Object.values(json.resource!.helm_release).find((r) => r.name === name);
    return release.values;
  };

  test("an upstream chart's values: every ambiguous string stays a string, numbers and booleans stay themselves", () => {
    const [doc] = valuesOf("example");
    expect(asHelmReadsIt(doc)).toEqual({ labels: AMBIGUOUS, replicas: 2n, ratio: 0.5, enabled: true, list: ["on", 1n] });
  });

  test('the in-repo chart\'s objects: a label "on" reaches Helm as the string "on"', () => {
    const [doc] = valuesOf("objects");
    const [configMap] = asHelmReadsIt(doc).manifests;
    expect(configMap.metadata.labels["example.com/enabled"]).toBe("on");
    expect(configMap.data).toEqual(AMBIGUOUS);
  });

  test("the document is pretty-printed JSON: one value per line in a plan, keys in the order given", () => {
    const [doc] = valuesOf("example");
    expect(doc).toBe(helmValuesDocument({ labels: AMBIGUOUS, replicas: 2, ratio: 0.5, enabled: true, list: ["on", 1] }));
    expect(doc.split("\n").slice(0, 3)).toEqual(["{", '  "labels": {', '    "on": "on",']);
  });

  test("failing case: the same values written as YAML 1.2 (the yaml package's default) reach Helm changed", () => {
    // As a list: as map keys, `on` and `yes` would even collide (both read as the key true).
    const read = asHelmReadsIt(stringify({ list: Object.values(AMBIGUOUS) })).list;
    expect(read.slice(0, 7)).toEqual([true, false, true, true, false, false, 1000n]);
  });
});
