import devInput from "../environments/dev";
import prodInput from "../environments/prod";
import { validateEnvironment } from "../environments/lib/load";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Prod's input with `compute` patched. */
function prodWith(patch: (compute: Json) => void): Json {
  const input: Json = structuredClone(prodInput);
  // These cases reshape prod's GPU pools; its teams' quotas fit only the shipped pools (checked in test/tenancy).
  delete input.teams;
  patch(input.compute);
  return input;
}

const karpenterEfa = (efa: Json) => prodWith((c) => (c.efa = { mode: "karpenter", availabilityZones: ["us-east-1c"], capacityType: "on-demand", limits: { gpus: 16 }, ...efa }));
const mngEfa = (efa: Json) => prodWith((c) => (c.efa = { mode: "managed-node-group", availabilityZones: ["us-east-1c"], minSize: 0, maxSize: 2, desiredSize: 0, ...efa }));

describe("GPU compute validation", () => {
  test("the project's environments are valid", () => {
    expect(() => validateEnvironment("prod", prodInput)).not.toThrow();
    expect(() => validateEnvironment("dev", devInput)).not.toThrow();
  });

  test("fails for a non-EFA instance type in an EFA pool", () => {
    expect(() => validateEnvironment("prod", karpenterEfa({ instanceTypes: ["g6.xlarge"] }))).toThrow(
      'environment "prod": compute.efa.instanceTypes[0]: got "g6.xlarge"; does not support EFA (vpc.amazonaws.com/efa is 0 in the catalog)',
    );
  });

  test("fails for an EFA type whose network-card layout is unknown", () => {
    expect(() => validateEnvironment("prod", karpenterEfa({ instanceTypes: ["g5.48xlarge"] }))).toThrow(
      /environment "prod": compute\.efa\.instanceTypes\[0\]: got "g5\.48xlarge"; has no EFA network-card layout in constructs\/catalog\/efa-layouts\.ts \(supported: .*p6-b300\.48xlarge\)/,
    );
  });

  test.each([
    ["Karpenter", karpenterEfa({ instanceTypes: ["p5.48xlarge"], availabilityZones: ["us-east-1a", "us-east-1b"] }), "EFA pools must stay in exactly one availability zone"],
    ["managed node group", mngEfa({ instanceTypes: ["p5.48xlarge"], availabilityZones: ["us-east-1a", "us-east-1b"] }), "EFA node groups must stay in exactly one availability zone"],
  ])("fails for an EFA pool spanning more than one AZ (%s)", (_mode, input, message) => {
    expect(() => validateEnvironment("prod", input)).toThrow(`environment "prod": compute.efa.availabilityZones: got ["us-east-1a","us-east-1b"]; ${message}`);
  });

  test("fails for a placement group combined with a Capacity Block", () => {
    expect(() => validateEnvironment("prod", mngEfa({ instanceTypes: ["p5.48xlarge"], capacityBlockReservationId: "cr-0123456789abcdef0" }))).toThrow(
      'environment "prod": compute.efa.placementGroup: got true; must be false with a Capacity Block: a cluster placement group breaks Capacity Block launches (InsufficientInstanceCapacity)',
    );
  });

  test("fails for a placement group combined with reserved Karpenter capacity", () => {
    expect(() => validateEnvironment("prod", karpenterEfa({ instanceTypes: ["p5.48xlarge"], capacityType: "reserved", capacityReservationIds: ["cr-0123456789abcdef0"] }))).toThrow(
      /compute\.efa\.placementGroup: got true; must be false with reserved capacity/,
    );
  });

  test("fails for mixed EFA layouts in one launch template", () => {
    expect(() => validateEnvironment("prod", mngEfa({ instanceTypes: ["p4d.24xlarge", "p5.48xlarge"] }))).toThrow(
      'environment "prod": compute.efa.instanceTypes: got ["p4d.24xlarge","p5.48xlarge"]; must share one EFA interface layout: one launch template cannot serve types with different EFA interface counts',
    );
  });

  test("fails for mixed EFA interface counts in one Karpenter node class", () => {
    expect(() => validateEnvironment("prod", karpenterEfa({ instanceTypes: ["p4d.24xlarge", "p5.48xlarge"] }))).toThrow(
      'environment "prod": compute.efa.instanceTypes: got ["p4d.24xlarge","p5.48xlarge"]; must share one EFA interface layout: one EC2NodeClass networkInterfaces list cannot serve types with different EFA interface counts',
    );
  });

  test.each([
    ["Karpenter", karpenterEfa({ instanceTypes: ["p5en.48xlarge", "p6-b300.48xlarge"] })],
    ["managed node group", mngEfa({ instanceTypes: ["p5en.48xlarge", "p6-b300.48xlarge"] })],
  ])("fails for equal EFA counts on different network cards (p5en with p6-b300, %s)", (_mode, input) => {
    expect(() => validateEnvironment("prod", input)).toThrow(
      'compute.efa.instanceTypes: got ["p5en.48xlarge","p6-b300.48xlarge"]; must share one EFA interface layout: these types have the same EFA interface count but on different network cards (p6-b300 card 0 is ENA-only)',
    );
  });

  test("accepts types that share a layout (p5 and p5e)", () => {
    expect(() => validateEnvironment("prod", karpenterEfa({ instanceTypes: ["p5.48xlarge", "p5e.48xlarge"] }))).not.toThrow();
  });

  test("fails for a reserved training pool without reservation ids", () => {
    const input = prodWith((c) => (c.gpuTrainingPool.capacityTypes = ["reserved"]));
    expect(() => validateEnvironment("prod", input)).toThrow(
      'environment "prod": compute.gpuTrainingPool.capacityReservationIds: got nothing; must list at least one reservation id when capacityTypes includes reserved',
    );
  });

  test("fails for @latest AMIs outside development", () => {
    expect(() => validateEnvironment("prod", prodWith((c) => (c.amiAlias = "al2023@latest")))).toThrow(/compute\.amiAlias: got "al2023@latest"; must be pinned to al2023@vYYYYMMDD in production tier/);
  });
});
