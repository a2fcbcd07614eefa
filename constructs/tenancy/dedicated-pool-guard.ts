import { TEAM_KEY } from "../karpenter/pool-labels";
import { denyingAdmissionPolicy } from "../kubernetes/admission-policy";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { MANAGED_NAMESPACE_LABEL } from "./names";

/** Name of the ValidatingAdmissionPolicy and its binding. */
export const DEDICATED_POOL_GUARD = "ml-platform-team-pool-tolerations";

/**
 * The CEL rule: every toleration of the pod either has another effect than NoSchedule, or names another taint key, or
 * tolerates the team taint for the pod's own namespace by value. An empty key with `Exists` tolerates every taint, and
 * `Exists` on the team key every team's, so both are refused. An omitted operator means `Equal`.
 */
export const DEDICATED_POOL_RULE = [
  "!has(object.spec.tolerations) || object.spec.tolerations.all(t,",
  "(has(t.effect) && t.effect != '' && t.effect != 'NoSchedule') ||",
  `(has(t.key) && t.key != '' && t.key != '${TEAM_KEY}') ||`,
  `(has(t.key) && t.key == '${TEAM_KEY}' && (!has(t.operator) || t.operator == 'Equal') && has(t.value) && t.value == request.namespace))`,
].join(" ");

/**
 * A ValidatingAdmissionPolicy (binding in `Deny` mode, failure policy `Fail`) on pods created or updated in the
 * namespaces Kueue manages (the team namespaces and `kubeflow`): a pod may tolerate the team-dedicated pools' taint
 * `ml-platform.io/team` only for its own namespace's team. Kueue keeps other teams' GPU jobs off a dedicated pool (no
 * other queue lists its flavor), but a member may write a pod's tolerations and node selector by hand, and a pod that
 * asks for no GPU is admitted without a flavor; without this rule it could run on nodes another team pays for.
 */
export function dedicatedPoolGuard(): KubernetesObject[] {
  return denyingAdmissionPolicy({
    name: DEDICATED_POOL_GUARD,
    matchConstraints: {
      namespaceSelector: { matchLabels: { [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value } },
      resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
    },
    expression: DEDICATED_POOL_RULE,
    message: `a pod may tolerate the ${TEAM_KEY} taint only for its own namespace's team, by value (docs/tenancy.md "Dedicated GPU pools")`,
  });
}
