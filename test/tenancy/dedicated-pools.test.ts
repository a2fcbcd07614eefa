// Team-dedicated GPU pools (`teams.tenants[].dedicatedPool`, docs/tenancy.md "Dedicated GPU pools"): the rules of the
// field, the NodePool and EC2NodeClass (taints, labels, the team's cost tags, the shared node settings), the Kueue flavor
// only its owner's queue lists, where pods land (the owner's jobs there, nobody else's; every GPU DaemonSet reaches it),
// and its cost lines. Staging ships vision's pool as the example.
import { karpenterControllerPolicies } from "../../constructs/karpenter/controller-policies";
import { GPU_DAEMONSET_TOLERATIONS, GPU_TAINT, TRAINING_TAINT, tolerationFor } from "../../constructs/karpenter/pool-labels";
import type { PodFootprint } from "../../constructs/kubernetes/footprint";
import { DEDICATED_POOL_GUARD, DEDICATED_POOL_RULE } from "../../constructs/tenancy/dedicated-pool-guard";
import { gpuFlavors } from "../../constructs/tenancy/flavors";
import { listedQuotas } from "../../constructs/tenancy/queues";
import { costCeiling } from "../../environments/lib/cost";
import { validateEnvironment } from "../../environments/lib/load";
import { teamCosts } from "../../environments/lib/team-cost";
import { placements, nodePoolSource } from "../helpers/deploy-walk/scheduling";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";
import { helmReleases, releaseManifests } from "../helpers/gpu-reference";
import { simulate, type PolicyDoc } from "../helpers/ml-iam";
import { renderedObjects } from "../helpers/ml-helm";
import { projectEnvironment, stack } from "../helpers/synth";
import { computeSharing } from "../../stacks/platform/serving";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const E = 'environment "staging": teams.tenants';
/** Staging with vision's dedicated pool replaced (undefined: removed). */
const withPool = (pool: LooseInput, mutate: (input: LooseInput) => void = () => {}) =>
  brokenStaging((e) => {
    e.teams.tenants[0].dedicatedPool = pool;
    mutate(e);
  });

describe("teams.tenants[].dedicatedPool: validation", () => {
  test("staging ships vision's pool: one g6.12xlarge, on-demand by default", () => {
    expect(projectEnvironment("staging").teams.tenants[0]).toEqual(expect.objectContaining({ name: "vision", dedicatedPool: { instanceTypes: ["g6.12xlarge"], gpus: 4, capacityType: "on-demand" } }));
  });

  test("rejects types without a GPU or unknown to the catalog, and GPU models mixed in one pool", () => {
    expect(problemsOf("staging", withPool({ instanceTypes: ["m7i.xlarge"], gpus: 4 }))).toEqual([`${E}[0].dedicatedPool.instanceTypes[0]: got "m7i.xlarge"; has no GPU`]);
    expect(problemsOf("staging", withPool({ instanceTypes: ["g9.xlarge"], gpus: 4 }))[0]).toMatch(/^environment "staging": teams\.tenants\[0\]\.dedicatedPool\.instanceTypes\[0\]: got "g9\.xlarge"; /);
    expect(problemsOf("staging", withPool({ instanceTypes: ["g6.12xlarge", "g6e.12xlarge"], gpus: 8 }))).toEqual([
      `${E}[0].dedicatedPool.instanceTypes: got ["g6.12xlarge","g6e.12xlarge"]; must all have the same GPU model (got l4, l40s): the pool is one Kueue flavor team-vision-<gpu> holding all its GPUs`,
    ]);
  });

  test("rejects a GPU limit below the largest type's GPUs (that type would never launch)", () => {
    expect(problemsOf("staging", withPool({ instanceTypes: ["g6.xlarge", "g6.12xlarge"], gpus: 2 }))).toEqual([
      `${E}[0].dedicatedPool.gpus: got 2; must be at least 4, the GPUs of g6.12xlarge: a smaller limit never launches that type`,
    ]);
  });

  test("has no GPU sharing and no reserved capacity: MIG or time-slicing settings and other capacity types are refused", () => {
    expect(problemsOf("staging", withPool({ instanceTypes: ["p4d.24xlarge"], gpus: 8, sharing: { mode: "mig" } }))).toEqual([
      expect.stringMatching(/^environment "staging": teams\.tenants\[0\]\.dedicatedPool\.sharing: unknown field/),
    ]);
    expect(problemsOf("staging", withPool({ instanceTypes: ["g6.12xlarge"], gpus: 4, capacityType: "reserved" }))[0]).toMatch(/^environment "staging": teams\.tenants\[0\]\.dedicatedPool\.capacityType: got "reserved"; /);
  });

  test("no queue names a dedicated flavor in its gpus: not the owner (its quota is the pool), not another team, not the pipelines", () => {
    const named = (mutate: (e: LooseInput) => void) => problemsOf("staging", withPool({ instanceTypes: ["g6.12xlarge"], gpus: 4 }, mutate));
    expect(named((e) => (e.teams.tenants[1].gpus["team-vision-l4"] = { nominal: 1 }))).toEqual([
      `${E}[1].gpus.team-vision-l4: got "team-vision-l4"; is team vision's dedicated pool, which no other queue may use`,
    ]);
    expect(named((e) => (e.teams.tenants[0].gpus["team-vision-l4"] = { nominal: 4 }))).toEqual([
      `${E}[0].gpus.team-vision-l4: got "team-vision-l4"; comes from this team's dedicatedPool: its quota there is dedicatedPool.gpus`,
    ]);
    expect(named((e) => (e.teams.pipelines.gpus = { "team-vision-l4": { nominal: 1 } }))).toEqual([
      'environment "staging": teams.pipelines.gpus.team-vision-l4: got "team-vision-l4"; is team vision\'s dedicated pool, which no other queue may use',
    ]);
  });

  test("the longest team name the name rule allows still gives a pool name that is a label value and a DNS label", () => {
    const name = "a".repeat(30);
    const env = validateEnvironment("staging", withPool({ instanceTypes: ["g6.12xlarge"], gpus: 4 }, (e) => (e.teams.tenants[0].name = name)));
    const pool = gpuFlavors(env).find((f) => f.owner === name)!;
    expect(pool.pool.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(pool.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(problemsOf("staging", withPool({ instanceTypes: ["g6.12xlarge"], gpus: 4 }, (e) => (e.teams.tenants[0].name = `${name}a`)))[0]).toMatch(/^environment "staging": teams\.tenants\[0\]\.name: got "a{31}"; /);
  });

  test("accepts a spot pool of several sizes of one GPU model", () => {
    const env = validateEnvironment("staging", withPool({ instanceTypes: ["g6e.12xlarge", "g6e.24xlarge"], gpus: 8, capacityType: "spot" }));
    expect(gpuFlavors(env).filter((f) => f.owner).map((f) => [f.name, f.owner, f.instanceTypes.map((t) => t.name)])).toEqual([["team-vision-l40s", "vision", ["g6e.12xlarge", "g6e.24xlarge"]]]);
  });
});

describe("staging: vision's dedicated NodePool and EC2NodeClass", () => {
  const env = projectEnvironment("staging");
  const objects = releaseManifests(stack("staging-platform"), "karpenter-node-pools");
  const pool = objects.get("NodePool/team-vision")!;
  const nodeClass = objects.get("EC2NodeClass/team-vision")!;

  test("taints its nodes with the GPU taint and the team's, and labels them with the pool and the team", () => {
    expect(pool.spec.template.spec.taints).toEqual([GPU_TAINT, { key: "ml-platform.io/team", value: "vision", effect: "NoSchedule" }]);
    expect(pool.spec.template.metadata.labels).toEqual({ "node.ml-platform.io/pool": "team-vision", "nvidia.com/gpu.present": "true", "ml-platform.io/team": "vision" });
  });

  test("launches only its types and capacity type, up to its GPU limit, removing empty nodes only", () => {
    expect(pool.spec.template.spec.requirements).toEqual([
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["g6.12xlarge"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      // Staging has FSx: the pool's Ray workers and TrainJobs mount it, so it sits in the file system's zone.
      { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1b"] },
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
      { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
    ]);
    expect(pool.spec.limits).toEqual({ "nvidia.com/gpu": 4 });
    expect(pool.spec.disruption).toEqual(expect.objectContaining({ consolidationPolicy: "WhenEmpty" }));
    expect(pool.spec.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "team-vision" });
  });

  test("tags instances, volumes and ENIs with the team's Team and CostCenter, the environment's Project and Environment", () => {
    expect(nodeClass.spec.tags).toEqual({ Project: "ml-platform", Team: "vision", CostCenter: "ml-stg-4210", Environment: "staging" });
  });

  test("shares the other pools' node role, subnets, security group, AMI, IMDS settings and node-volumes key", () => {
    const shared = objects.get("EC2NodeClass/gpu-training")!;
    for (const k of ["role", "amiSelectorTerms", "subnetSelectorTerms", "securityGroupSelectorTerms", "metadataOptions"]) expect([k, nodeClass.spec[k]]).toEqual([k, shared.spec[k]]);
    expect(nodeClass.spec.blockDeviceMappings[0].ebs.kmsKeyID).toBe(shared.spec.blockDeviceMappings[0].ebs.kmsKeyID);
  });

  test("where the GPU Operator runs (a MIG pool elsewhere, prod), a dedicated pool's nodes opt out of its operands like the other unshared pools", () => {
    const prod = projectEnvironment("prod");
    expect(computeSharing(prod).poolLabels("team-vision")).toEqual(computeSharing(prod).poolLabels("gpu-training"));
    expect(computeSharing(prod).poolLabels("team-vision")).toEqual({ "nvidia.com/gpu.deploy.operands": "false" });
    expect(computeSharing(env).poolLabels("team-vision")).toEqual({});
  });

  test("no environment without a dedicated pool gets one", () => {
    for (const e of ["dev", "prod"]) expect([...releaseManifests(stack(`${e}-platform`), "karpenter-node-pools").keys()].filter((k) => k.includes("team-"))).toEqual([]);
    expect(env.teams.tenants.filter((t) => t.dedicatedPool).map((t) => t.name)).toEqual(["vision"]);
  });
});

describe("staging: Kueue gives the dedicated pool to its owner only", () => {
  const teams = renderedObjects(stack("staging-teams")).map(({ obj }) => obj);
  const queue = (name: string) => teams.find((o) => o.kind === "ClusterQueue" && o.metadata.name === name)!;
  const flavorsOf = (q: Any): string[] => q.spec.resourceGroups.flatMap((g: Any) => g.flavors.map((f: Any) => f.name));

  test("a ResourceFlavor on the pool's nodes, tolerating the team's taint by value", () => {
    const f = teams.find((o) => o.kind === "ResourceFlavor" && o.metadata.name === "team-vision-l4")!;
    expect(f.spec).toEqual({
      nodeLabels: { "node.ml-platform.io/pool": "team-vision", "karpenter.k8s.aws/instance-gpu-name": "l4" },
      tolerations: [tolerationFor(GPU_TAINT), { key: "ml-platform.io/team", operator: "Equal", value: "vision", effect: "NoSchedule" }],
    });
  });

  test("vision's queue lists it first, the whole pool as nominal quota, lending none of it", () => {
    expect(flavorsOf(queue("vision"))[0]).toBe("team-vision-l4");
    const entry = queue("vision").spec.resourceGroups[0].flavors[0];
    expect(entry.resources).toEqual([{ name: "nvidia.com/gpu", nominalQuota: 4, lendingLimit: 0 }]);
  });

  test("no other queue lists it, so no other team's job is ever admitted on it", () => {
    for (const q of teams.filter((o) => o.kind === "ClusterQueue" && o.metadata.name !== "vision")) expect([q.metadata.name, flavorsOf(q)]).toEqual([q.metadata.name, expect.not.arrayContaining(["team-vision-l4"])]);
  });

  test("a queue without GPU quota lists every shared flavor at zero, but not a team's dedicated one", () => {
    const flavors = gpuFlavors(projectEnvironment("staging"));
    expect(listedQuotas({}, flavors).map(([f]) => f)).toEqual(flavors.filter((f) => !f.owner).map((f) => f.name));
    expect(flavors.map((f) => f.name)).toContain("team-vision-l4");
  });
});

describe("admission keeps other teams' pods from tolerating a dedicated pool", () => {
  test("staging's teams stack denies pods in Kueue-managed namespaces a toleration of another team's taint", () => {
    const teams = renderedObjects(stack("staging-teams")).map(({ obj }) => obj);
    const policy = teams.find((o) => o.kind === "ValidatingAdmissionPolicy" && o.metadata.name === DEDICATED_POOL_GUARD)!;
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints).toEqual({
      namespaceSelector: { matchLabels: { "kueue.ml-platform.io/managed": "true" } },
      resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
    });
    expect(policy.spec.validations.map((v: Any) => v.expression)).toEqual([DEDICATED_POOL_RULE]);
    expect(teams.find((o) => o.kind === "ValidatingAdmissionPolicyBinding" && o.metadata.name === DEDICATED_POOL_GUARD)!.spec).toEqual({ policyName: DEDICATED_POOL_GUARD, validationActions: ["Deny"] });
  });

  test("environments without a dedicated pool have no such policy", () => {
    for (const e of ["dev", "prod"]) expect(renderedObjects(stack(`${e}-teams`)).filter(({ obj }) => obj.metadata?.name === DEDICATED_POOL_GUARD)).toEqual([]);
  });
});

describe("staging: where pods land on the dedicated pool", () => {
  const platform = releaseManifests(stack("staging-platform"), "karpenter-node-pools");
  const sources = [...platform.values()].filter((o) => o.kind === "NodePool").map(nodePoolSource);
  const dedicated = sources.find((s) => s.name === "NodePool team-vision")!;
  const pod = (name: string, spec: { tolerations?: Any[]; nodeSelector?: Record<string, string> }): PodFootprint => ({ name, kind: "Job", requests: { cpu: "1", memory: "1Gi", extended: { "nvidia.com/gpu": "1" } }, ...spec });
  const flavors = renderedObjects(stack("staging-teams")).map(({ obj }) => obj).filter((o) => o.kind === "ResourceFlavor");
  const admitted = (f: Any) => pod(f.metadata.name, { tolerations: f.spec.tolerations, nodeSelector: f.spec.nodeLabels });

  test("a job admitted on vision's flavor lands on vision's pool and nowhere else", () => {
    const owner = flavors.find((f) => f.metadata.name === "team-vision-l4");
    expect(placements(admitted(owner), sources).allowed.map((s) => s.name)).toEqual(["NodePool team-vision"]);
  });

  test("a job admitted on any other flavor, or tolerating another team's taint, cannot land there", () => {
    for (const f of flavors.filter((x) => x.metadata.name !== "team-vision-l4")) {
      expect([f.metadata.name, placements(admitted(f), [dedicated]).refused]).toEqual([f.metadata.name, [expect.stringMatching(/^NodePool team-vision: does not tolerate .*ml-platform\.io\/team=vision:NoSchedule/)]]);
    }
    const nlp = pod("nlp-job", { tolerations: [tolerationFor(GPU_TAINT), { key: "ml-platform.io/team", operator: "Equal", value: "nlp", effect: "NoSchedule" }] });
    expect(placements(nlp, [dedicated]).refused).toEqual(["NodePool team-vision: does not tolerate ml-platform.io/team=vision:NoSchedule"]);
  });

  test("every GPU DaemonSet tolerates it (device plugin, DCGM exporter, the node monitoring agent's DCGM); the tolerations of before did not", () => {
    const values = helmReleases(stack("staging-platform"));
    const byChart = (chart: string) => [...values.values()].find((r) => r.config.chart === chart)!.values;
    const daemonSets: Record<string, Any[]> = {
      "nvidia-device-plugin": byChart("nvidia-device-plugin").tolerations,
      "dcgm-exporter": byChart("dcgm-exporter").tolerations,
      "node monitoring agent dcgmAgent": GPU_DAEMONSET_TOLERATIONS as Any[],
    };
    const fits = (tolerations: Any[]) => placements({ name: "ds", kind: "DaemonSet", requests: { cpu: "0", memory: "0" }, tolerations }, [dedicated]).refused;
    for (const [name, tolerations] of Object.entries(daemonSets)) expect([name, fits(tolerations)]).toEqual([name, []]);
    expect(fits([GPU_TAINT, TRAINING_TAINT].map(tolerationFor))).toEqual(["NodePool team-vision: does not tolerate ml-platform.io/team=vision:NoSchedule"]);
  });
});

describe("cost of a dedicated pool", () => {
  test("the environment's ceiling counts its limit at the dearest type, as its own line billed to the team", () => {
    const item = costCeiling(projectEnvironment("staging")).items.find((i) => i.key === "nodepool/team-vision");
    // 4 GPUs = one g6.12xlarge at $4.6016/h.
    expect(item).toEqual({ key: "nodepool/team-vision", usdPerHour: 4.602, basis: "limits gpus 4 filled by 1 x g6.12xlarge at $4.6016/h; dedicated to team vision (Team vision, CostCenter ml-stg-4210)" });
    const bigger = validateEnvironment("staging", withPool({ instanceTypes: ["g6.12xlarge"], gpus: 12 }));
    expect(costCeiling(bigger).items.find((i) => i.key === "nodepool/team-vision")!.usdPerHour).toBe(13.805);
    expect(costCeiling(validateEnvironment("staging", withPool(undefined))).items.map((i) => i.key)).not.toContain("nodepool/team-vision");
  });

  test("the owner's cost includes the whole pool, nominal and worst case alike; nobody else's does", () => {
    const c = teamCosts(projectEnvironment("staging"));
    const vision = c.queues.find((q) => q.queue === "vision")!;
    expect(vision.flavors.find((f) => f.flavor === "team-vision-l4")).toEqual({ flavor: "team-vision-l4", nominal: 4, max: 4, usdPerGpuHour: 1.1504, pricedOn: "g6.12xlarge" });
    for (const q of c.queues.filter((x) => x.queue !== "vision")) expect(q.flavors.map((f) => f.flavor)).not.toContain("team-vision-l4");
    const without = teamCosts(validateEnvironment("staging", withPool(undefined)));
    // 4 GPUs x $1.1504 x 720 h = $3,313.15 more for vision, and in the teams' total.
    expect(Math.round((c.nominalUsdPer30Days - without.nominalUsdPer30Days) * 100) / 100).toBe(3313.15);
  });
});

describe("Karpenter's IAM lets it put the team's tags on what it launches", () => {
  const env = projectEnvironment("staging");
  const cluster = "mlp-staging";
  const policies = Object.values(
    karpenterControllerPolicies({ partition: "aws", region: env.account.region, accountId: env.account.id, clusterName: cluster, nodeRoleArn: `arn:aws:iam::${env.account.id}:role/${cluster}-karpenter-node` }),
  ).map((Statement) => ({ Version: "2012-10-17", Statement }) as PolicyDoc);
  const arn = (resource: string) => `arn:aws:ec2:${env.account.region}:${env.account.id}:${resource}`;
  const launchTags = { [`kubernetes.io/cluster/${cluster}`]: "owned", "eks:eks-cluster-name": cluster, "karpenter.sh/nodepool": "team-vision", Team: "vision", CostCenter: "ml-stg-4210" };
  const tagContext = (tags: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), "aws:TagKeys": Object.keys(tags) });

  test("CreateFleet with the team's tags, and tagging the fleet's instances, volumes and ENIs at creation, are allowed", async () => {
    expect(await simulate(env.account.id, policies, { action: "ec2:CreateFleet", resource: arn("fleet/*"), context: tagContext(launchTags) })).toBe("Allowed");
    for (const r of ["instance/*", "volume/*", "network-interface/*"]) {
      const decision = await simulate(env.account.id, policies, { action: "ec2:CreateTags", resource: arn(r), context: { ...tagContext(launchTags), "ec2:CreateAction": "CreateFleet" } });
      expect([r, decision]).toEqual([r, "Allowed"]);
    }
  });

  test("but not retagging a running instance with them: the tags must be in the EC2NodeClass before the node launches", async () => {
    const context = { ...tagContext({ Team: "vision" }), [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: "owned", "aws:ResourceTag/karpenter.sh/nodepool": "team-vision" };
    const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: "owned", "aws:ResourceTag/karpenter.sh/nodepool": "team-vision" };
    expect(await simulate(env.account.id, policies, { action: "ec2:CreateTags", resource: arn("instance/i-0123456789abcdef0"), context })).toBe("ImplicitlyDenied");
    // The Name tag Karpenter adds after launch is allowed on the same instance: the denial is about the keys.
    expect(await simulate(env.account.id, policies, { action: "ec2:CreateTags", resource: arn("instance/i-0123456789abcdef0"), context: { ...tagContext({ Name: "ip-10-30-0-1" }), ...owned } })).toBe("Allowed");
  });
});
