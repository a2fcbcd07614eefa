import { denyingAdmissionPolicy } from "../kubernetes/admission-policy";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/** Name of the ValidatingAdmissionPolicy (and its binding) that guards the platform's SecretStore roles. */
export const SECRET_STORE_ROLES_POLICY = "ml-platform-secret-store-roles";

/** Escapes a literal for an RE2 pattern inside a single-quoted CEL string. */
const re2 = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");

/**
 * The CEL rule: a SecretStore or ClusterSecretStore may name a platform store role (`<roleArnPrefix><namespace>`, in
 * any letter case, since IAM role names are case-insensitive, or with an IAM path) only if it is the SecretStore of
 * that very namespace. Anyone allowed to create SecretStores
 * in their namespace (ESO's chart aggregates that right into the `edit` role) could otherwise point a store at another
 * namespace's role and copy the session tags its trust policy checks.
 */
export function secretStoreRoleRule(roleArnPrefix: string): string {
  const [, account, name] = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArnPrefix) ?? [];
  if (!account || !name || name !== name.toLowerCase()) throw new Error(`secret store role prefix must be a lowercase IAM role ARN prefix, got ${roleArnPrefix}`);
  const role = "object.spec.provider.aws.role";
  return [
    "!has(object.spec.provider) || !has(object.spec.provider.aws) || !has(object.spec.provider.aws.role)",
    // lowerAscii instead of RE2's (?i): the same meaning, and a pattern JavaScript's CEL evaluators accept too.
    `!${role}.lowerAscii().matches('^arn:[^:]+:iam::${account}:role/(.*/)?${re2(name)}')`,
    `(request.kind.kind == 'SecretStore' && ${role} == '${roleArnPrefix}' + request.namespace)`,
  ].join(" || ");
}

/** The ValidatingAdmissionPolicy (Kubernetes >= 1.30) and its Deny binding, applied to every namespace. */
export function secretStoreRolesPolicy(roleArnPrefix: string): KubernetesObject[] {
  return denyingAdmissionPolicy({
    name: SECRET_STORE_ROLES_POLICY,
    matchConstraints: {
      resourceRules: [{ apiGroups: ["external-secrets.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["secretstores", "clustersecretstores"] }],
    },
    expression: secretStoreRoleRule(roleArnPrefix),
    message: `roles ${roleArnPrefix}<namespace> read one namespace's secrets: only the SecretStore of that namespace may name one`,
  });
}
