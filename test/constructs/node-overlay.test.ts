import { nodeOverlay } from "../../constructs/karpenter/node-overlay";
import { validateCustomResource } from "../helpers/crd";

describe("NodeOverlay (karpenter.sh/v1alpha1)", () => {
  const hugePages = () => nodeOverlay({ name: "efa-huge-pages", requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["p5.48xlarge"] }], capacity: { "hugepages-2Mi": "10Gi" }, weight: 10 });

  test("renders an overlay that validates against Karpenter 1.14's NodeOverlay CRD", () => {
    expect(hugePages()).toEqual({
      apiVersion: "karpenter.sh/v1alpha1",
      kind: "NodeOverlay",
      metadata: { name: "efa-huge-pages" },
      spec: { requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["p5.48xlarge"] }], capacity: { "hugepages-2Mi": "10Gi" }, weight: 10 },
    });
    expect(validateCustomResource(hugePages())).toEqual([]);
  });

  test("the CRD check can fail: a malformed quantity", () => {
    const bad = hugePages();
    (bad.spec as { capacity: Record<string, string> }).capacity["hugepages-2Mi"] = "ten gigs";
    expect(validateCustomResource(bad)).toEqual([expect.stringContaining("/spec/capacity/hugepages-2Mi")]);
  });

  test("refuses to overlay cpu, memory, ephemeral-storage or pods, and an overlay that selects nothing", () => {
    expect(() => nodeOverlay({ name: "x", requirements: [{ key: "k", operator: "Exists" }], capacity: { memory: "1Gi" } })).toThrow("NodeOverlay x: capacity may not overlay memory");
    expect(() => nodeOverlay({ name: "x", requirements: [] })).toThrow("requirements must select instance types");
  });
});
