import { validateEnvironment } from "../../environments/lib/load";
import { preflight, quotaBucket } from "../../environments/lib/preflight";
import { preflightMarkdown } from "../../scripts/preflight";
import { brokenStaging } from "../helpers/environments";
import { projectEnvironment, projectEnvironments } from "../helpers/synth";

describe("what an account needs before the first deploy (npm run preflight)", () => {
  test("dev: spot general and inference pools, an on-demand system group; the spot service-linked role first", () => {
    const p = preflight(projectEnvironment("dev"));
    // General pool: cpu 64, memory 256 GiB; one m7i.48xlarge (192 vCPUs) is the most a pool under its limits launches.
    // System group: max 3 x m7i.large (2 vCPUs). Inference: spot only (g6/g5), gpus 4, cpu 64: one g6.48xlarge.
    expect(p.quotas).toEqual([
      { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", vcpus: 192 + 6 },
      { code: "L-34B43A08", name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", vcpus: 192 },
      { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests", vcpus: 192 },
    ]);
    expect(p.serviceLinkedRoles.filter((r) => r.beforehand).map((r) => r.role)).toEqual(["AWSServiceRoleForEC2Spot"]);
    expect(p.reservations).toEqual([]);
  });

  test("prod: P quota for the EFA pool (8 x p5.48xlarge for 64 GPUs), the p4d training types and the shared-GPU pool's two p5 nodes, in the EFA pool's one zone", () => {
    const p = preflight(projectEnvironment("prod"));
    expect(p.quotas.find((q) => q.code === "L-417A185B")).toEqual({ code: "L-417A185B", name: "Running On-Demand P instances", vcpus: 8 * 192 + 4 * 96 + 2 * 192 });
    expect(p.demands.find((d) => d.source === "NodePool shared-gpu")).toEqual(expect.objectContaining({ vcpus: 2 * 192, onDemand: true, spot: false }));
    expect(p.demands.find((d) => d.source === "NodePool efa-training")).toEqual(expect.objectContaining({ vcpus: 1536, availabilityZones: ["us-east-1c"], onDemand: true, spot: false }));
  });

  test("reserved capacity is listed by id and not counted against the On-Demand quota", () => {
    const env = validateEnvironment(
      "staging",
      brokenStaging((e) => {
        e.compute.efa = { ...e.compute.efa, capacityType: "reserved", capacityReservationIds: ["cr-0123456789abcdef0"], placementGroup: false };
      }),
    );
    const p = preflight(env);
    expect(p.reservations).toEqual(["cr-0123456789abcdef0"]);
    expect(p.demands.find((d) => d.source === "NodePool efa-training")).toEqual(expect.objectContaining({ onDemand: false, reservations: ["cr-0123456789abcdef0"] }));
    expect(p.quotas.find((q) => q.code === "L-417A185B")).toBeUndefined();
  });

  test("an environment without spot capacity needs no spot service-linked role", () => {
    const env = validateEnvironment(
      "staging",
      brokenStaging((e) => {
        e.compute.cpuPool.capacityTypes = ["on-demand"];
        e.compute.gpuInferencePool.capacityTypes = ["on-demand"];
      }),
    );
    expect(preflight(env).serviceLinkedRoles.some((r) => r.role === "AWSServiceRoleForEC2Spot")).toBe(false);
  });

  test("quota families follow the instance family's letters", () => {
    expect(["m7i", "c7i", "r7i", "t3", "g6e", "g5", "p5", "p4d", "trn1", "inf2"].map(quotaBucket)).toEqual(["standard", "standard", "standard", "standard", "g", "g", "p", "p", "trn", "inf"]);
    expect(() => quotaBucket("u7i")).toThrow("instance family u7i has no vCPU quota family here");
  });

  test("the Markdown names every environment, quota code and the commands that check them", () => {
    const md = preflightMarkdown(projectEnvironments().map(preflight));
    for (const env of projectEnvironments()) expect(md).toContain(`## ${env.name} (account ${env.account.id}, ${env.account.region})`);
    expect(md).toContain("aws service-quotas get-service-quota --service-code ec2 --quota-code <code>");
    expect(md).toContain("aws ec2 describe-instance-type-offerings");
  });
});
