// The deploy walk on staging's dedicated pool (vision's `team-vision`), with the changes that must fail it: the device
// plugin without the team toleration, a vision job over the pool's GPU limit, another team's job aimed at the pool.
// Whole walks of staging take seconds each, hence `npm run verify`; the unmodified walk runs in deploy-walk.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GPU_TAINT, TRAINING_TAINT, tolerationFor } from "../../constructs/karpenter/pool-labels";
import { DEDICATED_POOL_GUARD } from "../../constructs/tenancy/dedicated-pool-guard";
import { cel } from "../helpers/cel";
import { renderedObject, renderedObjects } from "../helpers/ml-helm";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { StackGraph } from "../helpers/deploy-walk/graph";
import { placements } from "../helpers/deploy-walk/scheduling";
import { podTemplatesOf, rayTemplates } from "../helpers/ray-templates";
import { walkDeploy } from "../helpers/deploy-walk/walk";
import { buildWorld, type FootprintIndex } from "../helpers/deploy-walk/world";
import { projectEnvironment, stack, synthesizeAll, type SynthesizedStack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const manifest = JSON.parse(readFileSync(join(synthesizeAll().outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
const footprints = declaredFootprints([projectEnvironment("staging")]);

/** A copy of staging's stacks after `change` edits them. */
function stagingStacks(change: (stacks: Record<string, Any>) => void): SynthesizedStack[] {
  const stacks: SynthesizedStack[] = synthesizeAll()
    .stacks.filter((s) => s.id.startsWith("staging-") && manifest.stacks[s.id])
    .map((s) => ({ ...s, json: structuredClone(s.json) }));
  change(Object.fromEntries(stacks.map((s) => [s.id, s.json])));
  return stacks;
}

/** Staging's first deploy walked after `change` edits a copy of its stacks; `prints` replaces the footprint index. */
function walk(change: (stacks: Record<string, Any>) => void = () => {}, prints: FootprintIndex = footprints) {
  const stacks = stagingStacks(change);
  return walkDeploy({ stacks, dependencies: Object.fromEntries(stacks.map((s) => [s.id, manifest.stacks[s.id].dependencies])), footprints: prints });
}

/** The pods (not DaemonSets) of staging after `change` that may land on vision's dedicated pool. */
function podsOnDedicated(change: (stacks: Record<string, Any>) => void = () => {}): string[] {
  const stacks = stagingStacks(change);
  const w = buildWorld(stacks, new Map(stacks.map((s) => [s.id, new StackGraph(s.id, s.json)])), footprints);
  const dedicated = w.nodeSources.find((n) => n.source.name === "NodePool team-vision")!.source;
  return w.pods.filter((p) => p.pod.kind !== "DaemonSet" && placements(p.pod, [dedicated]).allowed.length).map((p) => p.label);
}

/** Adds `objects` to the manifests of the teams stack's release of `team`. */
function addToTeam(stacks: Record<string, Any>, team: string, ...objects: Any[]): void {
  const release = Object.values(stacks["staging-teams"].resource.helm_release as Record<string, Any>).find((r) => r.name === `team-${team}`);
  release.values = release.values.map((v: string) => {
    const tree = JSON.parse(v);
    tree.manifests.push(...objects);
    return JSON.stringify(tree);
  });
}

/** A Job of `parallelism` pods with `gpus` each, placed as Kueue places a workload admitted on a flavor. */
function gpuJob(namespace: string, parallelism: number, gpus: number, placement: { tolerations: Any[]; nodeSelector: Record<string, string> }): Any {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `${namespace}-train`, namespace },
    spec: {
      parallelism,
      template: { spec: { ...placement, containers: [{ name: "train", image: "public.ecr.aws/docker/library/busybox:1.37", resources: { requests: { cpu: "4", memory: "16Gi" }, limits: { "nvidia.com/gpu": String(gpus) } } }] } },
    },
  };
}

const VISION = {
  tolerations: [tolerationFor(GPU_TAINT), { key: "ml-platform.io/team", operator: "Equal", value: "vision", effect: "NoSchedule" }],
  nodeSelector: { "node.ml-platform.io/pool": "team-vision", "karpenter.k8s.aws/instance-gpu-name": "l4" },
};

describe("staging's dedicated pool in the deploy walk", () => {
  test("as shipped, and with a vision job filling the pool, the walk finds nothing", () => {
    expect(walk().findings).toEqual([]);
    expect(walk((s) => addToTeam(s, "vision", gpuJob("vision", 1, 4, VISION))).findings).toEqual([]);
  });

  test("a device plugin that does not tolerate the team taint leaves the pool's GPUs unadvertised", () => {
    const prints = new Map(footprints);
    for (const [key, entry] of prints) {
      if (!key.startsWith("staging-platform ") || !entry.footprint?.advertises?.includes("nvidia.com/gpu")) continue;
      const pods = entry.footprint.pods.map((p) => ({ ...p, tolerations: [GPU_TAINT, TRAINING_TAINT].map(tolerationFor) }));
      prints.set(key, { ...entry, footprint: { ...entry.footprint, pods } });
    }
    expect(walk(undefined, prints).findings).toEqual([
      expect.stringMatching(/^staging-platform: helm_release\.compute_node-pools_release_\w+ \(NodePool team-vision\): has GPUs, but no DaemonSet advertising nvidia\.com\/gpu runs on its nodes \(DaemonSet kube-system\/nvidia-device-plugin: NodePool team-vision: does not tolerate ml-platform\.io\/team=vision:NoSchedule\)$/),
    ]);
  });

  test("vision's jobs beyond the pool's GPU limit stall, and are reported against the pool", () => {
    const r = walk((s) => addToTeam(s, "vision", gpuJob("vision", 2, 4, VISION)));
    expect(r.findings).toEqual([expect.stringMatching(/\(NodePool team-vision\): its pods at full scale need nvidia\.com\/gpu 8, over the pool's limit 4 \[Job vision\/vision-train x2\]$/)]);
  });

  test("no pod of the platform may land on the pool, only vision's Ray workers; a vision job on its flavor may, the same job in nlp may not", () => {
    // vision's Ray templates (environments/lib/ray-demand.ts puts a team's workers on its own pool first).
    const rayWorkers = ["RayCluster template ray-templates/gpu-cluster (worker gpu-workers)", "RayJob template ray-templates/distributed-training (worker gpu-workers)"];
    expect(podsOnDedicated()).toEqual(rayWorkers);
    const nlp = { tolerations: [tolerationFor(GPU_TAINT), { key: "ml-platform.io/team", operator: "Equal", value: "nlp", effect: "NoSchedule" }], nodeSelector: VISION.nodeSelector };
    expect(podsOnDedicated((s) => (addToTeam(s, "vision", gpuJob("vision", 1, 4, VISION)), addToTeam(s, "nlp", gpuJob("nlp", 1, 4, nlp))))).toEqual([...rayWorkers, "Job vision/vision-train"]);
  });

  test("another team's job aimed at the pool (its node labels, its own team's toleration) has nowhere to run", () => {
    const nlp = { tolerations: [tolerationFor(GPU_TAINT), { key: "ml-platform.io/team", operator: "Equal", value: "nlp", effect: "NoSchedule" }], nodeSelector: VISION.nodeSelector };
    const r = walk((s) => addToTeam(s, "nlp", gpuJob("nlp", 1, 4, nlp)));
    expect(r.findings).toEqual([expect.stringMatching(/\(Job nlp\/nlp-train\): no node source accepts it \(.*NodePool team-vision: does not tolerate ml-platform\.io\/team=vision:NoSchedule/)]);
  });
});

/**
 * The admission rule as rendered for staging, evaluated with @marcbachmann/cel-js (Kubernetes runs cel-go; the rule uses
 * only `has`, `all`, comparisons and boolean operators, common to both).
 */
describe("staging: the dedicated pools' toleration admission rule", () => {
  const [validation] = renderedObject(stack("staging-teams"), "ValidatingAdmissionPolicy", DEDICATED_POOL_GUARD).spec.validations;
  const admits = (namespace: string, tolerations?: Any[]) => cel(validation.expression, { request: { namespace, operation: "CREATE" }, object: { spec: tolerations ? { tolerations } : {} } });
  const team = (value: string, operator?: string) => ({ key: "ml-platform.io/team", ...(operator ? { operator } : {}), value, effect: "NoSchedule" });

  test("admits the owner's pods on its flavor (Kueue's tolerations), pods of the shared flavors and pods without tolerations", () => {
    const flavors = renderedObjects(stack("staging-teams")).map(({ obj }) => obj).filter((o) => o.kind === "ResourceFlavor");
    for (const f of flavors) expect([f.metadata.name, admits(f.metadata.name.startsWith("team-vision") ? "vision" : "nlp", f.spec.tolerations)]).toEqual([f.metadata.name, true]);
    expect(admits("vision", [team("vision")])).toBe(true);
    expect(admits("nlp")).toBe(true);
    // The defaults Kubernetes adds (DefaultTolerationSeconds) and a NoExecute toleration of everything do not reach NoSchedule taints.
    expect(admits("nlp", [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }, { operator: "Exists", effect: "NoExecute" }])).toBe(true);
  });

  test("admits every pod of the teams' Ray templates in its namespace (vision's workers tolerate its pool by value)", () => {
    const pods = rayTemplates(stack("staging-teams")).flatMap(({ namespace, cr }) => podTemplatesOf(cr).map(([group, t]) => ({ namespace, group, tolerations: t.spec.tolerations })));
    expect(pods.filter((p) => p.namespace === "vision" && p.tolerations?.some((t: Any) => t.key === "ml-platform.io/team"))).not.toHaveLength(0);
    for (const p of pods) expect([p.namespace, p.group, admits(p.namespace, p.tolerations)]).toEqual([p.namespace, p.group, true]);
    // The same worker in the other team's namespace is refused.
    const vision = pods.find((p) => p.namespace === "vision" && p.tolerations?.some((t: Any) => t.key === "ml-platform.io/team"))!;
    expect(admits("nlp", vision.tolerations)).toBe(false);
  });

  test("denies another team's toleration, any team's (Exists), and tolerating every taint", () => {
    expect(admits("nlp", [tolerationFor(GPU_TAINT), team("vision", "Equal")])).toBe(false);
    expect(admits("nlp", [team("vision")])).toBe(false);
    expect(admits("vision", [{ key: "ml-platform.io/team", operator: "Exists", effect: "NoSchedule" }])).toBe(false);
    expect(admits("nlp", [{ operator: "Exists" }])).toBe(false);
    expect(admits("kubeflow", [{ key: "ml-platform.io/team", operator: "Exists" }])).toBe(false);
  });
});
