import { EFA_NETWORK_CARDS, efaNetworkInterfaces } from "../constructs/catalog/efa-layouts";
import { findInstanceType } from "../constructs/catalog/instance-types";
import { EFA_TRAINING_POOL } from "../constructs/karpenter/pool-labels";
import prodInput from "../environments/prod";
import { validateEnvironment } from "../environments/lib/load";
import type { EnvironmentInput } from "../environments/lib/schema";
import { costTags } from "../stacks/naming";
import { resources, synthesize, type SynthesizedStack } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const layout = (type: string) => efaNetworkInterfaces(type).map((n) => [n.networkCardIndex, n.deviceIndex, n.interfaceType]);
const efaOnlyCards = (type: string) => efaNetworkInterfaces(type).filter((n) => n.interfaceType === "efa-only").map((n) => n.networkCardIndex);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("EFA interface layouts", () => {
  test("p4d.24xlarge: primary interface, then 4 efa-only (card 0 device 1, cards 1-3 device 0)", () => {
    expect(layout("p4d.24xlarge")).toEqual([
      [0, 0, "interface"],
      [0, 1, "efa-only"],
      [1, 0, "efa-only"],
      [2, 0, "efa-only"],
      [3, 0, "efa-only"],
    ]);
  });

  test("p5.48xlarge: primary interface, then 32 efa-only on cards 0-31", () => {
    expect(layout("p5.48xlarge")).toHaveLength(33);
    expect(layout("p5.48xlarge").slice(0, 3)).toEqual([
      [0, 0, "interface"],
      [0, 1, "efa-only"],
      [1, 0, "efa-only"],
    ]);
    expect(efaOnlyCards("p5.48xlarge")).toEqual(range(0, 31));
  });

  test("p5en.48xlarge: 16 efa-only on cards 0-15", () => {
    expect(efaOnlyCards("p5en.48xlarge")).toEqual(range(0, 15));
    expect(layout("p5en.48xlarge")[1]).toEqual([0, 1, "efa-only"]);
  });

  test("p6-b200.48xlarge: 8 efa-only on cards 0-7", () => {
    expect(efaOnlyCards("p6-b200.48xlarge")).toEqual(range(0, 7));
  });

  test("p6-b300.48xlarge: card 0 is ENA-only, so 16 efa-only sit on cards 1-16 at device 0 (17 cards, not 17 EFA)", () => {
    expect(layout("p6-b300.48xlarge")[0]).toEqual([0, 0, "interface"]);
    expect(layout("p6-b300.48xlarge").filter(([card]) => card === 0)).toEqual([[0, 0, "interface"]]);
    expect(efaOnlyCards("p6-b300.48xlarge")).toEqual(range(1, 16));
    expect(efaNetworkInterfaces("p6-b300.48xlarge").slice(1).every((n) => n.deviceIndex === 0)).toBe(true);
  });

  test("every supported type's layout has exactly the catalog's EFA maximum of efa-only interfaces", () => {
    for (const type of Object.keys(EFA_NETWORK_CARDS)) {
      expect([type, efaOnlyCards(type).length]).toEqual([type, findInstanceType(type)!.efaInterfaces]);
    }
  });

  test("fails for a type without a known network-card layout", () => {
    expect(() => efaNetworkInterfaces("g5.48xlarge")).toThrow(/g5\.48xlarge has no EFA network-card layout/);
  });
});

/** Prod with the EFA capacity switched to an EKS managed node group. */
function managedNodeGroupEnv(name: string, efa: Record<string, unknown>) {
  const input = structuredClone(prodInput) as EnvironmentInput & { compute: { efa: unknown } };
  // At its max size (8 x 8 H100) the group holds prod's teams' EFA quotas, so the teams stack synthesizes too.
  input.compute.efa = { mode: "managed-node-group", instanceTypes: ["p5.48xlarge"], availabilityZones: ["us-east-1c"], minSize: 0, maxSize: 8, desiredSize: 0, ...efa };
  return validateEnvironment(name, input);
}

describe("EFA managed node group mode", () => {
  const { stacks } = synthesize([managedNodeGroupEnv("mngpg", {}), managedNodeGroupEnv("mngcb", { capacityBlockReservationId: "cr-0123456789abcdef0", placementGroup: false })]);
  const get = (id: string): SynthesizedStack => stacks.find((s) => s.id === id)!;

  test("with a placement group: launch template has the EFA interfaces, no subnet, tag specifications and the placement group", () => {
    const foundation = get("mngpg-foundation");
    const lt = Object.values(resources(foundation, "aws_launch_template")).find((t) => t.name === "mlp-mngpg-efa-training");
    expect(lt.network_interfaces.map((n: Json) => [n.network_card_index, n.device_index, n.interface_type])).toEqual(layout("p5.48xlarge"));
    for (const n of lt.network_interfaces) {
      expect(n.subnet_id).toBeUndefined();
      expect(n.security_groups).toEqual([expect.stringMatching(/cluster_security_group_id\}$/), expect.stringMatching(/aws_security_group\.gpu_efa-network_security-group_\w+\.id\}$/)]);
    }
    expect(lt.placement).toEqual({ group_name: "mlp-mngpg-efa" });
    expect(lt.instance_market_options).toBeUndefined();
    expect(lt.tag_specifications.map((t: Json) => t.resource_type)).toEqual(["instance", "volume", "network-interface"]);
    for (const t of lt.tag_specifications) expect(t.tags).toEqual(expect.objectContaining(costTags(managedNodeGroupEnv("mngpg", {}))));
    expect(lt.metadata_options).toEqual(expect.objectContaining({ http_tokens: "required", http_put_response_hop_limit: 1 }));
    expect(Buffer.from(lt.user_data, "base64").toString("utf8")).toMatch(/Content-Type: application\/node\.eks\.aws\n\napiVersion: node\.eks\.aws\/v1alpha1\nkind: NodeConfig\n[\s\S]*strategy: RAID0/);

    const ng = Object.values(resources(foundation, "aws_eks_node_group")).find((g) => g.node_group_name === EFA_TRAINING_POOL.name);
    expect(ng).toEqual(expect.objectContaining({ capacity_type: "ON_DEMAND", ami_type: "AL2023_x86_64_NVIDIA", instance_types: ["p5.48xlarge"], labels: EFA_TRAINING_POOL.nodeSelector }));
    expect(ng.subnet_ids).toEqual([expect.stringMatching(/aws_subnet\.network_private-us-east-1c_\w+\.id\}$/)]);
    expect(ng.taint).toEqual([
      { key: "nvidia.com/gpu", effect: "NO_SCHEDULE" },
      { key: "node.ml-platform.io/workload", value: "training", effect: "NO_SCHEDULE" },
    ]);
    expect(Object.values(resources(foundation, "aws_placement_group"))).toEqual([expect.objectContaining({ name: "mlp-mngpg-efa", strategy: "cluster" })]);
  });

  test("with a Capacity Block: capacity type CAPACITY_BLOCK, market type capacity-block, the reservation id, and no placement group", () => {
    const foundation = get("mngcb-foundation");
    const lt = Object.values(resources(foundation, "aws_launch_template")).find((t) => t.name === "mlp-mngcb-efa-training");
    expect(lt.instance_market_options).toEqual({ market_type: "capacity-block" });
    expect(lt.capacity_reservation_specification).toEqual({ capacity_reservation_target: { capacity_reservation_id: "cr-0123456789abcdef0" } });
    expect(lt.placement).toBeUndefined();
    expect(resources(foundation, "aws_placement_group")).toEqual({});
    const ng = Object.values(resources(foundation, "aws_eks_node_group")).find((g) => g.node_group_name === EFA_TRAINING_POOL.name);
    expect(ng.capacity_type).toBe("CAPACITY_BLOCK");
  });

  test("the platform has no Karpenter EFA pool but still runs the EFA device plugin", () => {
    const platform = get("mngpg-platform");
    const values = Object.values(resources(platform, "helm_release")).find((r) => r.name === "karpenter-node-pools").values[0];
    expect(values).not.toContain("name: efa-training");
    expect(Object.values(resources(platform, "helm_release")).map((r) => r.name)).toContain("aws-efa-k8s-device-plugin");
    expect(resources(platform, "aws_eks_node_group")).toEqual({});
  });
});
