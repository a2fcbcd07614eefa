/**
 * The restricted Pod Security Standard as this platform applies it to the workloads it authors: non-root with a fixed
 * UID/GID, the runtime's default seccomp profile, no privilege escalation and no capabilities. Workloads that cannot
 * run this way are upstream charts and EKS add-ons, listed with their reasons in test/helpers/security-exceptions.ts.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */

/** UID and GID the platform's own workloads run as (no image they use needs a named user). */
export const WORKLOAD_UID = 1000;

/** Pod-level part: non-root, fixed IDs, volumes writable by the group, RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(uid = WORKLOAD_UID): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container-level part: no privilege escalation, every capability dropped. */
export function restrictedContainerSecurityContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, ...extra };
}
