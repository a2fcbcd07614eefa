// A reviewer's summary of what a change does to synthesized stacks: resources added/removed/changed, replacements,
// IAM grants per role, Helm chart and value changes, Karpenter NodePool limits, and the cost ceiling.
// Pure functions over two synthesized output dirs, so they are testable without git.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Attributes whose change makes Terraform destroy and recreate the resource (provider ForceNew), per type. */
export const FORCE_NEW_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_vpc: ["cidr_block"],
  aws_subnet: ["vpc_id", "cidr_block", "availability_zone"],
  aws_nat_gateway: ["subnet_id", "allocation_id"],
  aws_eks_cluster: ["name", "role_arn", "encryption_config", "vpc_config.subnet_ids", "access_config.bootstrap_cluster_creator_admin_permissions"],
  aws_eks_node_group: ["cluster_name", "node_group_name", "subnet_ids", "ami_type", "capacity_type", "instance_types", "node_role_arn"],
  aws_eks_addon: ["cluster_name", "addon_name"],
  aws_eks_access_entry: ["cluster_name", "principal_arn", "type"],
  aws_eks_pod_identity_association: ["cluster_name", "namespace", "service_account"],
  aws_iam_role: ["name", "path"],
  aws_iam_role_policy: ["name", "role"],
  aws_kms_key: ["customer_master_key_spec", "key_usage", "multi_region"],
  aws_s3_bucket: ["bucket"],
  aws_db_instance: ["identifier", "engine", "db_subnet_group_name", "kms_key_id", "username", "availability_zone"],
  aws_db_subnet_group: ["name"],
  aws_dynamodb_table: ["name"],
  aws_security_group: ["name", "vpc_id", "description"],
  aws_launch_template: [],
  aws_sqs_queue: ["name", "fifo_queue"],
  aws_cloudwatch_log_group: ["name"],
  aws_cloudwatch_event_rule: ["name"],
  aws_placement_group: ["name", "strategy"],
  aws_secretsmanager_secret: ["name"],
  helm_release: ["name", "namespace"],
};

/** Stateful types a replacement destroys data of (flagged louder). */
const STATEFUL = new Set(["aws_s3_bucket", "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_kms_key", "aws_eks_cluster"]);

export interface ResourceChange {
  readonly address: string;
  readonly paths: string[];
}

export interface Replacement {
  readonly address: string;
  readonly reason: string;
  readonly stateful: boolean;
}

export interface IamChange {
  readonly role: string;
  readonly granted: string[];
  readonly revoked: string[];
}

export interface HelmChange {
  readonly release: string;
  readonly chart?: { from: string; to: string };
  readonly values: string[];
}

export interface LimitChange {
  readonly nodePool: string;
  readonly from: Record<string, unknown> | null;
  readonly to: Record<string, unknown> | null;
}

export interface StackDiff {
  readonly stack: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly added: string[];
  readonly removed: string[];
  readonly changed: ResourceChange[];
  readonly replaced: Replacement[];
  readonly iam: IamChange[];
  readonly helm: HelmChange[];
  readonly nodePoolLimits: LimitChange[];
}

export interface CostChange {
  readonly environment: string;
  readonly fromPer30Days: number | null;
  readonly toPer30Days: number | null;
}

export interface Review {
  readonly base: string;
  readonly stacks: StackDiff[];
  readonly cost: CostChange[];
}

/** Reads every stack's cdk.tf.json of a synthesized output dir. */
export function readOutdir(outdir: string): Map<string, Json> {
  const dir = join(outdir, "stacks");
  const out = new Map<string, Json>();
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir).sort()) out.set(id, JSON.parse(readFileSync(join(dir, id, "cdk.tf.json"), "utf8")));
  return out;
}

function resourcesOf(stack: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [type, byId] of Object.entries<Json>(stack?.resource ?? {})) {
    for (const [id, cfg] of Object.entries<Json>(byId)) {
      const { ["//"]: _meta, ...rest } = cfg;
      out.set(`${type}.${id}`, rest);
    }
  }
  return out;
}

/** Leaf paths whose values differ between a and b (arrays compared as wholes below a depth of objects). */
export function changedPaths(a: Json, b: Json, prefix = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (x: Json) => x !== null && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.length <= 20) {
    return a.flatMap((x: Json, i: number) => changedPaths(x, b[i], `${prefix}[${i}]`));
  }
  return [prefix || "(root)"];
}

/** Short, single-line rendering of a value for a review comment. */
export function summarize(value: unknown, max = 60): string {
  if (value === undefined) return "(unset)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 3)}... (${text.length} chars)` : text;
}

function valueAt(obj: Json, path: string): unknown {
  let cur = obj;
  for (const part of path.split(".")) {
    if (cur === undefined || cur === null) return undefined;
    cur = Array.isArray(cur) && !/^\d+$/.test(part) ? cur[0]?.[part] : cur[part];
  }
  return cur;
}

function parsePolicy(text: unknown): Json[] {
  if (typeof text !== "string") return [];
  try {
    const doc = JSON.parse(text);
    return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  } catch {
    return [];
  }
}

const list = (x: unknown): string[] => (x === undefined ? [] : Array.isArray(x) ? x.map(String) : [String(x)]);

/** "Allow s3:GetObject on arn:..." lines granted by a role's inline policies, keyed by role. */
function grantsByRole(resources: Map<string, Json>): Map<string, Set<string>> {
  const roles = new Map<string, string>();
  for (const [address, cfg] of resources) if (address.startsWith("aws_iam_role.")) roles.set(`\${${address}.name}`, cfg.name ?? address).set(`\${${address}.id}`, cfg.name ?? address);
  const out = new Map<string, Set<string>>();
  for (const [address, cfg] of resources) {
    if (!address.startsWith("aws_iam_role_policy.") && !address.startsWith("aws_iam_role.")) continue;
    const isTrust = address.startsWith("aws_iam_role.");
    const role = isTrust ? (cfg.name ?? address) : (roles.get(cfg.role) ?? String(cfg.role));
    const set = out.get(role) ?? new Set<string>();
    out.set(role, set);
    for (const st of parsePolicy(isTrust ? cfg.assume_role_policy : cfg.policy)) {
      const who = isTrust ? ` for ${summarize(st.Principal, 80)}` : "";
      const cond = st.Condition ? ` when ${summarize(st.Condition, 120)}` : "";
      for (const action of list(st.Action)) {
        const resources = isTrust ? ["(trust)"] : list(st.Resource);
        for (const r of resources) set.add(`${st.Effect} ${action}${isTrust ? who : ` on ${r}`}${cond}`);
      }
    }
  }
  return out;
}

function helmValues(cfg: Json): Json {
  const merged: Json = {};
  for (const v of cfg?.values ?? []) {
    try {
      Object.assign(merged, parseYaml(String(v)) ?? {});
    } catch {
      merged["(unparsed)"] = v;
    }
  }
  return merged;
}

function nodePoolLimits(resources: Map<string, Json>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [address, cfg] of resources) {
    if (!address.startsWith("helm_release.")) continue;
    const manifests = helmValues(cfg).manifests;
    if (!Array.isArray(manifests)) continue;
    for (const m of manifests) if (m?.kind === "NodePool") out.set(m.metadata?.name, m.spec?.limits ?? {});
  }
  return out;
}

/** Compares one stack's two sides. */
export function diffStack(stack: string, base: Json | undefined, head: Json | undefined): StackDiff {
  const a = resourcesOf(base);
  const b = resourcesOf(head);
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed: ResourceChange[] = [];
  const replaced: Replacement[] = [];
  for (const address of [...a.keys()].filter((k) => b.has(k)).sort()) {
    const paths = changedPaths(a.get(address), b.get(address));
    if (!paths.length) continue;
    changed.push({ address, paths });
    const type = address.slice(0, address.indexOf("."));
    const forceNew = (FORCE_NEW_ATTRIBUTES[type] ?? []).filter((attr) => paths.some((p) => p === attr || p.startsWith(`${attr}.`) || p.startsWith(`${attr}[`)));
    if (forceNew.length) {
      replaced.push({
        address,
        stateful: STATEFUL.has(type),
        reason: forceNew.map((attr) => `${attr}: ${summarize(valueAt(a.get(address), attr))} -> ${summarize(valueAt(b.get(address), attr))}`).join("; "),
      });
    }
  }
  // A removed and an added resource of the same type with the same configuration is a renamed construct: a new address.
  for (const r of removed) {
    const type = r.slice(0, r.indexOf("."));
    const twin = added.find((x) => x.startsWith(`${type}.`) && JSON.stringify(a.get(r)) === JSON.stringify(b.get(x)));
    if (twin) {
      replaced.push({ address: r, stateful: STATEFUL.has(type), reason: `address changed to ${twin}: destroyed and recreated unless a move is added (moveTo / addMoveTarget)` });
    }
  }

  const ga = grantsByRole(a);
  const gb = grantsByRole(b);
  const iam: IamChange[] = [];
  for (const role of [...new Set([...ga.keys(), ...gb.keys()])].sort()) {
    const before = ga.get(role) ?? new Set<string>();
    const after = gb.get(role) ?? new Set<string>();
    const granted = [...after].filter((g) => !before.has(g)).sort();
    const revoked = [...before].filter((g) => !after.has(g)).sort();
    if (granted.length || revoked.length) iam.push({ role, granted, revoked });
  }

  const helm: HelmChange[] = [];
  const releases = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k.startsWith("helm_release.")).sort();
  for (const address of releases) {
    const ra = a.get(address);
    const rb = b.get(address);
    const chartOf = (r: Json) => (r ? `${r.chart}${r.version ? ` ${r.version}` : ""}` : "(none)");
    const chart = chartOf(ra) !== chartOf(rb) && !(ra?.chart?.startsWith("assets/") && rb?.chart?.startsWith("assets/")) ? { from: chartOf(ra), to: chartOf(rb) } : undefined;
    const values = changedPaths(helmValues(ra), helmValues(rb)).map((p) => `${p}: ${summarize(valueAt(helmValues(ra), p))} -> ${summarize(valueAt(helmValues(rb), p))}`);
    if (chart || values.length) helm.push({ release: (rb ?? ra).name ?? address, chart, values });
  }

  const la = nodePoolLimits(a);
  const lb = nodePoolLimits(b);
  const nodePoolLimitChanges: LimitChange[] = [...new Set([...la.keys(), ...lb.keys()])]
    .sort()
    .filter((n) => JSON.stringify(la.get(n)) !== JSON.stringify(lb.get(n)))
    .map((n) => ({ nodePool: n, from: la.get(n) ?? null, to: lb.get(n) ?? null }));

  const status = !base ? "added" : !head ? "removed" : added.length || removed.length || changed.length ? "changed" : "unchanged";
  return { stack, status, added, removed, changed, replaced, iam, helm, nodePoolLimits: nodePoolLimitChanges };
}

/** Compares every stack of two synthesized output dirs. */
export function diffOutdirs(baseOutdir: string, headOutdir: string): StackDiff[] {
  const a = readOutdir(baseOutdir);
  const b = readOutdir(headOutdir);
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((s) => diffStack(s, a.get(s), b.get(s)));
}

function usd(n: number | null): string {
  return n === null ? "n/a" : `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The review as Markdown for a PR comment. */
export function reviewMarkdown(review: Review): string {
  const out: string[] = [`## Infrastructure review against \`${review.base}\``, ""];
  const replacedAll = review.stacks.flatMap((s) => s.replaced.map((r) => ({ ...r, stack: s.stack })));
  if (replacedAll.length) {
    out.push(`> [!WARNING]`, `> **${replacedAll.length} resource(s) would be REPLACED (destroyed and recreated):**`);
    for (const r of replacedAll) out.push(`> - ${r.stateful ? "**DATA LOSS RISK** " : ""}\`${r.stack}\` \`${r.address}\`: ${r.reason}`);
    out.push("");
  }
  const costChanged = review.cost.filter((c) => c.fromPer30Days !== c.toPer30Days);
  if (costChanged.length) {
    out.push("### Cost ceiling (worst case, On-Demand, per 30 days)", "", "| environment | before | after | change |", "|---|---:|---:|---:|");
    for (const c of costChanged) {
      const delta = c.fromPer30Days !== null && c.toPer30Days !== null ? `${c.toPer30Days >= c.fromPer30Days ? "+" : ""}${usd(c.toPer30Days - c.fromPer30Days)}` : "n/a";
      out.push(`| ${c.environment} | ${usd(c.fromPer30Days)} | ${usd(c.toPer30Days)} | ${delta} |`);
    }
    out.push("");
  }
  const touched = review.stacks.filter((s) => s.status !== "unchanged");
  if (!touched.length) out.push("No stack changes.", "");
  for (const s of touched) {
    out.push(`### \`${s.stack}\` (${s.status}): +${s.added.length} ~${s.changed.length} -${s.removed.length}`, "");
    if (s.added.length) out.push(`<details><summary>added (${s.added.length})</summary>`, "", ...s.added.map((a) => `- \`${a}\``), "", "</details>", "");
    if (s.removed.length) out.push(`<details><summary>removed (${s.removed.length})</summary>`, "", ...s.removed.map((a) => `- \`${a}\``), "", "</details>", "");
    for (const c of s.changed) out.push(`- changed \`${c.address}\`: ${c.paths.slice(0, 8).map((p) => `\`${p}\``).join(", ")}${c.paths.length > 8 ? ` and ${c.paths.length - 8} more` : ""}`);
    if (s.changed.length) out.push("");
    for (const i of s.iam) {
      out.push(`- IAM role \`${i.role}\`:`);
      for (const g of i.granted) out.push(`  - granted: ${g}`);
      for (const r of i.revoked) out.push(`  - revoked: ${r}`);
    }
    for (const h of s.helm) {
      out.push(`- Helm release \`${h.release}\`${h.chart ? `: chart ${h.chart.from} -> ${h.chart.to}` : ""}`);
      for (const v of h.values.slice(0, 12)) out.push(`  - ${v}`);
      if (h.values.length > 12) out.push(`  - and ${h.values.length - 12} more value changes`);
    }
    for (const l of s.nodePoolLimits) out.push(`- NodePool \`${l.nodePool}\` limits: ${summarize(l.from, 120)} -> ${summarize(l.to, 120)}`);
    out.push("");
  }
  return out.join("\n");
}
