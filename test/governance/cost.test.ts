import { checkBudgets, costCeiling, KMS_KEYS_PER_ENVIRONMENT } from "../../environments/lib/cost";
import { validateEnvironment } from "../../environments/lib/load";
import stagingInput from "../../environments/staging";
import { projectEnvironment, resources, synthesizeAll } from "../helpers/synth";

describe("cost ceiling", () => {
  test("dev's ceiling, checked by hand", () => {
    const c = costCeiling(projectEnvironment("dev"));
    const byKey = Object.fromEntries(c.items.map((i) => [i.key, i.usdPerHour]));
    // general pool (m7i, c7i; cpu 64, memory 256 GiB): dearest fill is m7i.metal-24xl (96 vCPU, 384 GiB, $5.32224/h):
    // min(64/96, 256/384) = 0.6667 nodes x 5.32224 = 3.54816
    expect(byKey["nodepool/general"]).toBe(3.548);
    // gpu-inference (g6, g5; 4 GPUs, 64 vCPU): g5.4xlarge (1 GPU, 16 vCPU, $1.624/h) fills min(4/1, 64/16) = 4 nodes = 6.496
    expect(byKey["nodepool/gpu-inference"]).toBe(6.496);
    // system node group: max 3 x m7i.large ($0.1008/h, dearer than m6i.large) = 0.3024
    expect(byKey["nodegroup/system"]).toBe(0.302);
    expect(byKey["fixed/eks-control-plane"]).toBe(0.1);
    // one NAT gateway ($0.045/h)
    expect(byKey["fixed/nat-gateways"]).toBe(0.045);
    // db.t4g.small $0.032/h + 50 GiB x $0.115 per GB-month / 720 h = 0.032 + 0.00799 = 0.03999
    expect(byKey["fixed/mlflow-database"]).toBe(0.04);
    // No domain, so no load balancer.
    expect(byKey["fixed/alb"]).toBeUndefined();
    // 8 keys x $3/month / 720 h = 0.033
    expect(byKey["fixed/kms-keys"]).toBe(0.033);
    // and storage/mountpoint-s3 at $0 (environments/lib/resilience-cost.ts).
    expect(byKey["storage/mountpoint-s3"]).toBe(0);
    expect(Object.keys(byKey)).toHaveLength(8);
    // 3.548 + 6.496 + 0.302 + 0.1 + 0.045 + 0.04 + 0.033 = 10.564/h; x 720 h = 7,606.08 per 30 days
    expect(c.usdPerHour).toBe(10.564);
    expect(c.usdPer30Days).toBe(7606.08);
    expect(c.priceNote).toContain("us-east-1 On-Demand Linux, Karpenter's table of 2026-07-20");
  });

  test("prod prices its EFA pool on p5.48xlarge: 64 GPUs = 8 nodes x $55.04/h", () => {
    const efa = costCeiling(projectEnvironment("prod")).items.find((i) => i.key === "nodepool/efa-training")!;
    expect(efa.usdPerHour).toBe(440.32);
    expect(efa.basis).toBe("limits gpus 64 filled by 8 x p5.48xlarge at $55.04/h");
  });

  test("a region other than us-east-1 says its prices are us-east-1's", () => {
    const env = validateEnvironment("eu", { ...structuredClone(stagingInput), account: { id: "111122223333", region: "eu-west-1" }, network: { ...stagingInput.network, availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }, compute: { ...stagingInput.compute, efa: { ...stagingInput.compute.efa, availabilityZones: ["eu-west-1b"] } } } as never);
    expect(costCeiling(env).priceNote).toContain("used for eu-west-1; actual eu-west-1 prices differ");
  });

  test("every shipped environment is within its budget", () => {
    expect(checkBudgets(["dev", "staging", "prod"].map(projectEnvironment))).toEqual({ errors: [], warnings: [] });
  });

  test("fails synth in production tier and only warns elsewhere when the ceiling is over budget", () => {
    const prod = { ...projectEnvironment("prod"), budget: { monthlyUsd: 1000 } };
    const dev = { ...projectEnvironment("dev"), budget: { monthlyUsd: 1000 } };
    expect(checkBudgets([prod, dev])).toEqual({
      errors: ['environment "prod": budget.monthlyUsd: got 1000; the worst-case On-Demand ceiling is $699098.40 per 30 days (run `npm run cost`): raise the budget or lower the pool limits'],
      warnings: ['environment "dev": budget.monthlyUsd: got 1000; the worst-case On-Demand ceiling is $7606.08 per 30 days (run `npm run cost`): raise the budget or lower the pool limits'],
    });
  });

  test("counts every customer managed key the stacks create, and prices a named Private CA's monthly fee", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const keys = synthesizeAll().stacks.filter((s) => s.id.startsWith(`${env}-`)).flatMap((s) => Object.keys(resources(s, "aws_kms_key")));
      expect([env, keys.length]).toEqual([env, KMS_KEYS_PER_ENVIRONMENT]);
    }
    const prod = projectEnvironment("prod");
    const pca = "arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/12345678-1234-1234-1234-123456789012";
    const withPca = { ...prod, ml: { ...prod.ml, ingress: { ...prod.ml.ingress, certificate: { privateCertificateAuthorityArn: pca } } } };
    const item = costCeiling(withPca).items.find((i) => i.key === "fixed/private-ca")!;
    // $400 / 720 h = 0.5556
    expect(item.usdPerHour).toBe(0.556);
    expect(item.basis).toContain(pca);
    expect(costCeiling(withPca).usdPer30Days - costCeiling(prod).usdPer30Days).toBeCloseTo(400, 0);
    expect(costCeiling(prod).items.find((i) => i.key === "fixed/private-ca")).toBeUndefined();
  });

  test("fails an unpriced RDS instance class with the field and the priced classes", () => {
    const env = { ...projectEnvironment("dev"), ml: { ...projectEnvironment("dev").ml, mlflowDatabase: { ...projectEnvironment("dev").ml.mlflowDatabase, instanceClass: "db.x2iedn.32xlarge" } } };
    expect(() => costCeiling(env)).toThrow(/^environment "dev": ml\.mlflowDatabase\.instanceClass: no price for "db\.x2iedn\.32xlarge"; add it to RDS_POSTGRES_USD_PER_HOUR/);
  });
});
