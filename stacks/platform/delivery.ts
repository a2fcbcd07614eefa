import { Construct } from "constructs";
import { ArgoRollouts } from "../../constructs/delivery/argo-rollouts";
import type { Observability } from "../../constructs/observability/observability";
import type { Environment } from "../../environments/lib/schema";
import type { FoundationStack } from "../foundation-stack";
import { namePrefix } from "../naming";

/**
 * The platform's part of safe model delivery (docs/delivery.md): the Argo Rollouts controller on the system nodes,
 * before the ML stack's Rollouts. With the load balancer (`ml.ingress.enabled`) it verifies target-group weights
 * through its own Pod Identity role; dev, without one, splits traffic by replicas and needs no AWS access.
 */
export function platformDelivery(scope: Construct, env: Environment, foundation: FoundationStack, observability: Observability): ArgoRollouts {
  return new ArgoRollouts(scope, "argo-rollouts", {
    cluster: foundation.cluster,
    region: env.account.region,
    verifyTargetGroups: env.ml.ingress.enabled,
    roleName: `${namePrefix(env)}-argo-rollouts`,
    monitoringReady: [observability.stack.chart.release],
  });
}
