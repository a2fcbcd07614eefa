import { parse } from "yaml";
import { FEAST_TABLE_HASH_KEY } from "../constructs/data/feast-online-tables";
import { feastProject } from "../stacks/ml-settings";
import { blocks } from "./helpers/audit-context";
import { projectEnvironments, resources, stack, synthesizeAll, type TerraformJson } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/**
 * What every DynamoDB table of a stack must have, as Feast's online store and a scanner need it: point-in-time
 * recovery, SSE with the platform's data key (not the AWS owned or AWS managed key), and Feast's own key schema
 * (`entity_id`, a string), without which every online read and write fails.
 */
function tableProblems(stackId: string, json: TerraformJson, dataKeyAddress: RegExp): string[] {
  const out: string[] = [];
  for (const [id, t] of Object.entries((json.resource?.aws_dynamodb_table ?? {}) as Record<string, Any>)) {
    const at = `${stackId} aws_dynamodb_table.${id}`;
    if (!blocks<Any>(t.point_in_time_recovery).some((p) => p.enabled === true)) out.push(`${at}: point-in-time recovery is off`);
    const sse = blocks<Any>(t.server_side_encryption)[0];
    if (!sse?.enabled || !dataKeyAddress.test(String(sse.kms_key_arn ?? ""))) out.push(`${at}: not encrypted with the platform data key (server_side_encryption.kms_key_arn is ${JSON.stringify(sse?.kms_key_arn)})`);
    const attr = blocks<Any>(t.attribute).find((a) => a.name === t.hash_key);
    if (t.hash_key !== FEAST_TABLE_HASH_KEY || attr?.type !== "S") out.push(`${at}: hash key is ${JSON.stringify(t.hash_key)} (${attr?.type}); Feast reads and writes ${FEAST_TABLE_HASH_KEY} (S)`);
  }
  return out;
}

const DATA_KEY = /^\$\{aws_kms_key\.ml-data_data-key_[0-9A-F]{8}\.arn\}$/;

describe("Feast's online tables (Terraform-managed, one per declared feature view)", () => {
  test.each(synthesizeAll().stacks.map((s) => [s.id, s] as const))("%s: every DynamoDB table has point-in-time recovery, the data key and Feast's key schema", (id, s) => {
    expect(tableProblems(id, s.json, DATA_KEY)).toEqual([]);
  });

  test("the rule fails a table without point-in-time recovery, one on an AWS key, and one with another hash key", () => {
    const json: TerraformJson = {
      resource: {
        aws_dynamodb_table: {
          nopitr: { name: "p.a", hash_key: "entity_id", attribute: [{ name: "entity_id", type: "S" }], server_side_encryption: { enabled: true, kms_key_arn: "${aws_kms_key.ml-data_data-key_0123ABCD.arn}" } },
          awskey: { name: "p.b", hash_key: "entity_id", attribute: [{ name: "entity_id", type: "S" }], point_in_time_recovery: { enabled: true }, server_side_encryption: { enabled: true } },
          key: { name: "p.c", hash_key: "driver_id", attribute: [{ name: "driver_id", type: "N" }], point_in_time_recovery: { enabled: true }, server_side_encryption: { enabled: true, kms_key_arn: "${aws_kms_key.ml-data_data-key_0123ABCD.arn}" } },
        },
      },
    };
    expect(tableProblems("dev-fixture", json, DATA_KEY)).toEqual([
      "dev-fixture aws_dynamodb_table.nopitr: point-in-time recovery is off",
      "dev-fixture aws_dynamodb_table.awskey: not encrypted with the platform data key (server_side_encryption.kms_key_arn is undefined)",
      'dev-fixture aws_dynamodb_table.key: hash key is "driver_id" (N); Feast reads and writes entity_id (S)',
    ]);
  });

  test.each(projectEnvironments().map((e) => [e.name, e] as const))("%s: exactly the declared views get a table, named as feature_store.yaml names them", (name, env) => {
    const tables = Object.values(resources(stack(`${name}-foundation`), "aws_dynamodb_table")).map((t) => t.name).sort();
    expect(tables).toEqual(env.ml.feast.featureViews.map((v) => `${feastProject(env)}.${v}`).sort());
    const yaml = parse(stack(`${name}-ml`).json.output?.feast_feature_store_yaml.value);
    expect(yaml.online_store.table_name_template).toBe("{project}.{table_name}");
    expect(yaml.project).toBe(feastProject(env));
  });

  test("production tables are deletion-protected; others can be torn down with the environment", () => {
    for (const env of projectEnvironments()) {
      for (const t of Object.values(resources(stack(`${env.name}-foundation`), "aws_dynamodb_table"))) {
        const production = env.tier === "production";
        expect([env.name, t.deletion_protection_enabled, t.lifecycle?.prevent_destroy === true]).toEqual([env.name, production, production]);
      }
    }
  });
});
