// Resources whose destruction loses data or everything inside them, what each loses, and which safeguards in its
// configuration apply when Terraform destroys it (prevent_destroy, deletion protection, final snapshots, windows).
import type { Protection } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Per stateful type: what destroying one loses. */
const LOSES: Readonly<Record<string, string>> = {
  aws_s3_bucket: "every object in the bucket",
  aws_s3_object: "the object's content (and whatever wrote to it since)",
  aws_db_instance: "the database's data",
  aws_rds_cluster: "the database cluster's data",
  aws_dynamodb_table: "every item in the table",
  aws_kms_key: "the key: data encrypted with it becomes unreadable once deletion completes",
  aws_eks_cluster: "the cluster and every workload, volume claim and node in it",
  aws_secretsmanager_secret: "the secret's value",
  aws_cloudwatch_log_group: "the log events in the group",
  aws_prometheus_workspace: "the stored metrics",
  aws_efs_file_system: "every file on the file system",
  aws_fsx_lustre_file_system: "every file on the file system not yet exported to its linked S3 prefixes (checkpoints written since the last export)",
  aws_ebs_volume: "the volume's data",
  aws_ecr_repository: "every image in the repository",
  kubernetes_namespace_v1: "every object in the namespace, PersistentVolumeClaims included",
  kubernetes_persistent_volume_claim_v1: "the volume's data",
};

/** Whether destroying a resource of this type loses data. */
export function isStateful(type: string): boolean {
  return type in LOSES;
}

/** What destroying a resource of this type loses, for stateful types. */
export function losses(type: string): string | undefined {
  return LOSES[type];
}

/** The attribute holding a resource's physical name, per type (for readable banners). */
const PHYSICAL: Readonly<Record<string, string>> = {
  aws_s3_bucket: "bucket",
  aws_db_instance: "identifier",
  aws_rds_cluster: "cluster_identifier",
  aws_eks_cluster: "name",
  aws_dynamodb_table: "name",
  aws_iam_role: "name",
  aws_secretsmanager_secret: "name",
  aws_cloudwatch_log_group: "name",
  aws_prometheus_workspace: "alias",
  aws_s3_object: "key",
  aws_eks_node_group: "node_group_name",
  aws_security_group: "name",
  helm_release: "name",
};

/** The configured physical name, when the type has one and it is a literal. */
export function physicalName(type: string, cfg: Json): string | undefined {
  const attr = PHYSICAL[type];
  const v = attr ? cfg?.[attr] : cfg?.metadata?.name ?? cfg?.metadata?.[0]?.name;
  return typeof v === "string" && !v.includes("${") ? v : undefined;
}

const block = (x: Json) => (Array.isArray(x) ? x[0] : x) ?? {};

/** The safeguards a configuration gives a stateful resource when it is destroyed. */
export function protection(type: string, cfg: Json): Protection {
  const preventDestroy = cfg?.lifecycle?.prevent_destroy === true;
  const notes: string[] = [];
  if (preventDestroy) notes.push("lifecycle.prevent_destroy: the plan fails instead of destroying");
  switch (type) {
    case "aws_db_instance":
    case "aws_rds_cluster": {
      if (cfg?.deletion_protection === true) notes.push("deletion_protection: the delete fails at apply until it is turned off");
      if (cfg?.skip_final_snapshot === true) notes.push("skip_final_snapshot: no final snapshot, the data is gone");
      else notes.push(`final snapshot ${typeof cfg?.final_snapshot_identifier === "string" ? cfg.final_snapshot_identifier : "(final_snapshot_identifier unset: the delete fails)"}`);
      if (cfg?.delete_automated_backups !== false) notes.push("automated backups are deleted with it");
      else notes.push("automated backups are kept (delete_automated_backups = false)");
      break;
    }
    case "aws_s3_bucket":
      notes.push(cfg?.force_destroy === true ? "force_destroy: every object version is deleted with the bucket" : "force_destroy off: the delete fails while the bucket holds any object version");
      break;
    case "aws_kms_key":
      notes.push(`scheduled for deletion after ${cfg?.deletion_window_in_days ?? 30} days (cancellable until then)`);
      break;
    case "aws_eks_cluster":
      if (cfg?.deletion_protection === true) notes.push("deletion_protection: the delete fails at apply until it is turned off");
      break;
    case "aws_dynamodb_table":
      if (cfg?.deletion_protection_enabled === true) notes.push("deletion_protection_enabled: the delete fails at apply");
      break;
    case "aws_secretsmanager_secret": {
      const days = cfg?.recovery_window_in_days ?? 30;
      notes.push(days === 0 ? "recovery_window_in_days = 0: deleted at once" : `recoverable for ${days} days`);
      break;
    }
    case "aws_cloudwatch_log_group":
      if (cfg?.skip_destroy === true) notes.push("skip_destroy: the log group is kept");
      break;
    case "aws_ecr_repository":
      if (block(cfg).force_delete !== true) notes.push("force_delete off: the delete fails while it holds images");
      break;
  }
  return { preventDestroy, notes };
}
