/**
 * The team access audit: over every stack of one environment, team members hold only namespace-scoped rights in their
 * own teams' namespaces. Their EKS access entries map them to their teams' groups only; every access policy
 * association of theirs is AmazonEKSEditPolicy scoped to exactly their teams' namespaces; no principal outside the
 * environment's admins and CI roles has a cluster-scoped association; team groups appear in no ClusterRoleBinding and
 * only in RoleBindings of their own namespace, to a Role there without wildcards, RBAC objects or escalation verbs.
 */
import { TEAM_ACCESS_POLICY } from "../../constructs/tenancy/team-access";
import { teamGroup } from "../../constructs/tenancy/names";
import type { Environment } from "../../environments/lib/schema";
import { renderedManifests } from "./manifests";
import type { SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const TEAM_GROUP_PREFIX = teamGroup("");

interface Entry {
  readonly stack: string;
  readonly address: string;
  readonly principal: string;
  readonly groups: readonly string[];
}

/** Every access entry and association of the stacks, associations resolved to their entry's principal. */
function accessOf(stacks: readonly SynthesizedStack[]) {
  const entries: Entry[] = [];
  const associations: Array<{ stack: string; address: string; principal: string; policy: string; scope: Any }> = [];
  for (const s of stacks) {
    for (const [id, cfg] of Object.entries(s.json.resource?.aws_eks_access_entry ?? {}) as Array<[string, Any]>) {
      entries.push({ stack: s.id, address: `aws_eks_access_entry.${id}`, principal: String(cfg.principal_arn), groups: cfg.kubernetes_groups ?? [] });
    }
    for (const [id, cfg] of Object.entries(s.json.resource?.aws_eks_access_policy_association ?? {}) as Array<[string, Any]>) {
      const ref = /^\$\{(aws_eks_access_entry\.[^.]+)\.principal_arn\}$/.exec(String(cfg.principal_arn));
      const principal = ref ? (entries.find((e) => e.stack === s.id && e.address === ref[1])?.principal ?? String(cfg.principal_arn)) : String(cfg.principal_arn);
      associations.push({ stack: s.id, address: `aws_eks_access_policy_association.${id}`, principal, policy: String(cfg.policy_arn), scope: Array.isArray(cfg.access_scope) ? cfg.access_scope[0] : cfg.access_scope });
    }
  }
  return { entries, associations };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Findings of the audit for one environment's stacks (empty when every rule holds). */
export function auditTeamAccess(env: Environment, stacks: readonly SynthesizedStack[]): string[] {
  const out: string[] = [];
  const teamsOf = new Map<string, string[]>();
  for (const t of env.teams.tenants) for (const m of t.members) teamsOf.set(m, [...(teamsOf.get(m) ?? []), t.name]);
  const { entries, associations } = accessOf(stacks);
  const admins = new Set(env.cluster.adminRoleArns);
  const ci = /ci_(apply|plan)_role|:role\/mlp-[a-z0-9-]+-ci-(apply|plan)$/;

  for (const [member, teams] of teamsOf) {
    const mine = entries.filter((e) => e.principal === member);
    if (mine.length !== 1) out.push(`${member}: ${mine.length} access entries (expected one)`);
    for (const e of mine) if (!sameSet(e.groups, teams.map(teamGroup))) out.push(`${e.stack} ${e.address}: groups ${JSON.stringify(e.groups)} are not exactly its teams' (${teams.map(teamGroup).join(", ")})`);
    const assoc = associations.filter((a) => a.principal === member);
    if (!assoc.length) out.push(`${member}: no access policy association`);
    for (const a of assoc) {
      if (a.policy !== TEAM_ACCESS_POLICY) out.push(`${a.stack} ${a.address}: ${member} gets ${a.policy}, not ${TEAM_ACCESS_POLICY}`);
      if (a.scope?.type !== "namespace") out.push(`${a.stack} ${a.address}: ${member} has a cluster-wide association`);
      else if (!sameSet(a.scope.namespaces ?? [], teams)) out.push(`${a.stack} ${a.address}: ${member} reaches namespaces ${JSON.stringify(a.scope.namespaces)}, not exactly its teams' (${teams.join(", ")})`);
    }
  }
  for (const a of associations) {
    if (a.scope?.type === "cluster" && !admins.has(a.principal) && !ci.test(a.principal)) out.push(`${a.stack} ${a.address}: ${a.principal} has a cluster-wide association and is no admin or CI role`);
  }
  for (const e of entries) {
    const stray = e.groups.filter((g) => g.startsWith(TEAM_GROUP_PREFIX) && !(teamsOf.get(e.principal) ?? []).map(teamGroup).includes(g));
    if (stray.length) out.push(`${e.stack} ${e.address}: ${e.principal} is mapped to ${stray.join(", ")} without being a member`);
  }

  const objects = stacks.flatMap((s) => renderedManifests(s).map((m) => ({ stack: s.id, address: m.address, obj: m.manifest as Any })));
  const teamSubjects = (o: Any) => ((o.subjects ?? []) as Any[]).filter((s) => s.kind === "Group" && String(s.name).startsWith(TEAM_GROUP_PREFIX)).map((s) => String(s.name));
  for (const { stack, address, obj } of objects) {
    const groups = teamSubjects(obj);
    if (!groups.length) continue;
    const where = `${stack} ${address} ${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    if (obj.kind === "ClusterRoleBinding") {
      out.push(`${where}: binds ${groups.join(", ")} cluster-wide`);
      continue;
    }
    if (obj.kind !== "RoleBinding") continue;
    for (const g of groups) if (g !== teamGroup(obj.metadata.namespace)) out.push(`${where}: binds ${g} in another team's namespace`);
    if (obj.roleRef.kind !== "Role") {
      out.push(`${where}: binds ${obj.roleRef.kind} ${obj.roleRef.name} (team groups get namespaced Roles only)`);
      continue;
    }
    const role = objects.find((x) => x.obj.kind === "Role" && x.obj.metadata.name === obj.roleRef.name && x.obj.metadata.namespace === obj.metadata.namespace)?.obj;
    if (!role) {
      out.push(`${where}: its Role ${obj.roleRef.name} is not rendered in ${obj.metadata.namespace}`);
      continue;
    }
    for (const r of role.rules as Any[]) {
      const bad = [...r.verbs.filter((v: string) => ["*", "escalate", "bind", "impersonate"].includes(v)), ...r.resources.filter((x: string) => x === "*"), ...r.apiGroups.filter((g: string) => g === "*" || g === "rbac.authorization.k8s.io")];
      if (bad.length) out.push(`${where}: Role ${role.metadata.name} grants ${bad.join(", ")}`);
    }
  }
  return out;
}
