// Security posture changes a reviewer must see: endpoints and load balancers that become public, security group
// ingress (open to the internet or not), S3 access opened, and encryption turned off.
import type { Banner } from "./types";
import { render, type RefRenderer } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const block = (x: Json) => (Array.isArray(x) ? x[0] : x) ?? {};
const list = (x: unknown): string[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x.map(String) : [String(x)]);
const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** A rule's port range and protocol, as a reviewer reads it. */
function ports(r: Json): string {
  const proto = String(r.ip_protocol ?? r.protocol ?? "");
  if (proto === "-1" || proto === "all") return "all traffic";
  return r.from_port === r.to_port ? `${proto} ${r.from_port}` : `${proto} ${r.from_port}-${r.to_port}`;
}

/** Exposures of one resource's configuration: [description, open to the world?]. */
function exposures(type: string, cfg: Json, refs: RefRenderer): [string, boolean][] {
  if (!cfg) return [];
  switch (type) {
    case "aws_eks_cluster": {
      const v = block(cfg.vpc_config);
      if (v.endpoint_public_access !== true) return [];
      const cidrs = list(v.public_access_cidrs);
      return [[`EKS API endpoint is public, reachable from ${cidrs.length ? cidrs.join(", ") : "0.0.0.0/0 (the default when public_access_cidrs is unset)"}`, !cidrs.length || cidrs.some((c) => WORLD.has(c))]];
    }
    case "aws_db_instance":
      return cfg.publicly_accessible === true ? [["RDS instance is publicly accessible", true]] : [];
    case "aws_lb":
    case "aws_alb":
      return cfg.internal === false ? [["load balancer is internet-facing", true]] : [];
    case "aws_vpc_security_group_ingress_rule": {
      const source = cfg.cidr_ipv4 ?? cfg.cidr_ipv6 ?? cfg.prefix_list_id ?? cfg.referenced_security_group_id;
      const open = WORLD.has(cfg.cidr_ipv4) || WORLD.has(cfg.cidr_ipv6);
      return [[`ingress ${ports(cfg)} from ${render(source, refs)} into ${render(cfg.security_group_id, refs)}`, open]];
    }
    case "aws_security_group_rule":
      if (cfg.type !== "ingress") return [];
      return [[`ingress ${ports(cfg)} from ${[...list(cfg.cidr_blocks), ...list(cfg.ipv6_cidr_blocks), cfg.source_security_group_id].filter(Boolean).map((s) => render(s, refs)).join(", ") || "itself"} into ${render(cfg.security_group_id, refs)}`, [...list(cfg.cidr_blocks), ...list(cfg.ipv6_cidr_blocks)].some((c) => WORLD.has(c))]];
    case "aws_security_group":
    case "aws_default_security_group":
      return (Array.isArray(cfg.ingress) ? cfg.ingress : []).map((r: Json) => {
        const cidrs = [...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks)];
        return [`ingress ${ports(r)} from ${[...cidrs, ...list(r.security_groups)].map((s) => render(s, refs)).join(", ") || "itself"} into ${cfg.name ?? "the security group"}`, cidrs.some((c) => WORLD.has(c))] as [string, boolean];
      });
    case "aws_s3_bucket_public_access_block": {
      const off = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].filter((k) => cfg[k] !== true);
      return off.length ? [[`S3 public access block of ${render(cfg.bucket, refs)} leaves off ${off.join(", ")}`, true]] : [];
    }
    case "aws_s3_bucket_policy": {
      let doc: Json;
      try {
        doc = JSON.parse(cfg.policy);
      } catch {
        return [];
      }
      const sts = Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement].filter(Boolean);
      return sts
        .filter((s: Json) => s.Effect === "Allow" && !s.Condition && (s.Principal === "*" || list(s.Principal?.AWS).includes("*")))
        .map((s: Json) => [`bucket policy of ${render(cfg.bucket, refs)} allows anyone ${list(s.Action).join(", ")}`, true] as [string, boolean]);
    }
    case "kubernetes_storage_class_v1":
      return cfg.parameters?.encrypted === "false" ? [[`StorageClass ${cfg.metadata?.name} provisions unencrypted volumes`, false]] : [];
    default:
      return [];
  }
}

/** Leaf attributes that turn encryption on when true. */
const ENCRYPTION_FLAG = /(^|\.|_)(encrypted|storage_encrypted|encryption_enabled|sqs_managed_sse_enabled|enable_encryption)$/;
/** Leaf attributes naming the key data is encrypted with. */
const KEY_ATTR = /(^|\.)(kms_key_id|kms_master_key_id|kms_key_arn|kms_key|master_user_secret_kms_key_id)$/;

function leaves(x: Json, prefix = "", out = new Map<string, Json>()): Map<string, Json> {
  if (x && typeof x === "object") for (const [k, v] of Object.entries(x)) leaves(v, Array.isArray(x) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, x);
  return out;
}

/** Encryption a change turns off or weakens on one resource. */
function encryptionOff(type: string, a: Json, b: Json): string[] {
  const out: string[] = [];
  const la = leaves(a);
  const lb = leaves(b);
  for (const [path, before] of la) {
    const after = lb.get(path);
    const p = path.replace(/\[\d+\]/g, "");
    if (ENCRYPTION_FLAG.test(p) && (before === true || before === "true") && after !== true && after !== "true") out.push(`${p} ${before} → ${after ?? "(unset)"}`);
    if (KEY_ATTR.test(p) && typeof before === "string" && after === undefined) out.push(`${p} removed (falls back to the AWS-managed key or none)`);
  }
  if (type === "aws_eks_cluster" && a?.encryption_config && !b?.encryption_config) out.push("encryption_config removed: Kubernetes Secrets no longer envelope-encrypted (and the provider replaces the cluster)");
  const algo = (x: Json) => block(block(x?.rule)?.apply_server_side_encryption_by_default)?.sse_algorithm;
  if (type === "aws_s3_bucket_server_side_encryption_configuration" && algo(a) === "aws:kms" && algo(b) && algo(b) !== "aws:kms") out.push(`sse_algorithm aws:kms → ${algo(b)} (no customer-managed key)`);
  return out;
}

/** Security posture banners for one stack. `moves` maps base addresses to their head address. */
export function securityBanners(stack: string, environment: string, a: Map<string, Json>, b: Map<string, Json>, moves: ReadonlyMap<string, string>, refs: RefRenderer): Banner[] {
  const out: Banner[] = [];
  const back = new Map([...moves].map(([from, to]) => [to, from]));
  for (const [address, cfg] of b) {
    const type = address.slice(0, address.indexOf("."));
    const before = a.get(address) ?? a.get(back.get(address) ?? "");
    const was = new Set(exposures(type, before, refs).map(([d]) => d));
    for (const [description, world] of exposures(type, cfg, refs)) {
      if (was.has(description)) continue;
      out.push({ kind: "security", severity: world ? "critical" : "warning", environment, stack, subject: address, message: `${world ? "open to the internet: " : ""}${description}` });
    }
    if (before) for (const off of encryptionOff(type, before, cfg)) out.push({ kind: "security", severity: "critical", environment, stack, subject: address, message: `encryption off on \`${address}\`: ${off}` });
  }
  for (const [address, cfg] of a) {
    if (b.has(address) || moves.has(address)) continue;
    const type = address.slice(0, address.indexOf("."));
    if (type !== "aws_s3_bucket_public_access_block" && type !== "aws_s3_bucket_server_side_encryption_configuration") continue;
    const bucket = /^\$\{(aws_s3_bucket\.[^.]+)\./.exec(String(cfg.bucket))?.[1];
    if (bucket && b.has(bucket)) {
      out.push({ kind: "security", severity: "critical", environment, stack, subject: address, message: `${type === "aws_s3_bucket_public_access_block" ? "public access block" : "default encryption configuration"} removed from ${render(cfg.bucket, refs)}, which stays` });
    }
  }
  // Load balancers that in-repo objects or chart values make internet-facing.
  const scheme = (x: Json) => JSON.stringify(x ?? {}).includes('"alb.ingress.kubernetes.io/scheme":"internet-facing"');
  for (const [address, cfg] of b) {
    if (!address.startsWith("helm_release.")) continue;
    const texts = (r: Json) => (r?.values ?? []).join("\n");
    if (/alb\.ingress\.kubernetes\.io\/scheme:\s*["']?internet-facing/.test(texts(cfg)) && !/alb\.ingress\.kubernetes\.io\/scheme:\s*["']?internet-facing/.test(texts(a.get(address))) && !scheme(a.get(address))) {
      out.push({ kind: "security", severity: "critical", environment, stack, subject: address, message: `open to the internet: release \`${cfg.name}\` makes an ALB internet-facing (alb.ingress.kubernetes.io/scheme)` });
    }
  }
  return out;
}
