import type { KubernetesObject } from "./manifests-release";

/** What one platform admission rule checks: which requests, and the CEL expression they must satisfy. */
export interface DenyingPolicyProps {
  /** Name of the ValidatingAdmissionPolicy and of its binding. */
  readonly name: string;
  /** The policy's `matchConstraints`: resource rules, and a namespace selector where the rule is scoped. */
  readonly matchConstraints: Record<string, unknown>;
  /** CEL; a request for which it is false is refused. */
  readonly expression: string;
  /** What the refused user reads. */
  readonly message: string;
}

/**
 * A ValidatingAdmissionPolicy (Kubernetes >= 1.30) with one validation, `failurePolicy: Fail` and reason Forbidden,
 * and its binding in `Deny` mode: the form of every admission rule the platform applies (its in-repo chart renders
 * them, so a plan works before the cluster exists).
 */
export function denyingAdmissionPolicy(p: DenyingPolicyProps): KubernetesObject[] {
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: p.name },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: p.matchConstraints,
        validations: [{ expression: p.expression, message: p.message, reason: "Forbidden" }],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: p.name },
      spec: { policyName: p.name, validationActions: ["Deny"] },
    },
  ];
}
