import { dedicatedPoolName, EFA_TRAINING_POOL, GENERAL_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL } from "../constructs/karpenter/pool-labels";
import { costTags } from "../stacks/naming";
import { computeSharing } from "../stacks/platform/serving";
import { crdValidator, helmReleases, releaseManifests, withSampleTokenValues } from "./helpers/gpu-reference";
import { projectEnvironment, resources, stack } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ENVS = ["dev", "staging", "prod"] as const;
const pools = (envName: string) => releaseManifests(stack(`${envName}-platform`), "karpenter-node-pools");
const ofKind = (envName: string, kind: string): Json[] => [...pools(envName).values()].filter((o) => o.kind === kind);

describe("rendered Karpenter objects validate against the 1.14.1 CRD schemas", () => {
  const validators: Record<string, ReturnType<typeof crdValidator>> = {
    "karpenter.sh/v1 NodePool": crdValidator("karpenter/crds/karpenter.sh_nodepools.yaml", "v1"),
    "karpenter.k8s.aws/v1 EC2NodeClass": crdValidator("karpenter/crds/karpenter.k8s.aws_ec2nodeclasses.yaml", "v1"),
    // The huge-pages overlay of the EFA pools (constructs/resilience/capacity-fallback.ts) and GPU sharing's capacity
    // (constructs/serving/gpu-sharing.ts), behind the nodeOverlay gate.
    "karpenter.sh/v1alpha1 NodeOverlay": crdValidator("karpenter-alpha/crds/karpenter.sh_nodeoverlays.yaml", "v1alpha1"),
  };
  const cases = ENVS.flatMap((e) => [...pools(e).values()].map((o) => [e, `${o.kind}/${o.metadata.name}`, o] as const));

  test("every object is a kind with a reference CRD", () => {
    for (const [, , o] of cases) expect(Object.keys(validators)).toContain(`${o.apiVersion} ${o.kind}`);
  });

  test.each(cases.map(([e, key, o]) => [e, key, o]))("%s %s", (_env, _key, o) => {
    const validate = validators[`${o.apiVersion} ${o.kind}`];
    const ok = validate(withSampleTokenValues(o));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test("the validator rejects what the CRD forbids (a wrong interface type, an undeclared field)", () => {
    const efaClass = structuredClone(pools("prod").get("EC2NodeClass/efa-training"));
    efaClass.spec.networkInterfaces[1].interfaceType = "efa";
    expect(validators["karpenter.k8s.aws/v1 EC2NodeClass"](withSampleTokenValues(efaClass))).toBe(false);
    const pool = structuredClone(pools("prod").get("NodePool/gpu-inference"));
    pool.spec.template.spec.taint = pool.spec.template.spec.taints;
    expect(validators["karpenter.sh/v1 NodePool"](pool)).toBe(false);
  });
});

describe.each(ENVS)("node classes in %s", (envName) => {
  const env = projectEnvironment(envName);
  const classes = ofKind(envName, "EC2NodeClass");

  test("carry the cost tags, so instances, volumes, ENIs and launch templates are billed to the team (a dedicated pool's, to its team)", () => {
    const dedicated = new Map(env.teams.tenants.filter((t) => t.dedicatedPool).map((t) => [dedicatedPoolName(t.name), { ...costTags(env), Team: t.name, CostCenter: t.costCenter }]));
    for (const c of classes) expect([c.metadata.name, c.spec.tags]).toEqual([c.metadata.name, dedicated.get(c.metadata.name) ?? costTags(env)]);
  });

  test("require IMDSv2 with hop limit 1 and a gp3 root volume encrypted with the foundation's node-volumes key", () => {
    for (const c of classes) {
      expect(c.spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" });
      expect(c.spec.blockDeviceMappings).toEqual([
        expect.objectContaining({
          deviceName: "/dev/xvda",
          rootVolume: true,
          ebs: expect.objectContaining({ volumeType: "gp3", encrypted: true, kmsKeyID: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-[a-z]+-foundation\.outputs\.cross-stack-output-aws_kms_keynode-volumes-key_\w+arn\}$/), deleteOnTermination: true }),
        }),
      ]);
    }
  });

  test("use the environment's AMI alias and the Karpenter node role", () => {
    const roleId = Object.entries(resources(stack(`${envName}-platform`), "aws_iam_role")).find(([, r]) => r.name === `mlp-${envName}-karpenter-node`)![0];
    for (const c of classes) {
      expect(c.spec.amiSelectorTerms).toEqual([{ alias: env.compute.amiAlias }]);
      expect(c.spec.role).toBe(`\${aws_iam_role.${roleId}.name}`);
    }
  });

  test("GPU classes RAID0 their NVMe instance store and get root volumes sized for ML images", () => {
    for (const c of classes.filter((x) => x.metadata.name !== "general")) {
      expect(c.spec.instanceStorePolicy).toBe("RAID0");
      expect(parseInt(c.spec.blockDeviceMappings[0].ebs.volumeSize, 10)).toBeGreaterThanOrEqual(200);
    }
  });
});

describe.each(ENVS)("node pools in %s", (envName) => {
  const env = projectEnvironment(envName);
  const byName = new Map(ofKind(envName, "NodePool").map((p) => [p.metadata.name, p]));

  test("pool labels and taints are the exported scheduling contract", () => {
    for (const placement of [GENERAL_POOL, GPU_INFERENCE_POOL, GPU_TRAINING_POOL, EFA_TRAINING_POOL]) {
      const p = byName.get(placement.name);
      if (!p) continue;
      // Plus what GPU sharing adds: with a MIG pool, the GPU Operator's operands are kept off the other GPU pools.
      expect(p.spec.template.metadata.labels).toEqual({ ...placement.nodeSelector, ...computeSharing(env).poolLabels(placement.name) });
      expect(p.spec.template.spec.taints ?? []).toEqual(placement.taints);
    }
  });

  test("the GPU inference pool is tainted, limited in GPUs and CPUs, and consolidates underutilized nodes within budgets", () => {
    const p = byName.get("gpu-inference");
    const inference = env.compute.gpuInferencePool;
    expect(p.spec.template.spec.taints).toEqual([{ key: "nvidia.com/gpu", effect: "NoSchedule" }]);
    expect(p.spec.limits).toEqual({ cpu: inference.limits.cpu, "nvidia.com/gpu": inference.limits.gpus });
    expect(p.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: inference.consolidateAfter, budgets: inference.budgets });
    expect(p.spec.template.spec.requirements).toEqual(
      expect.arrayContaining([
        { key: "karpenter.k8s.aws/instance-family", operator: "In", values: inference.instanceFamilies },
        { key: "karpenter.sh/capacity-type", operator: "In", values: inference.capacityTypes },
      ]),
    );
  });

  test("the training pool (when configured) only empties nodes and bounds draining with a grace period", () => {
    const training = env.compute.gpuTrainingPool;
    const p = byName.get("gpu-training");
    if (!training) {
      expect(p).toBeUndefined();
      return;
    }
    expect(p.spec.disruption.consolidationPolicy).toBe("WhenEmpty");
    expect(p.spec.disruption.consolidateAfter).toBe(training.consolidateAfter);
    expect(p.spec.template.spec.terminationGracePeriod).toBe(training.terminationGracePeriod);
    expect(p.spec.limits).toEqual({ "nvidia.com/gpu": training.limits.gpus });
  });
});

describe("EFA training capacity per environment", () => {
  test("dev has no EFA pool, no EFA node class and no EFA device plugin", () => {
    expect(pools("dev").has("NodePool/efa-training")).toBe(false);
    expect(pools("dev").has("EC2NodeClass/efa-training")).toBe(false);
    expect(helmReleases(stack("dev-platform")).has("aws-efa-k8s-device-plugin")).toBe(false);
    expect(resources(stack("dev-foundation"), "aws_placement_group")).toEqual({});
  });

  test.each([
    ["staging", "p4d.24xlarge", 4],
    ["prod", "p5.48xlarge", 32],
  ])("%s has a Karpenter EFA pool on %s with %i efa-only interfaces, one subnet, the placement group and the EFA security group", (envName, type, efaOnly) => {
    const env = projectEnvironment(envName);
    if (env.compute.efa.mode !== "karpenter") throw new Error("expected Karpenter EFA mode");
    const nodeClass = pools(envName).get("EC2NodeClass/efa-training");
    const pool = pools(envName).get("NodePool/efa-training");
    expect(nodeClass.spec.networkInterfaces[0]).toEqual({ networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" });
    expect(nodeClass.spec.networkInterfaces.filter((n: Json) => n.interfaceType === "efa-only")).toHaveLength(efaOnly);

    const foundation = stack(`${envName}-foundation`);
    const [pgId, pg] = Object.entries(resources(foundation, "aws_placement_group"))[0];
    expect(pg).toEqual(expect.objectContaining({ strategy: "cluster" }));
    expect(nodeClass.spec.placementGroupSelector).toEqual({ name: pg.name });
    expect(pgId).toBeDefined();

    const az = env.compute.efa.availabilityZones[0];
    const subnetId = Object.entries(resources(foundation, "aws_subnet")).find(([, sn]) => sn.availability_zone === az && sn.tags.Name.includes("private"))![0];
    expect(nodeClass.spec.subnetSelectorTerms).toHaveLength(1);
    expect(nodeClass.spec.subnetSelectorTerms[0].id).toMatch(new RegExp(`aws_subnet${subnetId}id\\}$`));
    const efaSgId = Object.entries(resources(foundation, "aws_security_group")).find(([, sg]) => sg.name === `mlp-${envName}-efa`)![0];
    expect(nodeClass.spec.securityGroupSelectorTerms.map((t: Json) => t.id)).toEqual([
      expect.stringMatching(/cluster_security_group_id\}$/),
      expect.stringMatching(new RegExp(`aws_security_group${efaSgId}id\\}$`)),
    ]);

    expect(pool.spec.template.spec.requirements).toEqual(
      expect.arrayContaining([
        { key: "node.kubernetes.io/instance-type", operator: "In", values: [type] },
        { key: "topology.kubernetes.io/zone", operator: "In", values: [az] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      ]),
    );
    expect(pool.spec.disruption.consolidationPolicy).toBe("WhenEmpty");
    expect(pool.spec.template.spec.terminationGracePeriod).toBe(env.compute.efa.terminationGracePeriod);
  });

  test("the EFA security group allows all traffic to and from itself, in both directions", () => {
    const foundation = stack("prod-foundation");
    const sgId = Object.entries(resources(foundation, "aws_security_group")).find(([, sg]) => sg.name === "mlp-prod-efa")![0];
    const self = `\${aws_security_group.${sgId}.id}`;
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      const rules = Object.values(resources(foundation, type)).filter((r) => r.security_group_id === self);
      expect(rules).toEqual([expect.objectContaining({ ip_protocol: "-1", referenced_security_group_id: self })]);
    }
  });
});
