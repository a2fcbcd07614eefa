// The platform side of issue 17 in the Karpenter pools and the DCGM exporter: node repair, the FSx startup taint and
// zone pin, the huge-pages NodeOverlay, the capacity fallback tiers, and the exporter as a client of the agent's engine.
import { instanceType } from "../../constructs/catalog/instance-types";
import { EFA_TRAINING_POOL } from "../../constructs/karpenter/pool-labels";
import { CAPACITY_TIER_LABEL, efaHugePagesOverlay, reservedTiers } from "../../constructs/resilience/capacity-fallback";
import { DCGM_HOST_ENGINE_INSTANCE_TYPES } from "../../constructs/resilience/dcgm-host-engine";
import type { Banner } from "../../scripts/lib/plan-diff";
import { crdValidator, helmReleases, releaseManifests, withSampleTokenValues } from "../helpers/gpu-reference";
import { editValues, edited, projectStacks, review } from "../helpers/review-scenarios";
import { projectEnvironment, stack } from "../helpers/synth";
import type { PodFootprint } from "../../constructs/kubernetes/footprint";
import { CLAIMS } from "../../constructs/resilience/training-storage-layout";
import { fsxZone } from "../../environments/lib/resilience-schema";
import { nodePoolSource, placements } from "../helpers/deploy-walk/scheduling";
import { podTemplatesOf, rayTemplates } from "../helpers/ray-templates";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const cache = new Map<string, Map<string, Json>>();
const pools = (env: string) => cache.get(env) ?? cache.set(env, releaseManifests(stack(`${env}-platform`), "karpenter-node-pools")).get(env)!;
const pool = (env: string, name: string): Json => pools(env).get(`NodePool/${name}`);
const zoneOf = (p: Json) => p.spec.template.spec.requirements.find((r: Json) => r.key === "topology.kubernetes.io/zone")?.values;
const FSX_TAINT = { key: "fsx.csi.aws.com/agent-not-ready", effect: "NoExecute" };

describe("pools that mount FSx", () => {
  test("prod: both training pools start tainted until the FSx CSI driver is ready and stay in the file system's zone", () => {
    for (const name of ["efa-training", "gpu-training"]) {
      expect([name, pool("prod", name).spec.template.spec.startupTaints, zoneOf(pool("prod", name))]).toEqual([name, [FSX_TAINT], ["us-east-1c"]]);
    }
  });

  test("staging: every GPU pool but inference (EFA, GPU training, vision's dedicated pool) is tainted and pinned; inference never", () => {
    for (const name of ["efa-training", "gpu-training", "team-vision"]) {
      expect([name, pool("staging", name).spec.template.spec.startupTaints, zoneOf(pool("staging", name))]).toEqual([name, [FSX_TAINT], ["us-east-1b"]]);
    }
    for (const env of ["dev", "staging", "prod"]) expect([pool(env, "gpu-inference").spec.template.spec.startupTaints, zoneOf(pool(env, "gpu-inference"))]).toEqual([undefined, undefined]);
    // Without FSx (dev) nothing is tainted or pinned for it.
    for (const p of pools("dev").values()) if (p.kind === "NodePool") expect(p.spec.template.spec.startupTaints).toBeUndefined();
  });

  /** Every GPU pod template of `env` that mounts an FSx claim: the TrainJob runtimes' and the teams' Ray templates'. */
  function fsxGpuPods(env: string): Array<{ label: string; pod: PodFootprint }> {
    const runtimes = [...releaseManifests(stack(`${env}-ml`), "training-runtimes").values()]
      .filter((o) => o.kind === "ClusterTrainingRuntime")
      .flatMap((o) => (o.spec.template.spec.replicatedJobs as Json[]).map((j) => ({ label: `${o.metadata.name}/${j.name}`, spec: j.template.spec.template.spec })));
    const ray = rayTemplates(stack(`${env}-teams`)).flatMap(({ namespace, cr }) => podTemplatesOf(cr).map(([group, t]) => ({ label: `${namespace}/${cr.kind}/${group}`, spec: t.spec })));
    const fsxClaims: string[] = [CLAIMS.fsxCheckpoints, CLAIMS.fsxDatasets];
    return [...runtimes, ...ray].flatMap(({ label, spec }) => {
      const mountsFsx = ((spec.volumes ?? []) as Json[]).some((v) => fsxClaims.includes(v.persistentVolumeClaim?.claimName));
      const c = spec.containers[0].resources ?? {};
      const extended = Object.fromEntries(Object.entries({ ...c.limits, ...c.requests }).filter(([k]) => k.includes("/"))) as Record<string, string>;
      if (!mountsFsx || !extended["nvidia.com/gpu"]) return [];
      return [{ label, pod: { name: label, kind: "Job" as const, requests: { cpu: c.requests?.cpu ?? "1", memory: c.requests?.memory ?? "1Gi", extended }, tolerations: spec.tolerations, nodeSelector: spec.nodeSelector } }];
    });
  }

  test.each(["staging", "prod"])("%s: every NodePool a GPU pod mounting FSx can land on starts tainted and sits in the file system's zone", (env) => {
    const nodePools = [...pools(env).values()].filter((o) => o.kind === "NodePool");
    const sources = nodePools.map(nodePoolSource);
    const zone = fsxZone(projectEnvironment(env));
    const pods = fsxGpuPods(env);
    // The runtimes of both training pools and every team's Ray workers.
    expect(pods.length).toBeGreaterThanOrEqual(4);
    for (const { label, pod } of pods) {
      const landing = placements(pod, sources).allowed.map((a) => nodePools[sources.indexOf(a)]);
      expect([label, landing.length > 0]).toEqual([label, true]);
      for (const p of landing) expect([label, p.metadata.name, p.spec.template.spec.startupTaints, zoneOf(p)]).toEqual([label, p.metadata.name, [FSX_TAINT], [zone]]);
    }
  });

  test("the review flags the one-time roll of every node of the pools the startup taint is added to", () => {
    const stacks = projectStacks();
    // The base is the same source without the FSx startup taint: adding it is what the review must flag.
    const base = edited(stacks, "prod-platform", (s) =>
      editValues(s, "karpenter-node-pools", (v) => {
        for (const m of v.manifests as Json[]) {
          const spec = m.kind === "NodePool" ? m.spec.template.spec : undefined;
          if (!spec?.startupTaints) continue;
          spec.startupTaints = spec.startupTaints.filter((t: Json) => t.key !== FSX_TAINT.key);
          if (!spec.startupTaints.length) delete spec.startupTaints;
        }
      }),
    );
    const rolls = review(stacks, { base }).banners.filter((b: Banner) => b.kind === "node-roll");
    expect(rolls.map((b: Banner) => [b.subject, b.severity])).toEqual([
      ["efa-training", "critical"],
      ["gpu-training", "critical"],
    ]);
    for (const b of rolls) expect(b.message).toContain("spec.template.spec.startupTaints");
    expect(rolls.map((b: Banner) => b.message).join("\n")).toContain("every node drifts and is replaced");
  });
});

describe("huge pages for EFA through a NodeOverlay", () => {
  test("staging and prod tell Karpenter their EFA types offer the AMI's 5128 x 2 MiB huge pages; the gate is on", () => {
    expect(pools("prod").get("NodeOverlay/efa-hugepages").spec).toEqual({
      requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["p5.48xlarge"] }],
      capacity: { "hugepages-2Mi": "10256Mi" },
    });
    expect(helmReleases(stack("staging-platform")).get("karpenter")!.values.settings.featureGates).toEqual({ nodeRepair: true, nodeOverlay: true });
    expect(pools("dev").has("NodeOverlay/efa-hugepages")).toBe(false);
  });

  test("the overlay adds huge pages only, for the types given", () => {
    expect((efaHugePagesOverlay(["p4d.24xlarge"]) as Json).spec).toEqual({ requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["p4d.24xlarge"] }], capacity: { "hugepages-2Mi": "10256Mi" } });
  });
});

describe("capacity fallback: Capacity Blocks, then ODCRs, then on-demand", () => {
  const prodEfaClass = pools("prod").get("EC2NodeClass/efa-training").spec;
  const nodeClass = {
    amiAlias: "al2023@v20260818",
    role: "mlp-prod-karpenter-node",
    subnetSelectorTerms: [{ id: "subnet-0123456789abcdef0" }],
    securityGroupSelectorTerms: [{ id: "sg-0123456789abcdef0" }],
    rootVolumeGiB: 500,
    rootVolumeKmsKeyArn: "arn:aws:kms:us-east-1:444455556666:key/11111111-2222-3333-4444-555555555555",
    tags: { Project: "ml-platform" },
    networkInterfaces: prodEfaClass.networkInterfaces,
  };
  const tiers = reservedTiers({
    pool: EFA_TRAINING_POOL,
    nodeClass,
    instanceTypes: [instanceType("p5.48xlarge")],
    baseRequirements: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1c"] }],
    reservations: { capacityBlocks: [{ id: "cr-0a1b2c3d4e5f60718", instanceCount: 2 }], capacityReservations: [{ id: "cr-0fedcba9876543210", instanceCount: 4 }] },
    startupTaints: [FSX_TAINT as Json],
    consolidateAfter: "30m",
    terminationGracePeriod: "24h",
  });
  const byName = new Map(tiers.map((o: Json) => [`${o.kind}/${o.metadata.name}`, o]));

  test("one EC2NodeClass selects both reservations and has no placement group", () => {
    const c: Json = byName.get("EC2NodeClass/efa-training-reserved");
    expect(c.spec.capacityReservationSelectorTerms).toEqual([{ id: "cr-0a1b2c3d4e5f60718" }, { id: "cr-0fedcba9876543210" }]);
    expect(c.spec.placementGroupSelector).toBeUndefined();
    expect(c.spec.networkInterfaces).toEqual(prodEfaClass.networkInterfaces);
  });

  test("Capacity Block pool outweighs the ODCR pool, which outweighs on-demand; each launches only its reservation type, up to what it holds", () => {
    const cb: Json = byName.get("NodePool/efa-training-capacity-block");
    const odcr: Json = byName.get("NodePool/efa-training-odcr");
    expect([cb.spec.weight, odcr.spec.weight, pool("prod", "efa-training").spec.weight]).toEqual([30, 20, undefined]);
    const req = (p: Json, key: string) => p.spec.template.spec.requirements.find((r: Json) => r.key === key).values;
    expect([req(cb, "karpenter.sh/capacity-type"), req(cb, "karpenter.k8s.aws/capacity-reservation-type")]).toEqual([["reserved"], ["capacity-block"]]);
    expect([req(odcr, "karpenter.sh/capacity-type"), req(odcr, "karpenter.k8s.aws/capacity-reservation-type")]).toEqual([["reserved"], ["default"]]);
    expect([cb.spec.limits, odcr.spec.limits]).toEqual([{ "nvidia.com/gpu": 16 }, { "nvidia.com/gpu": 32 }]);
    // Same placement contract as the on-demand pool, plus the tier.
    expect(cb.spec.template.metadata.labels).toEqual({ ...EFA_TRAINING_POOL.nodeSelector, [CAPACITY_TIER_LABEL]: "capacity-block" });
    expect(cb.spec.template.spec.taints).toEqual(EFA_TRAINING_POOL.taints);
    expect(cb.spec.template.spec.startupTaints).toEqual([FSX_TAINT]);
  });

  test("every tier validates against the Karpenter 1.14.1 CRDs; a tier without reservations is left out; none at all is an error", () => {
    const pool = crdValidator("karpenter/crds/karpenter.sh_nodepools.yaml", "v1");
    const cls = crdValidator("karpenter/crds/karpenter.k8s.aws_ec2nodeclasses.yaml", "v1");
    for (const o of tiers as Json[]) {
      const v = o.kind === "NodePool" ? pool : cls;
      expect([o.metadata.name, v(withSampleTokenValues(o)), v.errors ?? []]).toEqual([o.metadata.name, true, []]);
    }
    const onlyBlocks = reservedTiers({ ...baseProps(), reservations: { capacityBlocks: [{ id: "cr-0a1b2c3d4e5f60718", instanceCount: 2 }], capacityReservations: [] } });
    expect(onlyBlocks.map((o: Json) => o.metadata.name)).toEqual(["efa-training-reserved", "efa-training-capacity-block"]);
    expect(() => reservedTiers({ ...baseProps(), reservations: { capacityBlocks: [], capacityReservations: [] } })).toThrow("capacity fallback needs at least one reservation");
  });

  function baseProps() {
    return { pool: EFA_TRAINING_POOL, nodeClass, instanceTypes: [instanceType("p5.48xlarge")], baseRequirements: [], consolidateAfter: "30m", terminationGracePeriod: "24h" };
  }
});

describe("the DCGM exporter uses the node monitoring agent's host engine", () => {
  test.each(["dev", "staging", "prod"])("%s: remote host engine on the node IP, where dcgm-server runs", (env) => {
    const values = helmReleases(stack(`${env}-platform`)).get("dcgm-exporter")!.values;
    expect(values.arguments).toEqual(["-f", "/etc/dcgm-exporter/default-counters.csv", "--remote-hostengine-info=$(NODE_IP):5555"]);
    expect(values.extraEnv).toEqual([{ name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }]);
    const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    const hostEngine = [
      { key: "node.kubernetes.io/instance-type", operator: "In", values: [...DCGM_HOST_ENGINE_INSTANCE_TYPES] },
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    ];
    // Every term requires the host engine's nodes; with MIG pools (prod) each also carries the MIG readiness
    // constraint of docs/serving.md (terms are ORed, so the two constraints are ANDed term by term).
    expect(terms.length).toBeGreaterThan(0);
    for (const term of terms) expect(term.matchExpressions.slice(0, 2)).toEqual(hostEngine);
    expect(terms.length > 1).toBe(env === "prod");
    // The counters file is still the chart's ConfigMap, so every existing DCGM metric keeps its source.
    expect(values.arguments.slice(0, 2)).toEqual(["-f", "/etc/dcgm-exporter/default-counters.csv"]);
  });
});
