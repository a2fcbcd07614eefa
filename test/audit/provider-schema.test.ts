import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { auditTargets } from "../helpers/audit-context";
import { synthConstruct } from "../helpers/construct";
import { REGENERATE, SCHEMA_NAME, checkStack, loadProviderSchemas, staleProviders, type ProviderSchemas } from "../helpers/provider-schema";
import { stack } from "../helpers/synth";

const schemas = loadProviderSchemas();
const targets = auditTargets();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const clone = (json: unknown): any => JSON.parse(JSON.stringify(json));
const only = (json: object) => checkStack("t", json, schemas);
const UNKNOWN = `; if the provider has it now, run ${REGENERATE}`;

describe("provider schemas audit (every provider, resource, data and ephemeral block of every stack)", () => {
  test("the extract was made from the installed provider bindings", () => {
    expect(staleProviders(schemas)).toEqual([]);
    expect(Object.keys(schemas.providers).sort()).toEqual(["aws", "helm", "kubernetes", "terraform"]);
  });

  test.each(targets.map((t) => [t.id, t] as const))("%s: every block uses only arguments and blocks its provider has, nested as it expects", (_id, t) => {
    expect(checkStack(t.id, t.json)).toEqual([]);
  });

  test("the hand-rendered ephemeral block is checked against the AWS provider's documented schema", () => {
    expect(stack("dev-platform").json).toHaveProperty(["ephemeral", "aws_secretsmanager_random_password"]);
    expect(schemas.providers.aws.documented?.["ephemeral.aws_secretsmanager_random_password"]).toMatch(/ephemeral-resources\/secretsmanager_random_password/);
    const json = clone(stack("dev-platform").json);
    const [name, cfg] = Object.entries(json.ephemeral.aws_secretsmanager_random_password)[0] as [string, Record<string, unknown>];
    cfg.password_lenght = 32;
    expect(checkStack("dev-platform", json)).toEqual([
      `dev-platform ephemeral.aws_secretsmanager_random_password.${name}: password_lenght: not an argument or block of aws_secretsmanager_random_password in the documented schema (${schemas.providers.aws.documented?.["ephemeral.aws_secretsmanager_random_password"]})${UNKNOWN}`,
    ]);
  });
});

describe("provider schema checker (failing cases)", () => {
  const { package: awsPackage, packageVersion, source, version } = schemas.providers.aws;
  const aws = `${awsPackage} ${packageVersion} (${source} ${version})`;

  test("an unknown argument, at the top and in a nested block, names the stack, address and path", () => {
    const json = clone(stack("prod-foundation").json);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const [id, cluster] = Object.entries(json.resource.aws_eks_cluster)[0] as [string, any];
    cluster.vpc_config.subnet_idz = ["subnet-1"];
    cluster.nmae = "x";
    expect(checkStack("prod-foundation", json)).toEqual([
      `prod-foundation aws_eks_cluster.${id}: vpc_config.subnet_idz: not an argument or block of aws_eks_cluster in ${aws}${UNKNOWN}`,
      `prod-foundation aws_eks_cluster.${id}: nmae: not an argument or block of aws_eks_cluster in ${aws}${UNKNOWN}`,
    ]);
  });

  test("a block nested wrongly: a list for a single object, several for a one-element block, an object for a list", () => {
    const json = clone(stack("prod-platform").json);
    json.provider.helm[0].kubernetes = [json.provider.helm[0].kubernetes]; // the helm 2.x block form in helm 3.x
    json.provider.aws[0].default_tags = json.provider.aws[0].default_tags[0];
    const [id, cluster] = Object.entries(clone(stack("prod-foundation").json).resource.aws_eks_cluster)[0] as [string, Record<string, unknown>];
    cluster.access_config = [cluster.access_config, cluster.access_config];
    expect([...checkStack("prod-platform", json), ...only({ resource: { aws_eks_cluster: { [id]: cluster } } })]).toEqual([
      "prod-platform provider.aws: default_tags: expected a list of objects (list nesting), got an object",
      "prod-platform provider.helm: kubernetes: expected a single object, got a list",
      `t aws_eks_cluster.${id}: access_config: at most one block, got 2`,
    ]);
  });

  test("a block given as a scalar, even an expression, and an argument of the wrong shape", () => {
    const problems = only({
      resource: {
        aws_eks_cluster: { c: { name: "x", role_arn: "r", vpc_config: "${var.vpc}", access_config: { authentication_mode: ["API"] } } },
        aws_s3_bucket: { b: { bucket: "b", tags: ["Project"], force_destroy: "yes" } },
        aws_launch_template: { l: { block_device_mappings: [{ ebs: { volume_size: "large" } }, "sdb"] } },
      },
    });
    expect(problems).toEqual([
      't aws_eks_cluster.c: vpc_config: a nested block, got the string "${var.vpc}" (blocks cannot be expressions; use a dynamic block)',
      't aws_eks_cluster.c: access_config.authentication_mode: expected a string, got a list',
      't aws_s3_bucket.b: tags: expected a map(string), got a list',
      't aws_s3_bucket.b: force_destroy: expected a bool, got the string "yes"',
      't aws_launch_template.l: block_device_mappings[0].ebs.volume_size: expected a number, got the string "large"',
      't aws_launch_template.l: block_device_mappings[1]: expected an object, got the string "sdb"',
    ]);
  });

  test("expressions stand for any argument type; null leaves an argument unset", () => {
    expect(only({ resource: { aws_s3_bucket: { b: { bucket: "${var.name}", tags: "${local.tags}", force_destroy: null, object_lock_enabled: "true" } } } })).toEqual([]);
  });

  test("a type missing from the extract names the command that regenerates it", () => {
    expect(only({ resource: { aws_instance: { i: { ami: "ami-1" } } }, data: { aws_caller_identity: { me: {} } } })).toEqual([
      `t aws_instance.i: resource type aws_instance is not in ${SCHEMA_NAME}: run ${REGENERATE}`,
      `t data.aws_caller_identity.me: data type aws_caller_identity is not in ${SCHEMA_NAME}: run ${REGENERATE}`,
    ]);
  });

  test("meta-arguments are allowed where Terraform allows them; lifecycle arguments are checked", () => {
    const meta = { depends_on: ["aws_s3_bucket.a"], provider: "aws.east", count: 1, for_each: "${toset([])}", connection: { host: "h" }, provisioner: [{ "local-exec": { command: "true" } }] };
    expect(only({ resource: { aws_s3_bucket: { b: { ...meta, lifecycle: { prevent_destroy: true, ignore_changes: ["tags"] } } } } })).toEqual([]);
    expect(only({ provider: { aws: [{ alias: "east", region: "us-east-1" }] } })).toEqual([]);
    expect(
      only({
        resource: { aws_s3_bucket: { b: { lifecycle: { prevent_destory: true } } } },
        data: { terraform_remote_state: { s: { backend: "s3", provisioner: [], lifecycle: { prevent_destroy: true } } } },
      }),
    ).toEqual([
      "t aws_s3_bucket.b: lifecycle.prevent_destory: not a lifecycle argument of a resource block (create_before_destroy, prevent_destroy, ignore_changes, replace_triggered_by, precondition, postcondition)",
      `t data.terraform_remote_state.s: provisioner: not an argument or block of terraform_remote_state in ${schemas.providers.terraform.source}${UNKNOWN}`,
      "t data.terraform_remote_state.s: lifecycle.prevent_destroy: not a lifecycle argument of a data block (precondition, postcondition)",
    ]);
  });

  test("dynamic blocks must generate a known block, and their content is checked", () => {
    const dynamic = (name: string, content: object) => ({ dynamic: { [name]: { for_each: "${var.x}", content } } });
    expect(only({ resource: { aws_security_group: { g: dynamic("ingress", { from_port: 443, to_port: 443, protocol: "tcp" }) } } })).toEqual([]);
    expect(only({ resource: { aws_security_group: { g: dynamic("ingress", { form_port: 443 }) } } })).toEqual([
      `t aws_security_group.g: dynamic.ingress.content.form_port: not an argument or block of aws_security_group in ${aws}${UNKNOWN}`,
    ]);
    expect(only({ resource: { aws_security_group: { g: dynamic("name", {}) } } })).toEqual(["t aws_security_group.g: dynamic.name: name is an argument, not a block"]);
  });

  test("catches an unknown argument added through addOverride", () => {
    const { json } = synthConstruct((s) => {
      const bucket = new S3Bucket(s, "bucket", { bucket: "b" });
      bucket.addOverride("lifecycle.prevent_destroy", true);
      bucket.addOverride("object_lock_enabled", true);
      bucket.addOverride("versioning_typo.enabled", true);
    });
    expect(checkStack("test", json)).toEqual([`test aws_s3_bucket.bucket: versioning_typo: not an argument or block of aws_s3_bucket in ${aws}${UNKNOWN}`]);
  });

  test("reports an installed binding newer than the extract", () => {
    const stale: ProviderSchemas = { ...schemas, providers: { ...schemas.providers, helm: { ...schemas.providers.helm, packageVersion: "0.0.1" } } };
    const installed = schemas.providers.helm.packageVersion;
    expect(staleProviders(stale)).toEqual([`@cdktf/provider-helm is ${installed} but ${SCHEMA_NAME} was extracted from 0.0.1: run npm run generate:provider-schemas`]);
  });
});
