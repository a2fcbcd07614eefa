// Bad input of the `resilience` section (issue 17): each rule rejects at synth naming environment, field and value.
import { validateEnvironment } from "../../environments/lib/load";
import { fsxBackupDays, fsxMountingPools, fsxZone } from "../../environments/lib/resilience-schema";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";

/** Staging with a valid FSx file system in its EFA zone, changed by `mutate`. */
const withFsx = (mutate: (e: LooseInput) => void = () => undefined) =>
  brokenStaging((e) => {
    e.resilience = { storage: { fsx: { storageCapacityGiB: 1200, perUnitStorageThroughput: 125, availabilityZone: "us-east-1b" } } };
    mutate(e);
  });

/**
 * Staging as production tier (its AMI is pinned and its network private already), vision's dedicated pool room for two
 * nodes (staging's one-node pool is what production's node repair rule refuses: see its own test).
 */
const asProduction = (e: LooseInput) => {
  e.tier = "production";
  e.teams.tenants[0].dedicatedPool.gpus = 8;
  e.ml.mlflowDatabase.multiAz = true;
  e.ml.ingress.scheme = "internal";
};

describe("resilience: valid settings", () => {
  test("defaults turn on node monitoring, node repair and Mountpoint, and checkpoint every 30 minutes with 3 restarts", () => {
    const env = validateEnvironment("staging", brokenStaging((e) => delete e.resilience));
    expect(env.resilience).toEqual({ nodeMonitoring: { enabled: true }, nodeRepair: { enabled: true }, storage: { mountpoint: { enabled: true } }, checkpoints: { intervalMinutes: 30, maxRestarts: 3 } });
  });

  test.each([1200, 2400, 4800, 9600])("accepts %d GiB", (gib) => {
    expect(validateEnvironment("staging", withFsx((e) => (e.resilience.storage.fsx.storageCapacityGiB = gib))).resilience.storage.fsx?.storageCapacityGiB).toBe(gib);
  });

  test("accepts Capacity Blocks and ODCRs in front of the on-demand EFA pool", () => {
    const env = validateEnvironment("staging", brokenStaging((e) => (e.resilience = { capacityFallback: { capacityBlocks: [{ id: "cr-0a1b2c3d4e5f60718", instanceCount: 2 }] } })));
    expect(env.resilience.capacityFallback).toEqual({ capacityBlocks: [{ id: "cr-0a1b2c3d4e5f60718", instanceCount: 2 }], capacityReservations: [] });
  });
});

describe("resilience: bad input is rejected with environment, field and value", () => {
  test.each([
    [300, 'environment "staging": resilience.storage.fsx.perUnitStorageThroughput: got 300; must be one of 125, 250, 500, 1000 MB/s per TiB for PERSISTENT_2'],
    [200, 'environment "staging": resilience.storage.fsx.perUnitStorageThroughput: got 200; must be one of 125, 250, 500, 1000 MB/s per TiB for PERSISTENT_2'],
  ])("FSx throughput %d is not in PERSISTENT_2's set", (mbps, message) => {
    expect(problemsOf("staging", withFsx((e) => (e.resilience.storage.fsx.perUnitStorageThroughput = mbps)))).toEqual([message]);
  });

  test.each([1000, 3600, 2401])("FSx storage %d GiB is not 1200 or a multiple of 2400", (gib) => {
    expect(problemsOf("staging", withFsx((e) => (e.resilience.storage.fsx.storageCapacityGiB = gib)))).toEqual([
      `environment "staging": resilience.storage.fsx.storageCapacityGiB: got ${gib}; must be 1200 or a multiple of 2400 GiB (SSD persistent file systems)`,
    ]);
  });

  test("an FSx file system outside the EFA zone has no EFA subnet", () => {
    expect(problemsOf("staging", withFsx((e) => (e.resilience.storage.fsx.availabilityZone = "us-east-1a")))).toEqual([
      'environment "staging": resilience.storage.fsx.availabilityZone: got "us-east-1a"; has no EFA subnet: the file system must sit in the EFA availability zone (us-east-1b), so training traffic stays in one AZ',
    ]);
    // Left out, the zone is the EFA zone, and follows it.
    expect(fsxZone(validateEnvironment("staging", withFsx((e) => delete e.resilience.storage.fsx.availabilityZone)))).toBe("us-east-1b");
    expect(fsxZone(validateEnvironment("staging", withFsx((e) => ((e.compute.efa.availabilityZones = ["us-east-1c"]), delete e.resilience.storage.fsx.availabilityZone))))).toBe("us-east-1c");
  });

  test("an FSx file system in an environment without EFA has no EFA subnet either", () => {
    expect(
      problemsOf(
        "staging",
        withFsx((e) => (e.compute.efa = { mode: "disabled" })),
      ),
    ).toEqual([
      'environment "staging": resilience.storage.fsx.availabilityZone: got "us-east-1b"; has no EFA subnet: compute.efa is disabled, and the file system must sit in the EFA availability zone',
    ]);
  });

  test("the pools that mount FSx are derived, not listed: every GPU pool but inference; none without FSx", () => {
    expect(fsxMountingPools(validateEnvironment("staging", withFsx()))).toEqual(["gpu-training", "efa-training", "team-vision"]);
    expect(fsxMountingPools(validateEnvironment("staging", brokenStaging((e) => delete e.resilience.storage.fsx)))).toEqual([]);
    // The former list is refused with the field named, so a fork that still sets it learns it is gone.
    expect(problemsOf("staging", withFsx((e) => (e.resilience.storage.fsx.pools = ["efa-training"])))).toEqual([
      'environment "staging": resilience.storage.fsx.pools: unknown field (got ["efa-training"]); check its spelling against environments/lib/schema.ts',
    ]);
  });

  test("a checkpoint interval of zero", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.resilience = { checkpoints: { intervalMinutes: 0 } })))).toEqual([
      expect.stringMatching(/^environment "staging": resilience\.checkpoints\.intervalMinutes: got 0; /),
    ]);
  });

  test("node repair in production with a pool that holds one node", () => {
    const input = brokenStaging((e) => {
      asProduction(e);
      e.compute.efa.limits.gpus = 8;
    });
    expect(problemsOf("staging", input)).toEqual([
      'environment "staging": compute.efa.limits.gpus: got 8; holds 1 node(s) of 8 GPUs with resilience.nodeRepair.enabled: node repair replaces a pool\'s only node and leaves it with no capacity until the replacement joins; production pools need room for at least two nodes',
    ]);
    // The same pool outside production, or with node repair off, is accepted.
    expect(() => validateEnvironment("staging", brokenStaging((e) => (e.compute.efa.limits.gpus = 8)))).not.toThrow();
    expect(() => validateEnvironment("staging", brokenStaging((e) => (asProduction(e), (e.compute.efa.limits.gpus = 8), (e.resilience = { nodeRepair: { enabled: false } }))))).not.toThrow();
  });

  test("node repair in production with a team's dedicated pool that holds one node", () => {
    const input = brokenStaging((e) => (asProduction(e), (e.teams.tenants[0].dedicatedPool = { instanceTypes: ["p5.48xlarge"], gpus: 8 })));
    expect(problemsOf("staging", input)).toEqual([
      'environment "staging": teams.tenants[0].dedicatedPool.gpus: got 8; holds 1 node(s) of 8 GPUs with resilience.nodeRepair.enabled: node repair replaces a pool\'s only node and leaves it with no capacity until the replacement joins; production pools need room for at least two nodes',
    ]);
    expect(() => validateEnvironment("staging", brokenStaging((e) => (asProduction(e), (e.teams.tenants[0].dedicatedPool = { instanceTypes: ["p5.48xlarge"], gpus: 16 }))))).not.toThrow();
  });

  test("node repair in production with a one-node shared-GPU (MIG) pool, which has no Kueue flavor", () => {
    const mig = { instanceTypes: ["p5.48xlarge"], capacityTypes: ["on-demand"], sharing: { mode: "mig", strategy: "mixed", layouts: { "p5.48xlarge": "all-1g.10gb" } } };
    const input = brokenStaging((e) => (asProduction(e), (e.compute.sharedGpuPool = { ...mig, limits: { gpus: 8 } })));
    expect(problemsOf("staging", input)).toEqual([
      'environment "staging": compute.sharedGpuPool.limits.gpus: got 8; holds 1 node(s) of 8 GPUs with resilience.nodeRepair.enabled: node repair replaces a pool\'s only node and leaves it with no capacity until the replacement joins; production pools need room for at least two nodes',
    ]);
    expect(() => validateEnvironment("staging", brokenStaging((e) => (asProduction(e), (e.compute.sharedGpuPool = { ...mig, limits: { gpus: 16 } }))))).not.toThrow();
  });

  test("node repair in production with a one-node managed node group", () => {
    const input = brokenStaging((e) => {
      asProduction(e);
      e.compute.efa = { mode: "managed-node-group", instanceTypes: ["p4d.24xlarge"], availabilityZones: ["us-east-1b"], minSize: 0, maxSize: 1, desiredSize: 1 };
    });
    expect(problemsOf("staging", input)).toEqual([expect.stringMatching(/^environment "staging": compute\.efa\.maxSize: got 1; is below 2 with resilience\.nodeRepair\.enabled: /)]);
  });

  test("production FSx without backups", () => {
    const input = withFsx((e) => (asProduction(e), (e.resilience.storage.fsx.automaticBackupRetentionDays = 0)));
    expect(problemsOf("staging", input)).toEqual(['environment "staging": resilience.storage.fsx.automaticBackupRetentionDays: got 0; must be at least 1 in production tier (daily backups of the checkpoints)']);
    // Left out, production keeps 7 days.
    expect(fsxBackupDays(validateEnvironment("staging", withFsx(asProduction)))).toBe(7);
  });

  test("a GPU type the node monitoring agent's host engine does not run on (g5g is arm64, dcgm-server amd64 only)", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.compute.gpuInferencePool.instanceFamilies = ["g6", "g6e", "g5g"])))).toEqual([
      'environment "staging": compute.gpuInferencePool.instanceFamilies: got ["g5g.16xlarge","g5g.2xlarge","g5g.4xlarge","g5g.8xlarge","g5g.metal","g5g.xlarge"]; includes types the node monitoring agent\'s DCGM host engine does not run on (77 supported, amd64 only): no GPU health or DCGM metrics there',
    ]);
    // A team's dedicated pool is a GPU pool like the others.
    expect(problemsOf("staging", brokenStaging((e) => (e.teams.tenants[0].dedicatedPool = { instanceTypes: ["g5g.16xlarge"], gpus: 2 })))).toEqual([
      'environment "staging": teams.tenants[0].dedicatedPool.instanceTypes: got ["g5g.16xlarge"]; includes types the node monitoring agent\'s DCGM host engine does not run on (77 supported, amd64 only): no GPU health or DCGM metrics there',
    ]);
    // Without the agent the exporter keeps its own embedded engine, so the same pool is accepted.
    expect(() => validateEnvironment("staging", brokenStaging((e) => ((e.compute.gpuInferencePool.instanceFamilies = ["g6", "g6e", "g5g"]), (e.resilience = { nodeMonitoring: { enabled: false } }))))).not.toThrow();
  });

  test("capacity fallback without an on-demand Karpenter EFA pool, or with nothing listed", () => {
    expect(problemsOf("staging", brokenStaging((e) => ((e.compute.efa = { mode: "disabled" }), (e.resilience = { capacityFallback: { capacityBlocks: [{ id: "cr-0a1b2c3d4e5f60718", instanceCount: 2 }] } }))))).toEqual([
      'environment "staging": resilience.capacityFallback: got "(set)"; needs compute.efa.mode karpenter with capacityType on-demand: the reserved pools fall back to that on-demand pool',
    ]);
    expect(problemsOf("staging", brokenStaging((e) => (e.resilience = { capacityFallback: {} })))).toEqual(['environment "staging": resilience.capacityFallback: got "(empty)"; must list at least one Capacity Block or capacity reservation']);
  });
});
