import { helmReleases, mergeValues, renderedManifests } from "./manifests";
import type { TerraformJson } from "./synth";

const nodePool = { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "cpu" }, spec: {} };
const nodeClass = { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "cpu" }, spec: {} };

const json: TerraformJson = {
  resource: {
    helm_release: {
      karpenter: {
        name: "karpenter",
        chart: "karpenter",
        repository: "oci://public.ecr.aws/karpenter",
        version: "1.14.1",
        values: ["settings:\n  clusterName: mlp-dev\n  featureGates:\n    nodeRepair: false\ntolerations:\n  - key: a\n", JSON.stringify({ settings: { featureGates: { nodeRepair: true } }, tolerations: [] })],
      },
      capacity: {
        name: "capacity",
        chart: "./assets/manifests/chart",
        values: [`manifests:\n  - apiVersion: karpenter.sh/v1\n    kind: NodePool\n    metadata:\n      name: stale\n`, JSON.stringify({ manifests: [nodePool, nodeClass] })],
      },
      "//": { comment: "cdktf metadata keys are not releases" },
    },
  },
};

describe("helm release helpers", () => {
  test("helmReleases deep-merges values documents in order, YAML and JSON alike (lists replace)", () => {
    expect(helmReleases({ json })[0]).toEqual({
      address: "helm_release.karpenter",
      name: "karpenter",
      chart: "karpenter",
      repository: "oci://public.ecr.aws/karpenter",
      version: "1.14.1",
      values: { settings: { clusterName: "mlp-dev", featureGates: { nodeRepair: true } }, tolerations: [] },
    });
    expect(helmReleases({ json }).map((r) => r.address)).toEqual(["helm_release.karpenter", "helm_release.capacity"]);
  });

  test("renderedManifests returns the objects Helm would render from the merged manifests list", () => {
    expect(renderedManifests({ json })).toEqual([
      { release: "capacity", address: "helm_release.capacity", manifest: nodePool },
      { release: "capacity", address: "helm_release.capacity", manifest: nodeClass },
    ]);
  });

  test("fails values that are not YAML or a manifests entry that is not an object", () => {
    const bad = (values: string[]): TerraformJson => ({ resource: { helm_release: { r: { name: "r", chart: "c", values } } } });
    expect(() => helmReleases({ json: bad(["a: [unclosed"]) })).toThrow(/^helm_release\.r: values\[0\] is not valid YAML\/JSON/);
    expect(() => renderedManifests({ json: bad(['{"manifests": {"kind": "NodePool"}}']) })).toThrow("helm_release.r: values.manifests must be a list, got object");
    expect(() => renderedManifests({ json: bad(['{"manifests": ["NodePool"]}']) })).toThrow("helm_release.r: values.manifests[0] is not an object");
  });

  test("mergeValues merges maps and replaces everything else", () => {
    expect(mergeValues({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: { e: 1 } })).toEqual({ a: { b: 1, c: [2] }, d: { e: 1 } });
  });
});
