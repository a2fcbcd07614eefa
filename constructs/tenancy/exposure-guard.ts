import { denyingAdmissionPolicy } from "../kubernetes/admission-policy";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/** Name of the ValidatingAdmissionPolicy (and its binding) that keeps team members from exposing services outside the VPC. */
export const EXPOSURE_GUARD = "ml-platform-team-exposure";

/** Service types that open a port outside the cluster: the load balancer controller provisions an NLB, or every node listens. */
export const EXPOSING_SERVICE_TYPES = ["LoadBalancer", "NodePort"] as const;

/**
 * The admission rule (constructs/kubernetes/admission-policy.ts) refusing, for a member of a team group (`<groupPrefix><team>`),
 * the creation or update of an Ingress (the AWS Load Balancer Controller turns one into an ALB, internet-facing if its
 * annotations say so) or of a Service of type LoadBalancer or NodePort (an NLB, or a port on every node).
 * AmazonEKSEditPolicy grants both in the team's namespace and RBAC cannot take them away. The platform's own entry
 * points (the ML stack's ingress) are created with its own identity, in no team group; ClusterIP and headless
 * Services (what Ray, Kubeflow Trainer and JobSet make) stay allowed.
 */
export function teamExposureGuard(groupPrefix: string): KubernetesObject[] {
  const member = `has(request.userInfo.groups) && request.userInfo.groups.exists(g, g.startsWith('${groupPrefix}'))`;
  const types = EXPOSING_SERVICE_TYPES.map((t) => `'${t}'`).join(", ");
  return denyingAdmissionPolicy({
    name: EXPOSURE_GUARD,
    matchConstraints: {
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] },
        { apiGroups: ["networking.k8s.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["ingresses"] },
      ],
    },
    expression: `!(${member}) || (request.kind.kind == 'Service' && !(has(object.spec.type) && object.spec.type in [${types}]))`,
    message: `team members may not expose workloads outside the cluster (Ingress, Service of type ${EXPOSING_SERVICE_TYPES.join(" or ")}): ask the platform team (docs/tenancy.md)`,
  });
}
