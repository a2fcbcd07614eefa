/**
 * What a release puts into the cluster, as the deploy walk (test/deploy/deploy-walk.test.ts) needs it: the CRDs and
 * namespaces it installs and the pods it runs, with what each pod needs before it can start. Upstream charts cannot
 * be rendered offline, so every HelmChart declares its footprint next to its values, from the same variables; objects
 * of the in-repo manifests chart are read directly.
 */

/** A pod toleration, as Kubernetes spells it. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/** A required node-affinity term: every expression must match (terms are ORed). */
export interface NodeSelectorTerm {
  readonly matchExpressions: ReadonlyArray<{ readonly key: string; readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; readonly values?: readonly string[] }>;
}

/**
 * Required node-selector terms that hold where both `a` and `b` hold (terms are ORed and a term's expressions ANDed,
 * so every pair of terms is joined); either side empty means no constraint from it. Returns copies.
 */
export function allOfTerms(a: readonly NodeSelectorTerm[] = [], b: readonly NodeSelectorTerm[] = []): NodeSelectorTerm[] {
  const copy = (e: NodeSelectorTerm["matchExpressions"][number]) => ({ ...e, ...(e.values ? { values: [...e.values] } : {}) });
  if (!a.length || !b.length) return [...a, ...b].map((t) => ({ matchExpressions: t.matchExpressions.map(copy) }));
  return a.flatMap((x) => b.map((y) => ({ matchExpressions: [...x.matchExpressions, ...y.matchExpressions].map(copy) })));
}

/** Requests of all containers of one pod together (init containers run before and do not add). */
export interface PodRequests {
  readonly cpu: string;
  readonly memory: string;
  /** Extended resources such as `nvidia.com/gpu`, `vpc.amazonaws.com/efa`, `hugepages-2Mi`. */
  readonly extended?: Readonly<Record<string, string>>;
}

/** One workload of a release. */
export interface PodFootprint {
  /** Workload name (Deployment, DaemonSet, StatefulSet or Job). */
  readonly name: string;
  readonly kind: "Deployment" | "DaemonSet" | "StatefulSet" | "Job";
  /** @default - the release namespace */
  readonly namespace?: string;
  /** Pods of a Deployment, StatefulSet or Job (DaemonSets run one per matching node). @default 1 */
  readonly replicas?: number;
  readonly requests: PodRequests;
  /** @default - none */
  readonly tolerations?: readonly Toleration[];
  /** @default - none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required node affinity. @default - none */
  readonly requiredNodeAffinity?: readonly NodeSelectorTerm[];
  /** Service account; its Pod Identity association (if any) must exist before the pod starts. @default - "default" */
  readonly serviceAccount?: string;
  /** Secrets (in the pod's namespace) it mounts or reads into its environment, which must exist before it starts. */
  readonly secrets?: readonly string[];
  /** Required pod anti-affinity on the host: at most one replica per node. @default false */
  readonly onePerNode?: boolean;
  /** Claims it makes (StatefulSet templates, chart PVCs): a class name, or none for the default class. */
  readonly volumeClaims?: ReadonlyArray<{ readonly storageClass?: string; readonly size: string }>;
}

/** What a release installs and runs. */
export interface ReleaseFootprint {
  /** CRDs it installs, as `<group>/<Kind>`. @default - none */
  readonly crds?: readonly string[];
  /** Custom resources it creates itself, as `<group>/<Kind>` (their CRDs must be installed by it or earlier). */
  readonly customResources?: readonly string[];
  /** Namespaces it creates besides the release namespace. @default - none */
  readonly namespaces?: readonly string[];
  /** Extended resources nodes advertise once its pods run there (device plugins). @default - none */
  readonly advertises?: readonly string[];
  /** Service accounts it creates (in the pods' namespace). @default - none */
  readonly serviceAccounts?: readonly string[];
  /** StorageClasses it provides (CSI drivers) as provisioner names. @default - none */
  readonly provisioners?: readonly string[];
  readonly pods: readonly PodFootprint[];
  /** Where figures not taken from our values come from (chart defaults, upstream manifests at a tag). */
  readonly source?: string;
}

/** Tolerations deep-copied, without undefined fields (so YAML never gets anchors or nulls). */
export function copyTolerations(t: readonly Toleration[]): Toleration[] {
  return t.map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Toleration);
}
