import { allocatable, cpuMilli, memoryMiB, type Allocatable } from "../../../constructs/catalog/allocatable";
import { findInstanceType, instanceTypesOfFamily, type InstanceTypeInfo } from "../../../constructs/catalog/instance-types";
import { peakPods } from "../../../constructs/delivery/canary";
import type { NodeSelectorTerm, PodFootprint, Toleration } from "../../../constructs/kubernetes/footprint";
import { GPU_NAME_LABEL } from "../../../constructs/tenancy/flavors";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A taint on a node. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

/** Nodes pods can land on: the system node group, an EFA node group, or a Karpenter NodePool. */
export interface NodeSource {
  readonly name: string;
  readonly kind: "node-group" | "karpenter";
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** Instance types it may launch. */
  readonly instanceTypes: readonly InstanceTypeInfo[];
  /** Node-group nodes at the desired size (Karpenter: none until pods need them). */
  readonly nodes: number;
  /** Karpenter NodePool limits (cpu in millicores, memory in MiB, extended resources as counts). */
  readonly limits?: Readonly<Record<string, number>>;
  /** Zones a NodePool's requirements allow (`topology.kubernetes.io/zone`); undefined: any zone (node groups are not modelled). */
  readonly zones?: readonly string[];
  /**
   * Extended capacity per instance type from NodeOverlays (Karpenter assigns an overlay's quantities over the type's
   * own: `ApplyCapacityOverlay` at v1.14.1), only when the `nodeOverlay` feature gate is on. @default - none
   */
  readonly overlays?: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Labels every node carries whatever its source. */
function wellKnownLabels(t: InstanceTypeInfo): Record<string, string> {
  return { "kubernetes.io/os": "linux", "kubernetes.io/arch": t.arch, "node.kubernetes.io/instance-type": t.name };
}

/**
 * Labels Karpenter puts on the nodes it launches besides the well-known ones: the family and, on GPU types, the GPU's
 * name, which Kueue's GPU flavors select (constructs/tenancy/flavors.ts). Managed node groups' nodes carry neither.
 */
function karpenterLabels(t: InstanceTypeInfo): Record<string, string> {
  return { "karpenter.k8s.aws/instance-family": t.family, ...(t.gpuCount > 0 && t.gpuName ? { [GPU_NAME_LABEL]: t.gpuName } : {}) };
}

/** Whether one toleration tolerates one taint (Kubernetes' rules: empty key with Exists tolerates everything). */
function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === "Exists") return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
}

function matchesTerm(term: NodeSelectorTerm, labels: Readonly<Record<string, string>>): boolean {
  return term.matchExpressions.every((e) => {
    const v = labels[e.key];
    switch (e.operator) {
      case "In":
        return v !== undefined && (e.values ?? []).includes(v);
      case "NotIn":
        return v === undefined || !(e.values ?? []).includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
    }
  });
}

/** Why a pod cannot run on one instance type of a node source, or undefined when it can. */
export function placementProblem(pod: PodFootprint, source: NodeSource, type: InstanceTypeInfo): string | undefined {
  return taintProblem(pod, source) ?? labelProblem(pod, source, type);
}

/** Why a pod cannot run on any node of a source for its taints (the same for every instance type), or undefined. */
function taintProblem(pod: PodFootprint, source: NodeSource): string | undefined {
  const untolerated = source.taints.filter((taint) => taint.effect !== "PreferNoSchedule" && !(pod.tolerations ?? []).some((t) => tolerates(t, taint)));
  if (untolerated.length) return `does not tolerate ${untolerated.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join(", ")}`;
  return undefined;
}

/** Why a pod's node selection rules out one instance type of a source, or undefined when it can run there. */
function labelProblem(pod: PodFootprint, source: NodeSource, type: InstanceTypeInfo): string | undefined {
  const labels = { ...wellKnownLabels(type), ...(source.kind === "karpenter" ? karpenterLabels(type) : {}), ...source.labels };
  // A zone selector matches a source that may launch in that zone (Karpenter picks the zone to fit the pod).
  const selector = Object.entries(pod.nodeSelector ?? {}).filter(([k, v]) => (k === ZONE_LABEL ? !(source.zones?.includes(v) ?? true) : labels[k] !== v));
  if (selector.length) return `nodeSelector ${selector.map(([k, v]) => `${k}=${v}`).join(", ")} does not match`;
  if (pod.requiredNodeAffinity?.length && !pod.requiredNodeAffinity.some((t) => matchesTerm(t, labels))) return "required node affinity does not match";
  return undefined;
}

/** The node sources a pod may land on (placement only), with the reason for every other one. */
export function placements(pod: PodFootprint, sources: readonly NodeSource[]): { allowed: NodeSource[]; refused: string[] } {
  const allowed: NodeSource[] = [];
  const refused: string[] = [];
  for (const s of sources) {
    // Allowed when one instance type fits; refused with the first type's problem. Taints rule out every type alike,
    // and the walk asks this for every pod and pool of hundreds of types: the taints are checked once per pool.
    const taints = taintProblem(pod, s);
    let first: string | undefined;
    let fits = false;
    for (const t of s.instanceTypes) {
      const problem = taints ?? labelProblem(pod, s, t);
      if (problem === undefined) {
        fits = true;
        break;
      }
      first ??= problem;
      if (taints !== undefined) break;
    }
    if (fits) allowed.push(s);
    else refused.push(`${s.name}: ${first}`);
  }
  return { allowed, refused };
}

/** A pod's requests in scheduler units. */
export interface Demand {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly extended: Readonly<Record<string, number>>;
}

/** An extended resource's quantity in the walk's units: huge pages in MiB (like memory), counts as numbers. */
export function extendedQuantity(resource: string, value: unknown): number {
  return resource.startsWith("hugepages-") ? memoryMiB(String(value)) : Number(value);
}

export function demandOf(pod: PodFootprint): Demand {
  return {
    cpuMilli: cpuMilli(pod.requests.cpu),
    memoryMiB: memoryMiB(pod.requests.memory),
    extended: Object.fromEntries(Object.entries(pod.requests.extended ?? {}).map(([k, v]) => [k, extendedQuantity(k, v)])),
  };
}

/**
 * Extended resources an instance type offers as Karpenter sees it (GPUs and EFA interfaces; huge pages and GPU slices
 * only through a NodeOverlay of the node source).
 */
export function extendedCapacity(t: InstanceTypeInfo, source?: NodeSource): Record<string, number> {
  return { "nvidia.com/gpu": t.gpuCount, "vpc.amazonaws.com/efa": t.efaInterfaces, ...(source?.overlays?.get(t.name) ?? {}) };
}

/** Whether one pod fits an empty node of the type (after the node's DaemonSets). */
export function fitsType(d: Demand, t: InstanceTypeInfo, daemonSets: Demand, source?: NodeSource): boolean {
  const a: Allocatable = allocatable(t);
  const ext = extendedCapacity(t, source);
  return (
    d.cpuMilli + daemonSets.cpuMilli <= a.cpuMilli &&
    d.memoryMiB + daemonSets.memoryMiB <= a.memoryMiB &&
    Object.entries(d.extended).every(([k, v]) => v <= (ext[k] ?? 0))
  );
}

export const sumDemand = (ds: readonly Demand[]): Demand => ({
  cpuMilli: ds.reduce((a, d) => a + d.cpuMilli, 0),
  memoryMiB: ds.reduce((a, d) => a + d.memoryMiB, 0),
  extended: ds.reduce<Record<string, number>>((acc, d) => {
    for (const [k, v] of Object.entries(d.extended)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {}),
});

const EFFECTS: Record<string, string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" };

/** A managed node group (system or EFA) from its synthesized block. */
export function nodeGroupSource(name: string, cfg: Record<string, Any>): NodeSource {
  const types = (cfg.instance_types as string[]).map((t) => findInstanceType(t)!).filter(Boolean);
  return {
    name: `node group ${name}`,
    kind: "node-group",
    labels: { ...(cfg.labels ?? {}), "eks.amazonaws.com/nodegroup": name },
    taints: ((cfg.taint ?? []) as Array<Record<string, string>>).map((t) => ({ key: t.key, value: t.value, effect: EFFECTS[t.effect] ?? t.effect })),
    instanceTypes: types,
    nodes: cfg.scaling_config.desired_size,
  };
}

/** The instance types a NodePool's requirements allow (type or family lists, GPU count, architecture). */
function poolTypes(requirements: ReadonlyArray<Record<string, Any>>): InstanceTypeInfo[] {
  const req = (key: string) => requirements.find((r) => r.key === key);
  const types = req("node.kubernetes.io/instance-type")?.values as string[] | undefined;
  const families = req("karpenter.k8s.aws/instance-family")?.values as string[] | undefined;
  let out = types ? types.map((t) => findInstanceType(t)!) : (families ?? []).flatMap((f) => [...instanceTypesOfFamily(f)]);
  const gpu = req("karpenter.k8s.aws/instance-gpu-count");
  if (gpu?.operator === "Gt") out = out.filter((t) => t.gpuCount > Number(gpu.values[0]));
  const arch = req("kubernetes.io/arch")?.values as string[] | undefined;
  if (arch) out = out.filter((t) => arch.includes(t.arch));
  return out;
}

/** A Karpenter NodePool (rendered object) as a node source. */
export function nodePoolSource(pool: Record<string, Any>): NodeSource {
  const spec = pool.spec;
  const limits: Record<string, number> = {};
  for (const [k, v] of Object.entries(spec.limits ?? {})) limits[k] = k === "cpu" ? cpuMilli(v as string) : k === "memory" ? memoryMiB(v as string) : Number(v);
  return {
    name: `NodePool ${pool.metadata.name}`,
    kind: "karpenter",
    labels: { ...(spec.template.metadata?.labels ?? {}), "karpenter.sh/nodepool": pool.metadata.name },
    taints: (spec.template.spec.taints ?? []) as Taint[],
    instanceTypes: poolTypes(spec.template.spec.requirements),
    nodes: 0,
    limits,
    zones: (spec.template.spec.requirements as Array<Record<string, Any>>).find((r) => r.key === ZONE_LABEL && r.operator === "In")?.values,
  };
}

/** Whether a NodeOverlay's requirements select a NodePool's instance type (NodePool name, template labels, type labels). */
export function overlayMatches(requirements: ReadonlyArray<Record<string, Any>>, source: NodeSource, t: InstanceTypeInfo): boolean {
  const labels: Record<string, string> = { ...wellKnownLabels(t), ...source.labels, "karpenter.k8s.aws/instance-family": t.family };
  return requirements.every((r) => {
    const v = labels[r.key];
    switch (r.operator) {
      case "In":
        return v !== undefined && (r.values as string[]).includes(v);
      case "NotIn":
        return v === undefined || !(r.values as string[]).includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
      default:
        // Gt/Lt on labels the walk does not model: treat as not matching, so an overlay is never assumed.
        return false;
    }
  });
}

/**
 * The most pods an Argo Rollout holds at once at `replicas` (its autoscaler's maximum): the canary and stable sizes
 * between steps, an abort, and the experiment arms (constructs/delivery/canary.ts, Argo Rollouts v1.9.0's arithmetic).
 */
export function rolloutPeak(spec: Record<string, Any>, replicas: number): number {
  const canary = spec.strategy?.canary;
  if (!canary) return replicas;
  const steps = (canary.steps ?? []) as Array<Record<string, Any>>;
  const weights = steps.filter((s) => s.setWeight !== undefined).map((s) => ({ weight: Number(s.setWeight) }));
  const experimentPods = Math.max(0, ...steps.map((s) => ((s.experiment?.templates ?? []) as Array<Record<string, Any>>).reduce((n, t) => n + Number(t.replicas ?? 1), 0)));
  return peakPods(replicas, weights, { trafficRouted: canary.trafficRouting !== undefined, experimentPods });
}

/** The PersistentVolumeClaims a workload object's pods mount by name (claim templates are checked as storage). */
export function claimNamesOf(obj: Record<string, Any>): string[] {
  const template = obj.kind === "CronJob" ? obj.spec?.jobTemplate?.spec?.template : obj.spec?.template;
  return ((template?.spec?.volumes ?? []) as Array<Record<string, Any>>).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName as string] : []));
}

/** The pod a workload object runs, from its pod template (requests of all regular containers summed). */
export function podOfObject(obj: Record<string, Any>): PodFootprint | undefined {
  const kind = obj.kind as string;
  if (!["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Rollout"].includes(kind)) return undefined;
  // A CronJob's pods come from its Job template, on schedule: their prerequisites must be in place all the same.
  const spec = kind === "CronJob" ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
  let cpu = 0;
  let mem = 0;
  const extended: Record<string, number> = {};
  const secrets = new Set<string>();
  for (const c of spec.containers ?? []) {
    const r = c.resources?.requests ?? {};
    const l = c.resources?.limits ?? {};
    cpu += r.cpu ? cpuMilli(r.cpu) : 0;
    mem += r.memory ? memoryMiB(r.memory) : 0;
    // Extended resources are requested through limits (requests default to them).
    for (const [k, v] of Object.entries({ ...l, ...r })) if (k.includes("/") || k.startsWith("hugepages-")) extended[k] = Math.max(extended[k] ?? 0, Number(String(v).replace(/Mi$/, "")));
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional) secrets.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef && !e.secretRef.optional) secrets.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) if (v.secret && !v.secret.optional) secrets.add(v.secret.secretName);
  const claims = [
    ...((obj.spec.volumeClaimTemplates ?? []) as Array<Record<string, Any>>).map((t) => ({ storageClass: t.spec.storageClassName, size: t.spec.resources.requests.storage })),
  ];
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return {
    name: obj.metadata.name,
    // An Argo Rollout runs its pods through ReplicaSets, as a Deployment does.
    kind: (kind === "CronJob" ? "Job" : kind === "Rollout" ? "Deployment" : kind) as PodFootprint["kind"],
    namespace: obj.metadata.namespace,
    replicas: kind === "DaemonSet" ? undefined : (obj.spec.replicas ?? obj.spec.parallelism ?? 1),
    requests: { cpu: `${cpu}m`, memory: `${mem}Mi`, extended: Object.fromEntries(Object.entries(extended).map(([k, v]) => [k, k.startsWith("hugepages-") ? `${v}Mi` : String(v)])) },
    tolerations: spec.tolerations,
    nodeSelector: spec.nodeSelector,
    requiredNodeAffinity: required,
    serviceAccount: spec.serviceAccountName,
    secrets: [...secrets],
    volumeClaims: claims,
  };
}
