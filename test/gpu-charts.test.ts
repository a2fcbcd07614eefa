import { EFA_LABEL, GPU_DAEMONSET_TOLERATIONS } from "../constructs/karpenter/pool-labels";
import { helmReleases, unknownValueKeys } from "./helpers/gpu-reference";
import { oracle } from "./helpers/oracles";
import { stack } from "./helpers/synth";

/** The GPU-compute charts: pinned source and the oracle of that exact version's values.yaml. */
const CHARTS = {
  karpenter: { repository: "oci://public.ecr.aws/karpenter", chart: "karpenter", version: "1.14.1", values: "karpenter/values.yaml", freeForm: ["nodeSelector"] },
  "nvidia-device-plugin": { repository: "https://nvidia.github.io/k8s-device-plugin", chart: "nvidia-device-plugin", version: "0.20.0", values: "nvidia-device-plugin/values.yaml", freeForm: [] },
  "aws-efa-k8s-device-plugin": {
    repository: "https://aws.github.io/eks-charts",
    chart: "aws-efa-k8s-device-plugin",
    version: "v0.5.30",
    values: "aws-efa-k8s-device-plugin/values.yaml",
    freeForm: [],
  },
  "dcgm-exporter": { repository: "https://nvidia.github.io/dcgm-exporter/helm-charts", chart: "dcgm-exporter", version: "4.8.2", values: "dcgm-exporter/values.yaml", freeForm: [] },
} as const;

const ENVS = ["dev", "staging", "prod"];
const cases = ENVS.flatMap((env) => Object.keys(CHARTS).filter((release) => helmReleases(stack(`${env}-platform`)).has(release)).map((release) => [env, release] as const));

describe("every Helm value key set exists in the pinned chart's values.yaml", () => {
  test("the key check catches a misspelt key", () => {
    const reference = oracle("karpenter/values.yaml");
    expect(unknownValueKeys({ settings: { clusterName: "x", interuptionQueue: "q" } }, reference)).toEqual(["settings.interuptionQueue"]);
  });

  test.each(cases)("%s: %s", (env, release) => {
    const spec = CHARTS[release as keyof typeof CHARTS];
    const values = helmReleases(stack(`${env}-platform`)).get(release)!.values;
    expect(unknownValueKeys(values, oracle(spec.values), spec.freeForm)).toEqual([]);
  });
});

describe.each(ENVS)("GPU charts in %s", (env) => {
  const releases = helmReleases(stack(`${env}-platform`));

  test("every chart is pinned to its upstream repository and version", () => {
    for (const [name, spec] of Object.entries(CHARTS)) {
      const release = releases.get(name);
      if (!release) continue;
      expect(release.config).toEqual(expect.objectContaining({ repository: spec.repository, chart: spec.chart, version: spec.version }));
    }
  });

  test("karpenter-crd sets no values (its values.yaml is not in the reference set, so nothing could be checked)", () => {
    expect(releases.get("karpenter-crd")!.values).toEqual({});
  });

  test("the NVIDIA device plugin disables MOFED explicitly and tolerates the GPU pools' taints", () => {
    const values = releases.get("nvidia-device-plugin")!.values;
    expect(values.mofedEnabled).toBe(false);
    expect(values.tolerations).toEqual(GPU_DAEMONSET_TOLERATIONS);
  });

  test("DCGM exporter runs on GPU nodes with its ServiceMonitor left to the observability stack", () => {
    const values = releases.get("dcgm-exporter")!.values;
    expect(values.serviceMonitor).toEqual({ enabled: false });
    expect(values.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
    expect(values.tolerations).toEqual(GPU_DAEMONSET_TOLERATIONS);
  });
});

test.each(["staging", "prod"])("%s: the EFA device plugin runs only on EFA nodes and tolerates the GPU taint", (env) => {
  const values = helmReleases(stack(`${env}-platform`)).get("aws-efa-k8s-device-plugin")!.values;
  expect(values.nodeSelector).toEqual({ [EFA_LABEL]: "true" });
  expect(values.tolerations).toEqual(expect.arrayContaining([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]));
});
