import { TerraformOutput } from "cdktf";
import { serviceTrustPolicy } from "../../constructs/iam/policy";
import { WorkloadRole } from "../../constructs/iam/workload-role";
import { ofType, policyDoc, ref, single, synthConstruct } from "../helpers/construct";

describe("WorkloadRole", () => {
  const { json, built } = synthConstruct((stack) => {
    const role = new WorkloadRole(stack, "app", {
      roleName: "mlp-test-app",
      description: "app",
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicies: ["AmazonSSMManagedInstanceCore", "service-role/AmazonEBSCSIDriverPolicy"],
    });
    role.addToPolicy({ Sid: "ReadA", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::a/*" });
    role.addToPolicy({ Sid: "QueueB", Effect: "Allow", Action: ["sqs:ReceiveMessage"], Resource: "arn:aws:sqs:us-east-1:111122223333:b" }, "queues");
    // Defined after something else consumed the role: statements still land in the rendered policy (Lazy).
    new TerraformOutput(stack, "role_arn", { value: role.roleArn });
    role.addToPolicy({ Sid: "ReadC", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::c/*" });
    return role;
  });

  test("renders accumulated grants as one inline policy per name, statements in grant order", () => {
    const policies = Object.values(ofType(json, "aws_iam_role_policy"));
    expect(policies.map((p) => [p.name, policyDoc(p.policy).Statement.map((s) => s.Sid)])).toEqual([
      ["default", ["ReadA", "ReadC"]],
      ["queues", ["QueueB"]],
    ]);
    const [roleId] = single(json, "aws_iam_role");
    for (const p of policies) expect(p.role).toBe(ref("aws_iam_role", roleId));
    expect(built.statements("default").map((s) => s.Sid)).toEqual(["ReadA", "ReadC"]);
    expect(built.statements("missing")).toEqual([]);
  });

  test("attaches AWS managed policies by name", () => {
    expect(Object.values(ofType(json, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    ]);
  });

  test("names the role and caps sessions at one hour", () => {
    expect(single(json, "aws_iam_role")[1]).toEqual(expect.objectContaining({ name: "mlp-test-app", max_session_duration: 3600 }));
  });

  test("dependables cover the role, attachments and every inline policy", () => {
    expect(built.dependables()).toHaveLength(1 + 2 + 2);
  });
});
