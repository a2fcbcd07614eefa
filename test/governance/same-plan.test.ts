import { differingAddresses } from "../../scripts/same-plan";

const plan = (...changes: Array<[string, string[], unknown]>) => ({ resource_changes: changes.map(([address, actions, after]) => ({ address, change: { actions, after, after_unknown: {} } })) });

describe("an approved plan is applied only while it is still the plan (scripts/same-plan.ts)", () => {
  test("the same changes compare equal; no-ops and reads do not count", () => {
    const a = plan(["aws_s3_bucket.a", ["update"], { tags: { x: "1" } }], ["aws_vpc.v", ["no-op"], {}]);
    const b = plan(["aws_s3_bucket.a", ["update"], { tags: { x: "1" } }], ["data.x.y", ["read"], {}]);
    expect(differingAddresses(a, b)).toEqual([]);
  });

  test("a changed value, a changed action or a new change is a difference, named by address", () => {
    const approved = plan(["helm_release.pools", ["update"], { values: ["cpu: 64"] }], ["aws_iam_role.r", ["update"], { name: "r" }]);
    const now = plan(["helm_release.pools", ["update"], { values: ["cpu: 128"] }], ["aws_iam_role.r", ["delete", "create"], { name: "r" }], ["aws_kms_key.k", ["create"], {}]);
    expect(differingAddresses(approved, now)).toEqual(["aws_iam_role.r", "aws_kms_key.k", "helm_release.pools"]);
  });
});
