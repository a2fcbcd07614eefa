import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import type { IGrantable } from "../iam/policy";
import type { KmsKey } from "../security/kms-key";

/**
 * The key Feast 0.66's DynamoDB online store creates its tables with (`entity_id`, a string hash key;
 * feast-dev/feast v0.66.0 sdk/python/feast/infra/online_stores/dynamodb.py, `update`). A table with another key
 * would make every online read and write fail.
 */
export const FEAST_TABLE_HASH_KEY = "entity_id";

/** Item reads of the online store: `online_read` (BatchGetItem) and single lookups. */
const ITEM_READ = ["dynamodb:BatchGetItem", "dynamodb:GetItem"] as const;
/** Item writes of materialization (`online_write_batch`: batch_writer) and `update_online_store` (UpdateItem). */
const ITEM_WRITE = ["dynamodb:BatchWriteItem", "dynamodb:UpdateItem"] as const;
/**
 * What `feast apply` calls on tables that exist (`update`: describe_table, then the tag diff reads tags; tag writes and
 * DeleteTable fail with AccessDenied, which Feast logs and skips).
 */
const TABLE_DESCRIBE = ["dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"] as const;

export interface FeastOnlineTablesProps {
  readonly accountId: string;
  readonly region: string;
  /** Feast project: tables are `<project>.<feature view>` (feature_store.yaml's table_name_template). */
  readonly project: string;
  /** Feature views of the users' feature repository that have an online table (the environment's `ml.feast.featureViews`). */
  readonly featureViews: readonly string[];
  /** The platform's data key: tables are encrypted with it (SSE-KMS). */
  readonly encryptionKey: KmsKey;
  /** Deletion protection and prevent_destroy. @default false */
  readonly protect?: boolean;
}

/**
 * Feast's DynamoDB online tables, one per declared feature view, created by Terraform instead of by `feast apply`: every
 * table gets point-in-time recovery and the platform key from its first second, and no role in the cluster may create
 * or delete tables. Feast 0.66 describes a table before creating it and skips creation when it exists, so `feast apply`
 * works unchanged; a feature view that is not declared makes `feast apply` fail on CreateTable (AccessDenied), which
 * tells its author to declare it in the environment file.
 */
export class FeastOnlineTables extends Construct {
  readonly tables: DynamodbTable[] = [];
  /** `<project>.<view>` per declared view. */
  readonly tableNames: readonly string[];
  /** ARNs of the declared tables (literal, so roles in later stacks need no cross-stack reference). */
  readonly tableArns: readonly string[];
  /** Every table name `feast apply` could ask about: `<project>.*` (the dot keeps other projects out). */
  readonly projectTablesArn: string;
  private readonly region: string;
  private readonly keyArn: string;

  constructor(scope: Construct, id: string, props: FeastOnlineTablesProps) {
    super(scope, id);
    const protect = props.protect ?? false;
    this.region = props.region;
    this.keyArn = props.encryptionKey.keyArn;
    const arn = (name: string) => `arn:aws:dynamodb:${props.region}:${props.accountId}:table/${name}`;
    this.tableNames = props.featureViews.map((v) => `${props.project}.${v}`);
    this.tableArns = this.tableNames.map(arn);
    this.projectTablesArn = arn(`${props.project}.*`);
    for (const [i, view] of props.featureViews.entries()) {
      this.tables.push(
        new DynamodbTable(this, view, {
          name: this.tableNames[i],
          billingMode: "PAY_PER_REQUEST",
          hashKey: FEAST_TABLE_HASH_KEY,
          attribute: [{ name: FEAST_TABLE_HASH_KEY, type: "S" }],
          pointInTimeRecovery: { enabled: true },
          serverSideEncryption: { enabled: true, kmsKeyArn: props.encryptionKey.keyArn },
          deletionProtectionEnabled: protect,
          lifecycle: protect ? { preventDestroy: true } : undefined,
        }),
      );
    }
  }

  /** The feature server: read items of the declared tables. */
  grantItemRead(grantee: IGrantable, policyName = "feast-online-read"): void {
    this.grant(grantee, "FeastOnlineRead", [...ITEM_READ], this.tableArns, ["kms:Decrypt"], policyName);
  }

  /** Materialization: read and write items of the declared tables; nothing on the tables themselves. */
  grantItemReadWrite(grantee: IGrantable, policyName = "feast-online-write"): void {
    this.grant(grantee, "FeastOnlineWrite", [...ITEM_READ, ...ITEM_WRITE], this.tableArns, ["kms:Decrypt", "kms:GenerateDataKey"], policyName);
  }

  /** `feast apply`: see whether a table exists and read its tags, for any table of the project; no create or delete. */
  grantDescribe(grantee: IGrantable, policyName = "feast-online-describe"): void {
    grantee.addToPolicy({ Sid: "FeastOnlineDescribe", Effect: "Allow", Action: [...TABLE_DESCRIBE], Resource: this.projectTablesArn }, policyName);
  }

  private grant(grantee: IGrantable, sid: string, actions: string[], tables: readonly string[], keyActions: string[], policyName: string): void {
    // No declared view, no table: a statement with no resource would be invalid, and there is nothing to grant.
    if (!tables.length) return;
    grantee.addToPolicy({ Sid: `${sid}Items`, Effect: "Allow", Action: actions, Resource: [...tables] }, policyName);
    // DynamoDB uses the table's key on the caller's behalf; the key is usable for nothing else through this grant.
    grantee.addToPolicy(
      { Sid: `${sid}Key`, Effect: "Allow", Action: keyActions, Resource: this.keyArn, Condition: { StringEquals: { "kms:ViaService": `dynamodb.${this.region}.amazonaws.com` } } },
      policyName,
    );
  }
}
