// The replacement table the review relies on (scripts/lib/review/force-new.generated.ts, read from the providers'
// source at the pinned versions): it matches the installed bindings, covers every resource type the stacks use,
// and says what the provider says for each stateful type the stacks use.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { classify } from "../../scripts/lib/review/force-new";
import { FORCE_NEW_SOURCES, FORCE_NEW_TABLE } from "../../scripts/lib/review/force-new.generated";
import { isStateful } from "../../scripts/lib/review/stateful";
import { synthesizeAll } from "../helpers/synth";

const providerVersion = (pkg: string) => JSON.parse(readFileSync(join(__dirname, "../../node_modules", pkg, "package.json"), "utf8")).cdktf.provider.version;

/** Per stateful type the stacks use: attributes the provider source marks ForceNew, and ones it updates in place. */
const STATEFUL_CASES: Record<string, { replaces: string[]; inPlace: string[] }> = {
  aws_db_instance: { replaces: ["db_name", "storage_encrypted", "character_set_name", "timezone", "kms_key_id", "engine", "username"], inPlace: ["db_subnet_group_name", "identifier", "engine_version", "instance_class", "allocated_storage", "deletion_protection"] },
  aws_s3_bucket: { replaces: ["bucket", "object_lock_enabled"], inPlace: ["force_destroy", "tags"] },
  aws_eks_cluster: { replaces: ["name", "role_arn", "access_config.bootstrap_cluster_creator_admin_permissions", "kubernetes_network_config.service_ipv4_cidr"], inPlace: ["version", "vpc_config.subnet_ids", "vpc_config.endpoint_public_access", "enabled_cluster_log_types"] },
  aws_ecr_repository: { replaces: ["name", "encryption_configuration.kms_key"], inPlace: ["image_tag_mutability", "force_delete", "image_scanning_configuration"] },
  aws_kms_key: { replaces: ["customer_master_key_spec", "key_usage", "multi_region"], inPlace: ["deletion_window_in_days", "enable_key_rotation", "policy", "description"] },
  aws_secretsmanager_secret: { replaces: ["name"], inPlace: ["recovery_window_in_days", "kms_key_id", "description"] },
  aws_cloudwatch_log_group: { replaces: ["name", "log_group_class"], inPlace: ["retention_in_days", "kms_key_id"] },
  aws_prometheus_workspace: { replaces: ["kms_key_arn"], inPlace: ["logging_configuration.log_group_arn"] },
  aws_s3_object: { replaces: ["bucket", "key"], inPlace: ["content", "content_type"] },
  aws_dynamodb_table: { replaces: ["name", "hash_key", "range_key", "local_secondary_index"], inPlace: ["point_in_time_recovery", "server_side_encryption", "deletion_protection_enabled", "billing_mode", "attribute"] },
  kubernetes_namespace_v1: { replaces: ["metadata.name"], inPlace: ["metadata.labels", "metadata.annotations"] },
  aws_fsx_lustre_file_system: {
    replaces: ["deployment_type", "kms_key_id", "subnet_ids", "security_group_ids", "storage_type", "file_system_type_version"],
    inPlace: ["automatic_backup_retention_days", "per_unit_storage_throughput", "data_compression_type", "skip_final_backup"],
  },
};

describe("force-new table", () => {
  test("was generated from the provider versions the installed bindings pin", () => {
    expect(FORCE_NEW_SOURCES.aws.version).toBe(`v${providerVersion("@cdktf/provider-aws")}`);
    expect(FORCE_NEW_SOURCES.helm.tag).toBe(`v${providerVersion("@cdktf/provider-helm")}`);
    expect(FORCE_NEW_SOURCES.kubernetes.tag).toBe(`v${providerVersion("@cdktf/provider-kubernetes")}`);
    for (const s of Object.values(FORCE_NEW_SOURCES)) expect(s.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  test("covers every resource type the stacks use, each read completely (no unresolved keys or helpers)", () => {
    const types = new Set(synthesizeAll().stacks.flatMap((s) => Object.keys(s.json.resource ?? {})));
    const problems = [...types].sort().flatMap((t) => (!FORCE_NEW_TABLE[t] ? [`${t}: missing (rerun scripts/generate-force-new.mjs)`] : FORCE_NEW_TABLE[t].u ? [`${t}: unresolved ${FORCE_NEW_TABLE[t].u!.join(", ")}`] : []));
    expect(problems).toEqual([]);
  });

  test("has a case below for every stateful type the stacks use", () => {
    const stateful = [...new Set(synthesizeAll().stacks.flatMap((s) => Object.keys(s.json.resource ?? {})))].filter(isStateful).sort();
    expect(stateful.filter((t) => !STATEFUL_CASES[t])).toEqual([]);
  });

  test.each(Object.entries(STATEFUL_CASES))("%s: what replaces it and what updates in place, per the provider source", (type, { replaces, inPlace }) => {
    expect(replaces.map((a) => [a, classify(type, a).kind])).toEqual(replaces.map((a) => [a, "replaces"]));
    expect(inPlace.map((a) => [a, classify(type, a).kind])).toEqual(inPlace.map((a) => [a, "in-place"]));
  });

  test("replacements decided at plan time, meta-arguments and unknown types are classified as such", () => {
    // EKS replaces the cluster only when encryption_config is removed (CustomizeDiff ForceNewIfChange).
    expect(classify("aws_eks_cluster", "encryption_config")).toEqual({ kind: "may-replace", why: expect.stringContaining("CustomizeDiff") });
    expect(classify("aws_prometheus_workspace", "alias").kind).toBe("may-replace");
    expect(classify("aws_db_instance", "lifecycle.prevent_destroy").kind).toBe("in-place");
    expect(classify("aws_not_a_type", "anything")).toEqual({ kind: "may-replace", why: "aws_not_a_type is not in the force-new table" });
    // List selectors in a changed path are ignored: a subnet of the node group changes, and subnet_ids is ForceNew.
    expect(classify("aws_eks_node_group", "subnet_ids[2]").kind).toBe("replaces");
    // FSx replaces the file system when its storage capacity shrinks (CustomizeDiff); growing it is in place.
    expect(classify("aws_fsx_lustre_file_system", "storage_capacity").kind).toBe("may-replace");
  });
});
