// GPU sharing as rendered per pool: the device plugin configuration each pool's nodes select by label, the MIG
// capacity Karpenter learns from NodeOverlays (behind the nodeOverlay gate), and a first deploy in which a pod that
// requests a MIG slice gets a node, and does not without the overlays.
import { parse } from "yaml";
import { devicePluginConfigs, nodeCapacity, sharingOverlays, type SharedPool } from "../../constructs/serving/gpu-sharing";
import { validateEnvironment } from "../../environments/lib/load";
import { computeSharing, sharedPools } from "../../stacks/platform/serving";
import { brokenStaging } from "../helpers/environments";
import { walkDeploy, type WalkInput } from "../helpers/deploy-walk/walk";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { release, renderedObjects } from "../helpers/ml-helm";
import { projectEnvironment, projectEnvironments, stack, synthesizeAll, type SynthesizedStack } from "../helpers/synth";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ENVS = ["dev", "staging", "prod"] as const;

describe.each(ENVS)("%s: device plugin configuration per pool", (env) => {
  const platform = stack(`${env}-platform`);
  const plugin = release(platform, "nvidia-device-plugin").values as Any;
  const pools = renderedObjects(platform).filter(({ obj }) => obj.kind === "NodePool").map(({ obj }) => obj);

  test("every GPU pool's nodes name a configuration the plugin has, and the configuration matches the pool's sharing", () => {
    const configs: Record<string, string> = plugin.config?.map ?? {};
    for (const p of pools) {
      const name = p.spec.template.metadata.labels["nvidia.com/device-plugin.config"];
      if (name === undefined) continue;
      expect(Object.keys(configs)).toContain(name);
      const cfg = parse(configs[name]);
      expect(cfg.version).toBe("v1");
      if (p.metadata.name === "shared-gpu") expect(cfg.flags.migStrategy).toBe("mixed");
    }
    if (env === "prod") {
      expect(Object.keys(configs).sort()).toEqual(["default", "shared-gpu"]);
      expect(parse(configs.default)).toEqual({ version: "v1", flags: { migStrategy: "none" } });
    } else {
      // No pool shares GPUs: the chart's single configuration, whole GPUs.
      expect(plugin.config).toBeUndefined();
    }
  });

  test("Karpenter's nodeOverlay gate is on where a pool shares GPUs, with one overlay per shared instance type", () => {
    const gates = (release(platform, "karpenter").values as Any).settings.featureGates;
    // The EFA pools' huge-pages overlay (docs/resilience.md) needs the same gate; only GPU-sharing overlays count here.
    const overlays = renderedObjects(platform)
      .filter(({ obj }) => obj.kind === "NodeOverlay" && Object.keys(obj.spec.capacity).some((k) => k.startsWith("nvidia.com/")))
      .map(({ obj }) => obj);
    if (env === "prod") {
      expect(gates).toEqual({ nodeOverlay: true, nodeRepair: true });
      expect(overlays.map((o) => [o.metadata.name, o.spec.capacity])).toEqual([["shared-gpu-p5-48xlarge", { "nvidia.com/gpu": "0", "nvidia.com/mig-1g.10gb": "56" }]]);
      expect(overlays[0].spec.requirements).toContainEqual({ key: "karpenter.sh/nodepool", operator: "In", values: ["shared-gpu"] });
      const shared = pools.find((p) => p.metadata.name === "shared-gpu")!;
      expect(shared.spec.limits).toEqual({ "nvidia.com/mig-1g.10gb": 112 });
      expect(shared.spec.template.metadata.labels).toMatchObject({ "nvidia.com/device-plugin.config": "shared-gpu", "nvidia.com/mig.config": "shared-gpu", "nvidia.com/mig.capable": "true" });
    } else {
      expect(gates.nodeOverlay === true).toBe(projectEnvironment(env).compute.efa.mode === "karpenter");
      expect(overlays).toEqual([]);
    }
  });
});

describe("device plugin configurations for each kind of sharing", () => {
  const pools: SharedPool[] = [
    { pool: "gpu-inference", instanceTypes: ["g6.xlarge", "g6.12xlarge"], sharing: { mode: "time-slicing", replicas: 4 } },
    { pool: "shared-gpu", instanceTypes: ["p4d.24xlarge"], sharing: { mode: "mig", strategy: "single", layouts: { "p4d.24xlarge": "all-1g.5gb" } } },
  ];

  test("time-slicing advertises each GPU `replicas` times and refuses requests for more than one shared GPU", () => {
    const { map, advertises } = devicePluginConfigs(pools);
    expect(parse(map["gpu-inference"])).toEqual({
      version: "v1",
      flags: { migStrategy: "none" },
      sharing: { timeSlicing: { renameByDefault: false, failRequestsGreaterThanOne: true, resources: [{ name: "nvidia.com/gpu", replicas: 4 }] } },
    });
    expect(nodeCapacity(pools[0], "g6.12xlarge")).toEqual({ "nvidia.com/gpu": 16 });
    expect(advertises).toEqual(["nvidia.com/gpu"]);
  });

  test("MIG single advertises each slice as a GPU (A100 40GB: 7 x 1g.5gb per GPU)", () => {
    expect(parse(devicePluginConfigs(pools).map["shared-gpu"])).toEqual({ version: "v1", flags: { migStrategy: "single" } });
    expect(nodeCapacity(pools[1], "p4d.24xlarge")).toEqual({ "nvidia.com/gpu": 56 });
  });

  test("a MIG pool type without a layout is a programming error, not a silent whole-GPU node", () => {
    expect(() => nodeCapacity(pools[1], "p5.48xlarge")).toThrow("p5.48xlarge has no MIG layout");
  });
});

describe("prod's first deploy: a pod requesting nvidia.com/mig-1g.10gb", () => {
  const manifest = JSON.parse(readFileSync(join(synthesizeAll().outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
  const input = (): WalkInput => {
    const stacks = synthesizeAll().stacks.filter((s) => s.id.startsWith("prod-") && manifest.stacks[s.id]);
    return { stacks, dependencies: Object.fromEntries(stacks.map((s) => [s.id, manifest.stacks[s.id].dependencies])), footprints: declaredFootprints(projectEnvironments()) };
  };

  test("gets a shared-gpu node: Karpenter learns the slices from the NodeOverlay", () => {
    expect(walkDeploy(input()).findings).toEqual([]);
  });

  test("has nowhere to run without the nodeOverlay gate (Karpenter would see 8 whole GPUs and no slices)", () => {
    const base = input();
    const stacks: SynthesizedStack[] = base.stacks.map((s) => ({ ...s, json: structuredClone(s.json) }));
    const platform = stacks.find((s) => s.id === "prod-platform")!.json as Any;
    const karpenter = Object.values(platform.resource.helm_release as Record<string, Any>).find((r) => r.name === "karpenter");
    karpenter.values = [String(karpenter.values[0]).replace(/"nodeOverlay": true/, '"nodeOverlay": false')];
    const findings = walkDeploy({ ...base, stacks }).findings;
    expect(findings).toContainEqual(expect.stringMatching(/\(Deployment llm\/qwen-1-5b\): requests nvidia\.com\/mig-1g\.10gb, which no node it may use has$/));
  });
});

describe("what sharing changes in the compute of an environment (stacks/platform/serving.ts computeSharing)", () => {
  const staging = (gpuSharing: Any) =>
    validateEnvironment("staging", brokenStaging((e) => {
      e.compute.gpuSharing = gpuSharing;
      // Two Llama-3.1-8B engines (16 GB of bf16 weights each) fit one 48 GB L40S at 0.45 each.
      if (gpuSharing["gpu-inference"]) e.ml.llm.models[0].gpuMemoryUtilization = 0.45;
    }));

  test("time-slicing the inference pool: its nodes select the pool's config, its limit counts slices, Karpenter learns 2 x the GPUs", () => {
    const env = staging({ "gpu-inference": { mode: "time-slicing", replicas: 2 } });
    const s = computeSharing(env);
    expect(s.featureGates).toEqual({ nodeOverlay: true });
    expect(s.poolLabels("gpu-inference")).toEqual({ "nvidia.com/device-plugin.config": "gpu-inference" });
    // No MIG pool: no GPU Operator, so the other pools need no label keeping its operands away.
    expect(s.poolLabels("gpu-training")).toEqual({});
    expect(s.gpuLimit("gpu-inference", 16)).toBe(32);
    expect(s.gpuLimit("gpu-training", 16)).toBe(16);
    expect(Object.keys(s.devicePlugin!.configs.map).sort()).toEqual(["default", "gpu-inference"]);
    expect(s.dcgmAffinity).toBeUndefined();
    const pool = sharedPools(env).find((p) => p.pool === "gpu-inference")!;
    const overlay = sharingOverlays(pool).find((o) => o.metadata.name === "gpu-inference-g6e-12xlarge")!;
    expect((overlay.spec as Any).capacity).toEqual({ "nvidia.com/gpu": "8" });
  });

  test("no sharing anywhere: nothing changes (no gate, no plugin configs, no labels)", () => {
    const s = computeSharing(staging({}));
    expect([s.featureGates, s.devicePlugin, s.dcgmAffinity, s.poolLabels("gpu-inference"), s.gpuLimit("gpu-inference", 16)]).toEqual([undefined, undefined, undefined, {}, 16]);
  });
});
