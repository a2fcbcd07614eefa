import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { teamGroup } from "./names";

/**
 * EKS's access policy team members get, scoped to their teams' namespaces: create, change and delete the built-in
 * namespaced resources (pods, Jobs, Deployments, Services, ConfigMaps, Secrets, ...), no RBAC and nothing
 * cluster-scoped. The custom resources they use come from each namespace's Role `team-member`, bound to the groups.
 */
export const TEAM_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

export interface TeamAccessProps {
  readonly clusterName: string;
  /** Each team's name and member role ARNs. */
  readonly teams: ReadonlyArray<{ readonly name: string; readonly members: readonly string[] }>;
}

/** A stable construct id for a principal: its role name and a short hash of the whole ARN (paths, accounts). */
function principalKey(arn: string): string {
  return `${arn.slice(arn.lastIndexOf("/") + 1)}-${createHash("sha256").update(arn).digest("hex").slice(0, 8)}`;
}

/**
 * Access entries of the teams' members: one per principal (EKS allows one), mapped to the Kubernetes group of each of
 * its teams (`kubernetes_groups`, which the teams' RoleBindings name), with AmazonEKSEditPolicy scoped to exactly those
 * teams' namespaces. A person in two teams gets one entry with both groups and both namespaces.
 */
export class TeamAccess extends Construct {
  /** The entries by principal ARN. */
  readonly entries = new Map<string, EksAccessEntry>();

  constructor(scope: Construct, id: string, props: TeamAccessProps) {
    super(scope, id);
    const teamsOf = new Map<string, string[]>();
    for (const t of props.teams) for (const m of t.members) teamsOf.set(m, [...(teamsOf.get(m) ?? []), t.name]);
    for (const [arn, teams] of [...teamsOf].sort(([a], [b]) => a.localeCompare(b))) {
      const key = principalKey(arn);
      const names = [...teams].sort();
      const entry = new EksAccessEntry(this, key, { clusterName: props.clusterName, principalArn: arn, type: "STANDARD", kubernetesGroups: names.map(teamGroup) });
      new EksAccessPolicyAssociation(this, `${key}-policy`, {
        clusterName: props.clusterName,
        principalArn: entry.principalArn,
        policyArn: TEAM_ACCESS_POLICY,
        accessScope: { type: "namespace", namespaces: names },
      });
      this.entries.set(arn, entry);
    }
  }
}
