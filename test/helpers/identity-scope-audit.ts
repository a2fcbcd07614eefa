import { blocks, finding, resourcesOf } from "./audit-context";
import { collectPolicies, type Statement } from "./iam-audit";
import type { SecurityTarget } from "./security-audit";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Config = Record<string, any>;

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String));

/** Security-group changes that open or remove access: they must name the groups by tag, never every group. */
const SG_MUTATIONS = /^ec2:(Authorize|Revoke)SecurityGroup(Ingress|Egress)$|^ec2:DeleteSecurityGroup$|^ec2:ModifySecurityGroupRules$|^ec2:\*$/i;

/**
 * Security-group mutations (authorize/revoke ingress or egress, delete, modify rules) in identity policies are
 * allowed on security groups only under a tag condition (`aws:ResourceTag/...` or `ec2:ResourceTag/...`), so a
 * controller can touch only the groups it owns; statements on security-group-rule ARNs alone grant nothing by
 * themselves (the group is authorized with them).
 */
export function auditSecurityGroupScope(t: SecurityTarget): string[] {
  const out: string[] = [];
  for (const p of collectPolicies(t.json)) {
    if (p.kind !== "identity" || !p.text?.startsWith("{")) continue;
    const statements: Statement[] = [JSON.parse(p.text).Statement].flat();
    statements.forEach((st, i) => {
      if (st.Effect !== "Allow") return;
      const actions = list(st.Action).filter((a) => SG_MUTATIONS.test(a));
      const onGroups = list(st.Resource).some((r) => r === "*" || r.includes(":security-group/"));
      if (!actions.length || !onGroups) return;
      const tagged = Object.values(st.Condition ?? {}).some((block) => Object.keys(block ?? {}).some((k) => /^(aws|ec2):ResourceTag\//i.test(k)));
      if (!tagged) out.push(finding(t.id, `${p.address} Statement[${i}]${st.Sid ? ` (${st.Sid})` : ""}`, "owned-security-groups", `${actions.join(", ")} on security groups without a resource-tag condition: any group in the account`));
    });
  }
  return out;
}

/**
 * The VPC CNI's permissions live on its own Pod Identity role: AmazonEKS_CNI_Policy is attached to no role that EC2
 * can assume (a node role, which every host-network pod could use), and the vpc-cni add-on associates aws-node.
 */
export function auditCniRole(t: SecurityTarget): string[] {
  const out: string[] = [];
  const roles = t.json.resource?.aws_iam_role ?? {};
  for (const [type, name, cfg] of resourcesOf(t.json)) {
    if (type === "aws_iam_role_policy_attachment" && String(cfg.policy_arn).endsWith(":policy/AmazonEKS_CNI_Policy")) {
      const roleId = /^\$\{aws_iam_role\.([^.]+)\.(name|id)\}$/.exec(String(cfg.role))?.[1];
      const trust = roleId ? String((roles[roleId] as Config | undefined)?.assume_role_policy ?? "") : "";
      if (trust.includes("ec2.amazonaws.com") || !trust.includes('"aws:RequestTag/kubernetes-service-account":"aws-node"')) {
        out.push(finding(t.id, `${type}.${name}`, "cni-role", "AmazonEKS_CNI_Policy belongs on the Pod Identity role of kube-system/aws-node only, not on a node role"));
      }
    }
    if (type === "aws_eks_addon" && cfg.addon_name === "vpc-cni" && !blocks<Config>(cfg.pod_identity_association).some((a) => a.service_account === "aws-node")) {
      out.push(finding(t.id, `${type}.${name}`, "cni-role", "vpc-cni has no pod_identity_association for aws-node: it would use the node role"));
    }
  }
  return out;
}
