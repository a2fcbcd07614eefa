import type { KubernetesObject } from "../kubernetes/manifests-release";
import type { NodeRequirement } from "./node-pool";

export interface NodeOverlayProps {
  readonly name: string;
  /** Which instance types (or pools) it applies to, as NodePool requirements. */
  readonly requirements: readonly NodeRequirement[];
  /**
   * Extended resources Karpenter should assume such nodes offer (for example `hugepages-2Mi` or shared GPU
   * slices); `cpu`, `memory`, `ephemeral-storage` and `pods` cannot be overlaid.
   */
  readonly capacity?: Readonly<Record<string, string>>;
  /** Higher weight wins when several overlays match a type. @default - none */
  readonly weight?: number;
}

/** Resources a NodeOverlay may not change (the CRD's rule). */
const RESTRICTED = ["cpu", "memory", "ephemeral-storage", "pods"];

/**
 * A Karpenter NodeOverlay (`karpenter.sh/v1alpha1`, behind the `nodeOverlay` feature gate in 1.14): tells Karpenter's
 * scheduling simulation that nodes of the matching types will offer extra capacity it cannot discover itself, such
 * as huge pages set up at boot or GPU slices a device plugin advertises. Karpenter launches for pods requesting them;
 * something on the node must still make the capacity real.
 * @see https://karpenter.sh/docs/concepts/nodeoverlays/
 */
export function nodeOverlay(props: NodeOverlayProps): KubernetesObject {
  const restricted = Object.keys(props.capacity ?? {}).filter((k) => RESTRICTED.includes(k));
  if (restricted.length) throw new Error(`NodeOverlay ${props.name}: capacity may not overlay ${restricted.join(", ")} (Karpenter restricts ${RESTRICTED.join(", ")})`);
  if (!props.requirements.length) throw new Error(`NodeOverlay ${props.name}: requirements must select instance types; an overlay with none applies to every node`);
  return {
    apiVersion: "karpenter.sh/v1alpha1",
    kind: "NodeOverlay",
    metadata: { name: props.name },
    spec: {
      requirements: props.requirements.map((r) => ({ ...r, ...(r.values ? { values: [...r.values] } : {}) })),
      ...(props.capacity ? { capacity: { ...props.capacity } } : {}),
      ...(props.weight !== undefined ? { weight: props.weight } : {}),
    },
  };
}
