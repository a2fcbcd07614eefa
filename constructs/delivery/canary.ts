/**
 * How a model's canary runs, as numbers: the Argo Rollouts steps rendered from the environment's weights, and the most
 * pods the Rollout holds at once, which is what the GPU pool must have room for. The replica arithmetic is Argo
 * Rollouts v1.9.0's (utils/replicaset/canary.go): with traffic routing and `dynamicStableScale`, the canary gets
 * ceil(weight × replicas / 100) pods and the stable keeps ceil((100 − weight) × replicas / 100) of the weight it still
 * receives, so between two steps both are up until the load balancer has moved the traffic; without traffic routing
 * the basic canary stays within `maxSurge` (1) over the replicas.
 */

/** One canary step: the share of traffic the new version gets, then how long to hold it while the analysis runs. */
export interface CanaryStep {
  readonly weight: number;
  readonly pauseMinutes: number;
}

/** A/B experiment before the canary: both versions side by side, each arm with `weight` percent of the traffic. */
export interface ExperimentSettings {
  readonly weight: number;
  readonly durationMinutes: number;
}

/** Pods per experiment arm (baseline and candidate). */
export const EXPERIMENT_ARM_REPLICAS = 1;

/** Argo's `trafficWeightToReplicas`: rounds up. */
export function weightToReplicas(replicas: number, weight: number): number {
  return Math.ceil((weight * replicas) / 100);
}

/**
 * The most pods (stable, canary and experiment arms together) one model's Rollout runs at `replicas` (the autoscaler's
 * maximum): between consecutive weights, the new canary size plus the stable still sized for the previous weight; an
 * abort at the last step, which scales the stable back to 100% before the canary leaves; the experiment's arms beside
 * the full stable. Without traffic routing, the basic canary's `maxSurge` of one pod.
 */
export function peakPods(replicas: number, steps: readonly Pick<CanaryStep, "weight">[], opts: { readonly trafficRouted: boolean; readonly experimentPods: number }): number {
  const arms = opts.experimentPods;
  if (!opts.trafficRouted) return replicas + Math.max(1, arms);
  const weights = [0, ...steps.map((s) => s.weight), 100];
  let peak = replicas + arms;
  for (let i = 1; i < weights.length; i++) {
    peak = Math.max(peak, weightToReplicas(replicas, weights[i]) + weightToReplicas(replicas, 100 - weights[i - 1]));
  }
  const last = steps.length ? steps[steps.length - 1].weight : 0;
  return Math.max(peak, replicas + weightToReplicas(replicas, last));
}

/** Argo Rollouts canary steps: set each weight and hold it; 100% follows the last step when its pause ends. */
export function canarySteps(steps: readonly CanaryStep[]): Array<Record<string, unknown>> {
  return steps.flatMap((s) => [{ setWeight: s.weight }, { pause: { duration: `${s.pauseMinutes}m` } }]);
}
