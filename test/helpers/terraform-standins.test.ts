import { StandInContext, replaceInterpolations, standInFor, standInKey } from "./terraform-standins";

const foundationOutputs: Record<string, unknown> = {
  "cross-stack-output-aws_eks_clustereks_cluster_55B0C966vpc_config0cluster_security_group_id": "${aws_eks_cluster.eks_cluster_55B0C966.vpc_config[0].cluster_security_group_id}",
  "cross-stack-output-aws_db_instancedb_F519980Emaster_user_secret0secret_arn": "${aws_db_instance.db_F519980E.master_user_secret[0].secret_arn}",
  "cross-stack-output-not-a-reference": "literal",
};
const ctx: StandInContext = {
  region: "eu-west-1",
  accountId: "111122223333",
  output: (stackId, name) => (stackId === "dev-foundation" ? foundationOutputs[name] : undefined),
};
const remote = (output: string) => `data.terraform_remote_state.cross-stack-reference-input-dev-foundation.outputs.${output}`;

describe("Terraform stand-ins", () => {
  test("a security group id stand-in has AWS's format, is stable for one expression and differs between two", () => {
    const a = standInFor("aws_security_group.efa_590720E9.id", ctx);
    expect(a).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(standInFor("aws_security_group.efa_590720E9.id", ctx)).toBe(a);
    expect(standInFor("aws_security_group.other_12345678.id", ctx)).not.toBe(a);
  });

  test("cross-stack references are followed to the producing stack's resource attribute", () => {
    expect(standInFor(remote("cross-stack-output-aws_eks_clustereks_cluster_55B0C966vpc_config0cluster_security_group_id"), ctx)).toBe(
      standInFor("aws_eks_cluster.eks_cluster_55B0C966.vpc_config[0].cluster_security_group_id", ctx),
    );
    expect(standInFor(remote("cross-stack-output-aws_db_instancedb_F519980Emaster_user_secret0secret_arn"), ctx)).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6}$/,
    );
  });

  test("an RDS endpoint and a Secrets Manager ARN stand-in have AWS's formats", () => {
    expect(standInFor("aws_db_instance.db_F519980E.address", ctx)).toMatch(/^standin-db-[0-9a-f]{8}\.[0-9a-f]{12}\.eu-west-1\.rds\.amazonaws\.com$/);
    expect(standInFor("aws_secretsmanager_secret.login_1234ABCD.arn", ctx)).toMatch(/^arn:aws:secretsmanager:eu-west-1:111122223333:secret:standin-[0-9a-f]{8}-[0-9a-f]{6}$/);
  });

  test("key and certificate ARNs have AWS's format in the consuming stack's region and account", () => {
    expect(standInFor("aws_kms_key.node-volumes-key_3F0D70A4.arn", ctx)).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(standInFor("aws_acm_certificate_validation.v_1A2B3C4D.certificate_arn", ctx)).toMatch(/^arn:aws:acm:eu-west-1:111122223333:certificate\/[0-9a-f-]{36}$/);
  });

  test("an expression without a known stand-in, or a remote output that is no single reference, is an error naming it", () => {
    expect(standInKey("aws_sqs_queue.queue_B8077B32.name")).toBe("aws_sqs_queue.name");
    expect(() => standInFor("aws_sqs_queue.queue_B8077B32.name", ctx)).toThrow("${aws_sqs_queue.queue_B8077B32.name}: no stand-in for aws_sqs_queue.name");
    expect(() => standInFor("jsonencode(local.x)", ctx)).toThrow("no stand-in for this expression");
    expect(() => standInFor(remote("cross-stack-output-not-a-reference"), ctx)).toThrow('stack dev-foundation has no output cross-stack-output-not-a-reference that is a single reference (got "literal")');
    expect(() => standInFor(remote("missing"), ctx)).toThrow("has no output missing");
  });

  test("string templates: interpolations replaced, Terraform's escapes unescaped, directives rejected", () => {
    const seen: string[] = [];
    const out = replaceInterpolations("id: ${a.b.c}, literal: $${x} and %%{y}, nested: ${f({k = 1})}", (e) => {
      seen.push(e);
      return `<${seen.length}>`;
    });
    expect(out).toBe("id: <1>, literal: ${x} and %{y}, nested: <2>");
    expect(seen).toEqual(["a.b.c", "f({k = 1})"]);
    expect(() => replaceInterpolations("%{ if x }a%{ endif }", () => "")).toThrow("Terraform template directive at offset 0 is not modelled");
    expect(() => replaceInterpolations("x ${a.b", () => "")).toThrow("unterminated interpolation at offset 2");
  });
});
