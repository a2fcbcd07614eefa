import { EnvironmentError, loadEnvironments, validateEnvironment } from "../environments/lib/load";
import devInput from "../environments/dev";
import prodInput from "../environments/prod";
import stagingInput from "../environments/staging";
import { brokenStaging, environmentDir, environmentModule, problemsOf, removeEnvironmentDirs, type LooseInput } from "./helpers/environments";

afterAll(removeEnvironmentDirs);

const STG = 'environment "staging"';
const MANAGED_EFA = {
  mode: "managed-node-group",
  instanceTypes: ["p5.48xlarge"],
  availabilityZones: ["us-east-1b"],
  minSize: 0,
  maxSize: 2,
  desiredSize: 0,
};

describe("valid environments", () => {
  test("the project's environment files validate, carry their name and are frozen", () => {
    for (const [name, input] of [["dev", devInput], ["staging", stagingInput], ["prod", prodInput]] as const) {
      const env = validateEnvironment(name, input);
      expect(env.name).toBe(name);
      expect(Object.isFrozen(env)).toBe(true);
    }
  });

  test("defaults are applied (subnet sizes, log retention, EFA placement group, state backend)", () => {
    const env = validateEnvironment("staging", stagingInput);
    expect(env.network.privateSubnetPrefixLength).toBe(19);
    expect(env.network.publicSubnetPrefixLength).toBe(24);
    expect(env.cluster.publicAccessCidrs).toEqual([]);
    expect(env.cluster.systemNodeGroup.diskSizeGiB).toBe(50);
    expect(env.compute.efa).toEqual(expect.objectContaining({ mode: "karpenter", placementGroup: true }));
    expect(env.stateBackend).toEqual({ noncurrentVersionExpirationDays: 90 });
  });

  test("the error message lists every problem under one heading", () => {
    const input = brokenStaging((e) => {
      e.account.id = "1234";
      e.cluster.kubernetesVersion = "1.30";
    });
    expect(() => validateEnvironment("staging", input)).toThrow(
      new EnvironmentError([
        `${STG}: account.id: got "1234"; must be a 12-digit AWS account id`,
        `${STG}: cluster.kubernetesVersion: got "1.30"; Invalid option: expected one of "1.34"|"1.35"|"1.36"`,
      ]).message,
    );
    expect(() => validateEnvironment("staging", input)).toThrow(/^invalid environment configuration:\n {2}- environment "staging": account\.id: /);
  });
});

describe("environment names", () => {
  test.each([
    ["uppercase letters", "Staging"],
    ["more than 20 characters", "research-platform-east"],
    ["an underscore", "ml_research"],
    ["a leading digit", "1research"],
    ["a trailing hyphen", "research-"],
  ])("fails when the name has %s", (_what, name) => {
    expect(problemsOf(name, stagingInput)).toEqual([
      `environment "${name}": name: got "${name}"; must be a lowercase DNS label of at most 20 characters (a-z, 0-9, -; starts with a letter), taken from the file name`,
    ]);
  });

  test("fails when a file name is not a valid environment name (the name comes from the file)", () => {
    const dir = environmentDir({ "Research_EU.js": environmentModule(stagingInput) });
    expect(() => loadEnvironments(dir)).toThrow(
      'environment "Research_EU": name: got "Research_EU"; must be a lowercase DNS label of at most 20 characters (a-z, 0-9, -; starts with a letter), taken from the file name',
    );
  });
});

describe("account and tags", () => {
  test.each(["12345", "1111222233334", "11112222333a"])("fails when the account id is %j (not 12 digits)", (id) => {
    expect(problemsOf("staging", brokenStaging((e) => (e.account.id = id)))).toEqual([`${STG}: account.id: got "${id}"; must be a 12-digit AWS account id`]);
  });

  test("fails for a region outside the supported set", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.account.region = "us-west-1")))).toEqual([
      `${STG}: account.region: got "us-west-1"; Invalid option: expected one of "us-east-1"|"us-east-2"|"us-west-2"|"eu-west-1"|"eu-central-1"|"eu-north-1"|"ap-northeast-1"|"ap-southeast-2"`,
    ]);
  });

  test("fails when the CostCenter tag is missing", () => {
    expect(problemsOf("staging", brokenStaging((e) => delete e.tags.CostCenter))).toEqual([
      `${STG}: tags.CostCenter: got nothing; Invalid input: expected string, received undefined`,
    ]);
  });

  test("fails when a tag value has characters AWS tags do not allow", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.tags.Team = "ml#platform")))).toEqual([
      `${STG}: tags.Team: got "ml#platform"; must contain only letters, digits, spaces and _.:/=+-@`,
    ]);
  });

  test("fails when tags set Environment (it is derived from the file name)", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.tags.Environment = "stg")))).toEqual([
      `${STG}: tags.Environment: unknown field (got "stg"); check its spelling against environments/lib/schema.ts`,
    ]);
  });
});

describe("unknown keys", () => {
  test("fails for a misspelt key (vpcCIDR) and reports the missing vpcCidr too", () => {
    const input = brokenStaging((e) => {
      e.network.vpcCIDR = e.network.vpcCidr;
      delete e.network.vpcCidr;
    });
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: network.vpcCidr: got nothing; Invalid input: expected string, received undefined`,
      `${STG}: network.vpcCIDR: unknown field (got "10.30.0.0/16"); check its spelling against environments/lib/schema.ts`,
    ]);
  });

  test.each<[string, (e: LooseInput) => void, string]>([
    ["the root", (e) => (e.region = "us-east-1"), "region"],
    ["account", (e) => (e.account.profile = "stg"), "account.profile"],
    ["the system node group", (e) => (e.cluster.systemNodeGroup.amiType = "AL2023_ARM_64_STANDARD"), "cluster.systemNodeGroup.amiType"],
    ["pool limits", (e) => (e.compute.cpuPool.limits.memoryGB = 10), "compute.cpuPool.limits.memoryGB"],
    ["EFA settings", (e) => (e.compute.efa.placementGroups = false), "compute.efa.placementGroups"],
    ["a disruption budget", (e) => (e.compute.gpuInferencePool.budgets = [{ nodes: "10%", schedules: "@daily" }]), "compute.gpuInferencePool.budgets[0].schedules"],
  ])("fails for an unknown key in %s", (_where, mutate, path) => {
    const problems = problemsOf("staging", brokenStaging(mutate));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^environment "staging": ${path.replace(/[.[\]]/g, "\\$&")}: unknown field \\(got .+\\); check its spelling against environments/lib/schema\\.ts$`));
  });
});

describe("network", () => {
  test.each([
    ["misaligned to its prefix", "10.30.1.0/16"],
    ["an octet over 255", "10.300.0.0/16"],
    ["no prefix length", "10.30.0.0"],
  ])("fails for a VPC CIDR with %s", (_what, cidr) => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.vpcCidr = cidr)))).toEqual([
      `${STG}: network.vpcCidr: got "${cidr}"; must be an IPv4 CIDR like 10.0.0.0/16 whose address is aligned to its prefix`,
    ]);
  });

  test("fails for a VPC CIDR outside /16../20 (and says the default subnets no longer fit)", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.vpcCidr = "10.30.0.0/22")))).toEqual([
      `${STG}: network.vpcCidr: got "10.30.0.0/22"; must have a prefix length between /16 and /20`,
      `${STG}: network.privateSubnetPrefixLength: got 19; 3 private /19 and 3 public /24 subnets do not fit in 10.30.0.0/22`,
    ]);
  });

  test("fails for a malformed API allow-list CIDR", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.publicAccessCidrs = ["203.0.113.7"])))).toEqual([
      `${STG}: cluster.publicAccessCidrs[0]: got "203.0.113.7"; must be an IPv4 CIDR like 10.0.0.0/16 whose address is aligned to its prefix`,
    ]);
  });

  test("fails when the subnets are too large for the VPC", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.privateSubnetPrefixLength = 17)))).toEqual([
      `${STG}: network.privateSubnetPrefixLength: got 17; 3 private /17 and 3 public /24 subnets do not fit in 10.30.0.0/16`,
    ]);
  });

  test("fails for an availability zone of another region", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.availabilityZones[2] = "us-west-2c")))).toEqual([
      `${STG}: network.availabilityZones[2]: got "us-west-2c"; must be an availability zone of us-east-1 (us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f; constructs/catalog/availability-zones.generated.ts)`,
    ]);
  });

  test("fails for a single availability zone", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.availabilityZones = ["us-east-1b"])))).toEqual([
      `${STG}: network.availabilityZones: got ["us-east-1b"]; must list at least 2 availability zones (EKS requires subnets in two AZs)`,
    ]);
  });

  test("fails for a flow-log retention CloudWatch does not offer", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.network.flowLogRetentionDays = 45)))).toEqual([
      `${STG}: network.flowLogRetentionDays: got 45; Invalid option: expected one of 7|14|30|60|90|180|365|400|545|731|1827|3653`,
    ]);
  });
});

describe("cluster", () => {
  test.each(["1.29", "1.37", "1.35.1"])("fails for kubernetesVersion %s (outside the supported set)", (v) => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.kubernetesVersion = v)))).toEqual([
      `${STG}: cluster.kubernetesVersion: got "${v}"; Invalid option: expected one of "1.34"|"1.35"|"1.36"`,
    ]);
  });

  test("fails for an admin that is not an IAM role ARN", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.adminRoleArns = ["arn:aws:iam::111122223333:user/alice"])))).toEqual([
      `${STG}: cluster.adminRoleArns[0]: got "arn:aws:iam::111122223333:user/alice"; must be an IAM role ARN like arn:aws:iam::123456789012:role/name`,
    ]);
  });

  test("fails for a GPU type in the system node group", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.systemNodeGroup.instanceTypes = ["g6.xlarge"])))).toEqual([
      `${STG}: cluster.systemNodeGroup.instanceTypes[0]: got "g6.xlarge"; must be an x86_64 type without GPUs (the system node group runs AL2023_x86_64_STANDARD)`,
    ]);
  });

  test("fails when system node group sizes are out of order", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.systemNodeGroup.desiredSize = 5)))).toEqual([
      `${STG}: cluster.systemNodeGroup.desiredSize: got 5; must satisfy minSize <= desiredSize <= maxSize (minSize 2, maxSize 4)`,
    ]);
  });

  test("fails for any public endpoint in production: it stays private", () => {
    const input = structuredClone(prodInput) as LooseInput;
    input.cluster.publicAccessCidrs = ["198.51.100.0/24"];
    expect(problemsOf("prod", input)).toEqual([
      'environment "prod": cluster.publicAccessCidrs[0]: got "198.51.100.0/24"; must be empty in production tier: the API endpoint stays private (deploy through the in-VPC runner or an SSM port forward)',
    ]);
  });

  test("fails for a public endpoint open to 0.0.0.0/0 in any tier", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.cluster.publicAccessCidrs = ["198.51.100.0/24", "0.0.0.0/0"])))).toEqual([
      `${STG}: cluster.publicAccessCidrs[1]: got "0.0.0.0/0"; must not open the API endpoint to the whole internet; list your networks' CIDRs`,
    ]);
  });

  test("a staging allow-list of specific CIDRs is accepted", () => {
    const input = brokenStaging((e) => (e.cluster.publicAccessCidrs = ["198.51.100.0/24"]));
    expect(validateEnvironment("staging", input).cluster.publicAccessCidrs).toEqual(["198.51.100.0/24"]);
  });
});

describe("compute", () => {
  test("fails for an instance family that is not in the catalog", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.cpuPool.instanceFamilies = ["m7i", "m7x"])))).toEqual([
      `${STG}: compute.cpuPool.instanceFamilies[1]: got "m7x"; is not an EC2 instance family in the catalog (constructs/catalog/instance-types.generated.ts)`,
    ]);
  });

  test("fails for an instance type that is not in the catalog", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuTrainingPool.instanceTypes = ["g6e.13xlarge"])))).toEqual([
      `${STG}: compute.gpuTrainingPool.instanceTypes[0]: got "g6e.13xlarge"; is not an EC2 instance type in the catalog (constructs/catalog/instance-types.generated.ts)`,
    ]);
  });

  test("fails for a GPU family in the CPU pool", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.cpuPool.instanceFamilies = ["m7i", "g6"])))).toEqual([
      `${STG}: compute.cpuPool.instanceFamilies[1]: got "g6"; is a GPU family; the CPU pool takes families without GPUs`,
    ]);
  });

  test("fails for a family without GPUs in the GPU inference pool", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuInferencePool.instanceFamilies = ["g6", "m7i"])))).toEqual([
      `${STG}: compute.gpuInferencePool.instanceFamilies[1]: got "m7i"; is not a GPU instance family (no type of it has an NVIDIA GPU)`,
    ]);
  });

  test("fails for a type without GPUs in the GPU training pool", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuTrainingPool.instanceTypes = ["m7i.48xlarge"])))).toEqual([
      `${STG}: compute.gpuTrainingPool.instanceTypes[0]: got "m7i.48xlarge"; has no GPU`,
    ]);
  });

  test.each<[string, (e: LooseInput) => void, string, number]>([
    ["the inference pool", (e) => (e.compute.gpuInferencePool.limits.gpus = 0), "compute.gpuInferencePool.limits.gpus", 0],
    ["the training pool", (e) => (e.compute.gpuTrainingPool.limits.gpus = -8), "compute.gpuTrainingPool.limits.gpus", -8],
    ["the EFA pool", (e) => (e.compute.efa.limits.gpus = 0), "compute.efa.limits.gpus", 0],
  ])("fails for a GPU limit that is zero or negative in %s", (_pool, mutate, path, value) => {
    expect(problemsOf("staging", brokenStaging(mutate))).toEqual([`${STG}: ${path}: got ${value}; Too small: expected number to be >0`]);
  });

  test("fails for a fractional GPU limit", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuInferencePool.limits.gpus = 1.5)))).toEqual([
      `${STG}: compute.gpuInferencePool.limits.gpus: got 1.5; Invalid input: expected int, received number`,
    ]);
  });

  test("fails for a budget with a schedule but no duration", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuInferencePool.budgets = [{ nodes: "0", schedule: "0 8 * * *" }])))).toEqual([
      `${STG}: compute.gpuInferencePool.budgets[0]: got {"nodes":"0","schedule":"0 8 * * *"}; schedule and duration must be set together`,
    ]);
  });

  test.each([
    ["staging", stagingInput],
    ["prod", prodInput],
  ])("fails for an @latest AMI alias in %s", (name, base) => {
    const input = structuredClone(base) as LooseInput;
    input.compute.amiAlias = "al2023@latest";
    const tier = name === "prod" ? "production" : "staging";
    expect(problemsOf(name, input)).toEqual([
      `environment "${name}": compute.amiAlias: got "al2023@latest"; must be pinned to al2023@vYYYYMMDD in ${tier} tier (@latest is allowed only in development)`,
    ]);
  });

  test("@latest is accepted in the development tier (dev uses it)", () => {
    expect(validateEnvironment("dev", devInput).compute.amiAlias).toBe("al2023@latest");
  });

  test("fails for an AMI alias that is not AL2023", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.amiAlias = "bottlerocket@v20260818")))).toEqual([
      `${STG}: compute.amiAlias: got "bottlerocket@v20260818"; must be al2023@vYYYYMMDD (or al2023@latest in development tier)`,
    ]);
  });
});

describe("EFA", () => {
  test("fails for an EFA pool with a type that has no EFA", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa.instanceTypes = ["p4d.24xlarge", "g6.xlarge"])))).toEqual([
      `${STG}: compute.efa.instanceTypes[1]: got "g6.xlarge"; does not support EFA (vpc.amazonaws.com/efa is 0 in the catalog)`,
    ]);
  });

  test.each(["karpenter", "managed-node-group"])("fails for a %s EFA pool spanning two availability zones", (mode) => {
    const input = brokenStaging((e) => {
      if (mode === "managed-node-group") e.compute.efa = { ...MANAGED_EFA };
      e.compute.efa.availabilityZones = ["us-east-1a", "us-east-1b"];
    });
    const what = mode === "karpenter" ? "EFA pools" : "EFA node groups";
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: compute.efa.availabilityZones: got ["us-east-1a","us-east-1b"]; ${what} must stay in exactly one availability zone`,
    ]);
  });

  test("fails for an EFA availability zone the VPC does not use", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa.availabilityZones = ["us-east-1d"])))).toEqual([
      `${STG}: compute.efa.availabilityZones[0]: got "us-east-1d"; must be one of the VPC's availability zones (us-east-1a, us-east-1b, us-east-1c)`,
    ]);
  });

  test("fails for a placement group with a Capacity Block (placementGroup defaults to true)", () => {
    const input = brokenStaging((e) => (e.compute.efa = { ...MANAGED_EFA, capacityBlockReservationId: "cr-0123456789abcdef0" }));
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: compute.efa.placementGroup: got true; must be false with a Capacity Block: a cluster placement group breaks Capacity Block launches (InsufficientInstanceCapacity)`,
    ]);
    const fixed = structuredClone(input);
    fixed.compute.efa.placementGroup = false;
    expect(validateEnvironment("staging", fixed).compute.efa).toEqual(expect.objectContaining({ capacityBlockReservationId: "cr-0123456789abcdef0", placementGroup: false }));
  });

  test("fails for a placement group with reserved Karpenter capacity", () => {
    const input = brokenStaging((e) => {
      e.compute.efa.capacityType = "reserved";
      e.compute.efa.capacityReservationIds = ["cr-0123456789abcdef0"];
    });
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: compute.efa.placementGroup: got true; must be false with reserved capacity: a cluster placement group breaks Capacity Block and ODCR launches unless the reservation was made in that group`,
    ]);
  });

  test("fails for reserved Karpenter capacity without reservation ids", () => {
    const input = brokenStaging((e) => {
      e.compute.efa.capacityType = "reserved";
      e.compute.efa.placementGroup = false;
    });
    expect(problemsOf("staging", input)).toEqual([
      `${STG}: compute.efa.capacityReservationIds: got nothing; must list at least one reservation id when capacityType is reserved`,
    ]);
  });

  test("fails for a malformed capacity reservation id", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa = { ...MANAGED_EFA, capacityBlockReservationId: "cb-123", placementGroup: false })))).toEqual([
      `${STG}: compute.efa.capacityBlockReservationId: got "cb-123"; must be a capacity reservation id like cr-0123456789abcdef0`,
    ]);
  });

  test("fails for a managed node group mixing EFA interface layouts (p5 has 32, p4d 4)", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa = { ...MANAGED_EFA, instanceTypes: ["p5.48xlarge", "p4d.24xlarge"] })))).toEqual([
      `${STG}: compute.efa.instanceTypes: got ["p5.48xlarge","p4d.24xlarge"]; must share one EFA interface layout: one launch template cannot serve types with different EFA interface counts`,
    ]);
  });

  test("fails for an unknown EFA mode", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa.mode = "enabled")))).toEqual([
      `${STG}: compute.efa.mode: got "enabled"; Invalid discriminator value. Expected 'disabled' | 'karpenter' | 'managed-node-group'`,
    ]);
  });

  test("fails when managed EFA node group sizes are out of order", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.efa = { ...MANAGED_EFA, desiredSize: 3 })))).toEqual([
      `${STG}: compute.efa.desiredSize: got 3; must satisfy minSize <= desiredSize <= maxSize (minSize 0, maxSize 2)`,
    ]);
  });
});

describe("state backend", () => {
  test.each(["My_State_Bucket", "ab", "-mlp-state"])("fails for the state bucket name %j", (bucket) => {
    expect(problemsOf("staging", brokenStaging((e) => (e.stateBackend = { bucket })))).toEqual([
      `${STG}: stateBackend.bucket: got "${bucket}"; must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)`,
    ]);
  });
});

describe("loadEnvironments", () => {
  test("fails with the problems of every file at once, in file order", () => {
    const dir = environmentDir({
      "alpha.js": environmentModule(brokenStaging((e) => (e.account.id = "42"))),
      "beta.js": environmentModule(stagingInput),
      "gamma.js": environmentModule(brokenStaging((e) => (e.compute.amiAlias = "al2023@latest"))),
      "delta.js": '"use strict";\nexports.staging = {};\n',
      "types.d.ts": "export {};\n",
    });
    let error: unknown;
    try {
      loadEnvironments(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problems).toEqual([
      "environments/types.d.ts: not an environment file, so it would be ignored: environments are TypeScript modules named <name>.ts (rename it to types.ts, or move it out of environments/)",
      'environment "alpha": account.id: got "42"; must be a 12-digit AWS account id',
      'environment "delta": delta.js has no default export; write `export default defineEnvironment({ ... })`',
      'environment "gamma": compute.amiAlias: got "al2023@latest"; must be pinned to al2023@vYYYYMMDD in staging tier (@latest is allowed only in development)',
    ]);
  });

  test("fails when the directory holds no environment", () => {
    const dir = environmentDir({ ".gitkeep": "" });
    expect(() => loadEnvironments(dir)).toThrow(`no environment files found in ${dir}`);
  });

  test("loads valid files, named after the file, sorted", () => {
    const dir = environmentDir({ "zeta.js": environmentModule(stagingInput), "eta.js": environmentModule(devInput) });
    expect(loadEnvironments(dir).map((e) => [e.name, e.tier])).toEqual([
      ["eta", "development"],
      ["zeta", "staging"],
    ]);
  });
});
