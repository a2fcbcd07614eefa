import { KmsKey, cloudWatchLogsKeyStatement, type KmsKeyProps } from "../../constructs/security/kms-key";
import { WorkloadRole } from "../../constructs/iam/workload-role";
import { serviceTrustPolicy } from "../../constructs/iam/policy";
import { ACCOUNT, actionsOf, policyDoc, ref, REGION, single, synthConstruct } from "../helpers/construct";

function synthKey(props: Partial<KmsKeyProps> = {}) {
  return synthConstruct((stack) => {
    const key = new KmsKey(stack, "logs-key", { accountId: ACCOUNT, alias: "mlp-test-logs", description: "logs of mlp-test", ...props });
    const role = new WorkloadRole(stack, "reader", { roleName: "reader", description: "reader", assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com") });
    return { key, role };
  });
}

describe("KmsKey", () => {
  test("rotates yearly and keeps the 30-day deletion window by default", () => {
    const [, key] = single(synthKey().json, "aws_kms_key");
    expect(key).toEqual(expect.objectContaining({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30, description: "logs of mlp-test" }));
    expect(key.lifecycle).toBeUndefined();
  });

  test("has an explicit key policy: named actions for the account, never kms:* or *", () => {
    const [, key] = single(synthKey().json, "aws_kms_key");
    const [statement, ...rest] = policyDoc(key.policy).Statement;
    expect(rest).toEqual([]);
    expect(statement).toEqual(expect.objectContaining({ Sid: "AccountPrincipalsThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Resource: "*" }));
    const actions = actionsOf(statement);
    expect(actions).toEqual(expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]));
    expect(actions.every((a) => /^kms:[A-Z][A-Za-z]+$/.test(a))).toBe(true);
  });

  test("appends service statements after the account statement", () => {
    const [, key] = single(synthKey({ serviceStatements: [cloudWatchLogsKeyStatement(ACCOUNT, REGION)] }).json, "aws_kms_key");
    const statements = policyDoc(key.policy).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(["AccountPrincipalsThroughIam", "CloudWatchLogsInThisAccount"]);
    expect(statements[1]).toEqual(
      expect.objectContaining({
        Principal: { Service: "logs.us-east-1.amazonaws.com" },
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:*` } },
      }),
    );
    expect(actionsOf(statements[1])).not.toContain("kms:*");
  });

  test("creates alias/<alias> pointing at the key", () => {
    const { json } = synthKey();
    const [keyId] = single(json, "aws_kms_key");
    expect(single(json, "aws_kms_alias")[1]).toEqual({ name: "alias/mlp-test-logs", target_key_id: ref("aws_kms_key", keyId, "key_id") });
  });

  test("protect sets prevent_destroy", () => {
    expect(single(synthKey({ protect: true }).json, "aws_kms_key")[1].lifecycle).toEqual({ prevent_destroy: true });
  });

  test("grantDecrypt and grantEncryptDecrypt add statements scoped to this key's ARN", () => {
    const { json, built } = synthConstruct((stack) => {
      const key = new KmsKey(stack, "data-key", { accountId: ACCOUNT, alias: "data", description: "data" });
      const role = new WorkloadRole(stack, "app", { roleName: "app", description: "app", assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com") });
      key.grantDecrypt(role, "read");
      key.grantEncryptDecrypt(role, "write");
      return { key, role };
    });
    const [keyId] = single(json, "aws_kms_key");
    const keyArn = ref("aws_kms_key", keyId, "arn");
    expect(built.role.statements("read")).toEqual([{ Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: built.key.keyArn }]);
    expect(built.role.statements("write")).toEqual([
      { Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Resource: built.key.keyArn },
    ]);
    const policies = Object.values(json.resource!.aws_iam_role_policy);
    expect(policies.map((p) => [p.name, policyDoc(p.policy).Statement.map((s) => s.Resource)])).toEqual([
      ["read", [keyArn]],
      ["write", [keyArn]],
    ]);
  });

  test.each([6, 31, 0])("fails for a deletion window of %i days", (days) => {
    expect(() => synthKey({ deletionWindowInDays: days })).toThrow(`deletionWindowInDays must be between 7 and 30, got ${days}`);
  });
});
