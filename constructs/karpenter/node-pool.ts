import type { KubernetesObject } from "../kubernetes/manifests-release";
import type { NodeTaint } from "./pool-labels";

/** A NodePool requirement (node selector term with Karpenter's operators). */
export interface NodeRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
  readonly values?: readonly string[];
}

/** A Karpenter disruption budget. */
export interface DisruptionBudget {
  readonly nodes: string;
  readonly schedule?: string;
  readonly duration?: string;
  readonly reasons?: readonly ("Underutilized" | "Empty" | "Drifted")[];
}

export interface NodePoolProps {
  readonly name: string;
  /** EC2NodeClass the pool launches with. */
  readonly nodeClassName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** @default - none */
  readonly taints?: readonly NodeTaint[];
  /**
   * Taints a node starts with that a DaemonSet removes once it is ready (the FSx CSI driver's agent-not-ready);
   * Karpenter does not wait for them when it packs pods. @default - none
   */
  readonly startupTaints?: readonly NodeTaint[];
  readonly requirements: readonly NodeRequirement[];
  /** Resource limits of the whole pool (`cpu`, `memory`, `nvidia.com/gpu`). */
  readonly limits: Readonly<Record<string, string | number>>;
  readonly consolidationPolicy: "WhenEmpty" | "WhenEmptyOrUnderutilized";
  readonly consolidateAfter: string;
  /** @default [{ nodes: "10%" }] */
  readonly budgets?: readonly DisruptionBudget[];
  /**
   * How long draining waits for pods (including `karpenter.sh/do-not-disrupt` ones) before forcing them off.
   * @default - wait indefinitely
   */
  readonly terminationGracePeriod?: string;
  /** Node lifetime before replacement. @default "720h" */
  readonly expireAfter?: string;
  /** Priority among pools matching a pod. @default - none */
  readonly weight?: number;
}

/**
 * A NodePool (karpenter.sh/v1). Requirements with `In` must list values; budgets with a schedule need a
 * duration (the CRD enforces both with CEL, which offline schema validation cannot run, so they are checked here).
 * @see https://karpenter.sh/v1.14/concepts/nodepools/
 */
export function nodePool(props: NodePoolProps): KubernetesObject {
  for (const r of props.requirements) {
    if ((r.operator === "In" || r.operator === "NotIn") && !r.values?.length) {
      throw new Error(`NodePool ${props.name}: requirement ${r.key} ${r.operator} needs at least one value`);
    }
  }
  const budgets = props.budgets ?? [{ nodes: "10%" }];
  for (const b of budgets) {
    if ((b.schedule === undefined) !== (b.duration === undefined)) throw new Error(`NodePool ${props.name}: budget schedule and duration must be set together`);
  }
  // A fresh copy: shared objects would be rendered as YAML anchors/aliases in the release values.
  return structuredClone({
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: props.name },
    spec: {
      template: {
        metadata: { labels: { ...props.labels } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: props.nodeClassName },
          requirements: props.requirements.map((r) => ({ key: r.key, operator: r.operator, ...(r.values ? { values: [...r.values] } : {}) })),
          ...(props.taints?.length ? { taints: props.taints.map((t) => ({ ...t })) } : {}),
          ...(props.startupTaints?.length ? { startupTaints: props.startupTaints.map((t) => ({ ...t })) } : {}),
          expireAfter: props.expireAfter ?? "720h",
          ...(props.terminationGracePeriod ? { terminationGracePeriod: props.terminationGracePeriod } : {}),
        },
      },
      limits: { ...props.limits },
      disruption: {
        consolidationPolicy: props.consolidationPolicy,
        consolidateAfter: props.consolidateAfter,
        budgets: budgets.map((b) => ({ ...b, ...(b.reasons ? { reasons: [...b.reasons] } : {}) })),
      },
      ...(props.weight !== undefined ? { weight: props.weight } : {}),
    },
  });
}
