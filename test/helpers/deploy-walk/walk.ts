import { allocatable } from "../../../constructs/catalog/allocatable";
import type { InstanceTypeInfo } from "../../../constructs/catalog/instance-types";
import type { SynthesizedStack } from "../synth";
import { StackGraph } from "./graph";
import { demandOf, extendedCapacity, fitsType, placements, rolloutPeak, sumDemand, type Demand, type NodeSource } from "./scheduling";
import { buildWorld, type ClusterWorld, type FootprintIndex, type PodSite, type Site } from "./world";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** One environment's deploy, as synthesized: its stacks, the stack graph (manifest.json) and the declared footprints. */
export interface WalkInput {
  readonly stacks: readonly SynthesizedStack[];
  /** Stack id → the stacks it depends on (cdktf's manifest.json). */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  readonly footprints: FootprintIndex;
  /**
   * Jobs users submit once the deploy is done (TrainJobs): each runs its runtime's pods in its own namespace, which must
   * hold everything they mount. @default - none
   */
  readonly submitted?: ReadonlyArray<Record<string, Any>>;
}

/** How full a node group is once everything that must run there runs. */
export interface NodeGroupCapacity {
  readonly source: string;
  readonly nodes: number;
  readonly instanceType: string;
  readonly perNode: { readonly cpuMilli: number; readonly memoryMiB: number; readonly pods: number };
  readonly daemonSetsPerNode: { readonly cpuMilli: number; readonly memoryMiB: number; readonly pods: number };
  readonly pinned: { readonly cpuMilli: number; readonly memoryMiB: number; readonly pods: number };
}

export interface WalkResult {
  /** Problems, each naming the stack, the block, the object and what is missing. */
  readonly findings: string[];
  readonly nodeGroups: NodeGroupCapacity[];
}

/** The smallest instance type of a node group (it may launch any of them). */
function smallest(types: readonly InstanceTypeInfo[]): InstanceTypeInfo {
  return [...types].sort((a, b) => allocatable(a).memoryMiB - allocatable(b).memoryMiB || allocatable(a).cpuMilli - allocatable(b).cpuMilli)[0];
}

/**
 * Walks the first deploy of one environment in stack order and, inside each stack, in Terraform's dependency order,
 * and reports every Kubernetes object whose prerequisites are not in place before it: its CRD, namespace, service
 * account and Pod Identity association, the Secrets it reads and the store (and the store's IAM role) they come from, its StorageClass (or a default one) and provisioner,
 * nodes it tolerates and selects (and the device plugin of any extended resource it requests), and room on them.
 */
export function walkDeploy(input: WalkInput): WalkResult {
  const graphs = new Map(input.stacks.map((s) => [s.id, new StackGraph(s.id, s.json)]));
  const stackAncestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const d of input.dependencies[id] ?? []) if (!seen.has(d)) stackAncestors(d, seen.add(d));
    return seen;
  };
  // A block provides for itself (an add-on creates its Pod Identity association with its pods).
  const before = (provider: Site, consumer: Site): boolean =>
    provider.stack === consumer.stack
      ? provider.address === consumer.address || graphs.get(consumer.stack)!.ancestors(consumer.address).has(provider.address)
      : stackAncestors(consumer.stack).has(provider.stack);
  const w = buildWorld(input.stacks, graphs, input.footprints);
  const findings: string[] = [];
  const where = (s: Site) => `${s.stack}: ${s.address}`;

  /** Requires one of `providers` before `consumer`; otherwise records what is missing. */
  const need = (consumer: Site, label: string, what: string, providers: readonly Site[] | undefined, sameRelease = false): boolean => {
    if (sameRelease || (providers ?? []).some((p) => before(p, consumer))) return true;
    const made = providers?.length ? `is created by ${providers.map(where).join(", ")}, which is not applied before it` : "is created by nothing in the deploy";
    findings.push(`${where(consumer)} (${label}): ${what} ${made}`);
    return false;
  };

  /**
   * A claim a pod mounts: the PersistentVolumeClaim in its namespace, the PersistentVolume the claim names (reserved for
   * it: a volume whose claimRef names another claim never binds) and the volume's CSI driver. Without any of them the pod
   * stays Pending. `anywhere`: the pod starts after the whole deploy (a submitted job).
   */
  const needClaim = (consumer: Site, label: string, namespace: string, claim: string, anywhere: boolean, sameRelease = false): void => {
    const claims = w.claims.get(`${namespace}/${claim}`);
    const inPlace = (providers?: readonly Site[]) => sameRelease || (anywhere && (providers?.length ?? 0) > 0);
    if (!need(consumer, label, `PersistentVolumeClaim ${namespace}/${claim}`, claims, inPlace(claims))) return;
    for (const c of claims!.filter((c) => c.volumeName)) {
      const volumes = w.volumes.get(c.volumeName!);
      if (!need(consumer, label, `PersistentVolume ${c.volumeName} (named by claim ${namespace}/${claim})`, volumes, inPlace(volumes))) continue;
      for (const v of volumes!) {
        if (v.claimRef && v.claimRef !== `${namespace}/${claim}`) findings.push(`${where(consumer)} (${label}): PersistentVolume ${c.volumeName} is reserved for claim ${v.claimRef}, not ${namespace}/${claim}`);
        if (v.driver) need(consumer, label, `the ${v.driver} CSI driver`, w.provisioners.get(v.driver), inPlace(w.provisioners.get(v.driver)));
      }
    }
  };

  for (const s of input.stacks) {
    for (const node of graphs.get(s.id)!.nodes.values()) {
      // Labels put on an existing Namespace (the teams stack marks `kubeflow` for Kueue): it must exist first.
      if (node.type === "kubernetes_labels" && node.config.kind === "Namespace") {
        const name = node.config.metadata.name;
        need({ stack: s.id, address: node.address }, `labels of Namespace ${name}`, `namespace ${name}`, w.namespaces.get(name));
      }
      if (node.type !== "helm_release" || node.config.create_namespace) continue;
      need({ stack: s.id, address: node.address }, `release ${node.config.name}`, `namespace ${node.config.namespace}`, w.namespaces.get(node.config.namespace));
    }
  }
  for (const o of w.objects) {
    if (o.namespace && !o.sameReleaseNamespaces.has(o.namespace)) need(o, o.label, `namespace ${o.namespace}`, w.namespaces.get(o.namespace));
    if (!o.core) need(o, o.label, `CRD ${o.groupKind}`, w.crds.get(o.groupKind), o.sameReleaseCrds.has(o.groupKind));
    if (o.store) {
      // A store in the same release is fine: the operator retries an ExternalSecret until its store is ready.
      const stores = w.stores.get(o.store.key);
      need(o, o.label, `${o.store.kind} ${o.store.key}`, stores, stores?.some((p) => p.stack === o.stack && p.address === o.address));
    }
    if (o.assumesRole) need(o, o.label, `IAM role ${o.assumesRole} (spec.provider.aws.role)`, w.iamRoles.get(o.assumesRole));
    for (const secret of o.secrets ?? []) need(o, o.label, `Secret ${o.namespace}/${secret}`, w.secrets.get(`${o.namespace}/${secret}`));
  }

  // A first deploy creates MLflow empty: Helm waits for such a Job, which fails, and the apply stops there.
  for (const j of w.awaitedExternalData) findings.push(`${where(j)} (${j.label}): Helm waits for it, and it needs ${j.needs}, which a first deploy creates empty`);

  const available = (site: Site, source: Site & { source: NodeSource }) =>
    before(source, site) && (source.source.kind === "node-group" || w.karpenterControllers.some((k) => before(k, site)));
  const daemonSetsOn = (source: NodeSource): Demand[] =>
    w.pods.filter((p) => p.pod.kind === "DaemonSet" && !p.templateOnly && placements(p.pod, [source]).allowed.length).map((p) => demandOf(p.pod));
  const bound: Array<{ pod: PodSite; sources: NodeSource[] }> = [];
  const pooled: Array<{ pod: PodSite; source: Site & { source: NodeSource } }> = [];

  for (const p of w.pods) {
    const pod = p.pod;
    const allowed = placements(pod, w.nodeSources.map((n) => n.source));
    const sites = w.nodeSources.filter((n) => allowed.allowed.includes(n.source));
    if (!sites.length) {
      findings.push(`${where(p)} (${p.label}): no node source accepts it (${allowed.refused.join("; ")})`);
      continue;
    }
    const demand = demandOf(pod);
    for (const resource of Object.keys(demand.extended)) {
      if (!p.templateOnly) need(p, p.label, `the device plugin advertising ${resource}`, w.advertised.get(resource));
      if (!sites.some((n) => n.source.instanceTypes.some((t) => (extendedCapacity(t, n.source)[resource] ?? 0) > 0))) findings.push(`${where(p)} (${p.label}): requests ${resource}, which no node it may use has`);
    }
    // A DaemonSet only needs somewhere to run eventually (it is ready with no nodes); other pods need nodes now.
    const reachable = p.templateOnly || pod.kind === "DaemonSet" ? sites : sites.filter((n) => available(p, n));
    const fits = reachable.filter((n) => n.source.instanceTypes.some((t) => fitsType(demand, t, sumDemand(daemonSetsOn(n.source)), n.source)));
    if (!reachable.length) {
      findings.push(`${where(p)} (${p.label}): may only run on ${sites.map((n) => `${n.source.name} (${where(n)})`).join(", ")}, which has no nodes before it starts`);
    } else if (!fits.length) {
      findings.push(`${where(p)} (${p.label}): requests ${pod.requests.cpu} CPU, ${pod.requests.memory} memory${Object.keys(demand.extended).length ? ` and ${JSON.stringify(pod.requests.extended)}` : ""}, more than one node of ${reachable.map((n) => n.source.name).join(", ")} offers`);
    }
    if (p.templateOnly) {
      // A template is applied by users once the deploy is done: what it names must exist somewhere in the deploy.
      const anywhere = (providers?: readonly Site[]) => (providers?.length ?? 0) > 0;
      for (const claim of p.claims ?? []) needClaim(p, p.label, p.namespace, claim, true);
      if (p.queue) need(p, p.label, `LocalQueue ${p.namespace}/${p.queue} (its queue label)`, w.localQueues.get(`${p.namespace}/${p.queue}`), anywhere(w.localQueues.get(`${p.namespace}/${p.queue}`)));
      const sa = pod.serviceAccount;
      const accounts = w.serviceAccounts.get(`${p.namespace}/${sa}`);
      if (sa && sa !== "default") need(p, p.label, `service account ${p.namespace}/${sa}`, accounts, anywhere(accounts));
      continue;
    }
    // Pods that cannot reach a Karpenter pool by the time their release applies stay on the node groups.
    if (pod.kind !== "DaemonSet" && fits.length && fits.every((n) => n.source.kind === "node-group")) bound.push({ pod: p, sources: fits.map((n) => n.source) });
    else if (pod.kind !== "DaemonSet" && fits.length) pooled.push({ pod: p, source: fits.find((n) => n.source.kind === "karpenter")! });

    const same = p.sameRelease;
    if (!same.namespaces.has(p.namespace)) need(p, p.label, `namespace ${p.namespace}`, w.namespaces.get(p.namespace));
    const sa = pod.serviceAccount;
    if (sa && sa !== "default") {
      need(p, p.label, `service account ${p.namespace}/${sa}`, w.serviceAccounts.get(`${p.namespace}/${sa}`), same.serviceAccounts.has(sa));
      const assoc = w.podIdentity.get(`${p.namespace}/${sa}`);
      if (assoc) need(p, p.label, `the Pod Identity association of ${p.namespace}/${sa}`, assoc);
      if (w.irsaServiceAccounts.has(`${p.namespace}/${sa}`)) need(p, p.label, "the cluster's IAM OIDC provider (IRSA)", w.oidcProviders);
    }
    for (const secret of pod.secrets ?? []) need(p, p.label, `Secret ${p.namespace}/${secret}`, w.secrets.get(`${p.namespace}/${secret}`), same.secrets.has(secret));
    for (const claim of p.claims ?? []) needClaim(p, p.label, p.namespace, claim, false, w.claims.get(`${p.namespace}/${claim}`)?.some((c) => c.stack === p.stack && c.address === p.address));
    for (const claim of pod.volumeClaims ?? []) {
      const classes = claim.storageClass ? w.storageClasses.get(claim.storageClass) : [...w.storageClasses.values()].flat().filter((c) => c.isDefault);
      const ok = need(p, p.label, claim.storageClass ? `StorageClass ${claim.storageClass}` : `a default StorageClass (its ${claim.size} claim names none)`, classes);
      if (ok) for (const c of classes ?? []) need(p, p.label, `the ${c.provisioner} provisioner`, w.provisioners.get(c.provisioner));
    }
  }

  // Submitted TrainJobs: their runtime, their namespace, and every claim of the runtime's pods in that namespace.
  for (const job of input.submitted ?? []) {
    const ns = job.metadata.namespace as string;
    const ref = job.spec?.runtimeRef ?? {};
    const key = ref.kind === "TrainingRuntime" ? `${ns}/${ref.name}` : String(ref.name);
    const site: Site = { stack: "submitted", address: `${job.kind} ${ns}/${job.metadata.name}` };
    const anywhere = (providers?: readonly Site[]) => (providers?.length ?? 0) > 0;
    need(site, `runtime ${ref.name}`, `namespace ${ns}`, w.namespaces.get(ns), anywhere(w.namespaces.get(ns)));
    const runtimes = w.runtimes.get(key);
    if (!need(site, `runtime ${ref.name}`, `${ref.kind ?? "ClusterTrainingRuntime"} ${ref.name}`, runtimes, anywhere(runtimes))) continue;
    for (const r of runtimes!) for (const j of r.jobs) for (const claim of j.claims) needClaim(site, `runtime ${ref.name}, job ${j.name}`, ns, claim, true);
  }

  gpuPluginReach(w, findings);
  poolLimits(w, pooled, findings);
  return { findings, nodeGroups: nodeGroupCapacity(w, bound, daemonSetsOn, findings) };
}

/**
 * Every node source with GPUs needs a DaemonSet advertising `nvidia.com/gpu` that tolerates and selects its nodes:
 * without the device plugin there, its nodes never show a GPU, so the pods that need them stay Pending while Karpenter
 * keeps the node (a new pool's taint the plugin does not tolerate, such as a team-dedicated pool's). Required node
 * affinity is left out: its terms may name labels a node gets at run time (mig-manager's state on a MIG pool), which
 * the walk does not model.
 */
function gpuPluginReach(w: ClusterWorld, findings: string[]): void {
  const advertisers = w.advertised.get("nvidia.com/gpu") ?? [];
  const plugins = w.pods
    .filter((p) => p.pod.kind === "DaemonSet" && !p.templateOnly && advertisers.some((a) => a.stack === p.stack && a.address === p.address))
    .map((p) => ({ ...p, pod: { ...p.pod, requiredNodeAffinity: undefined } }));
  for (const n of w.nodeSources) {
    if (!n.source.instanceTypes.some((t) => t.gpuCount > 0)) continue;
    const refused = plugins.flatMap((p) => (placements(p.pod, [n.source]).allowed.length ? [] : [`${p.label}: ${placements(p.pod, [n.source]).refused.join("; ")}`]));
    if (refused.length === plugins.length) findings.push(`${n.stack}: ${n.address} (${n.source.name}): has GPUs, but no DaemonSet advertising nvidia.com/gpu runs on its nodes${refused.length ? ` (${refused.join("; ")})` : ""}`);
  }
}

/**
 * A NodePool stops launching at its limits: the pods that land on it at their largest scale (an autoscaler's
 * maximum, or their replicas, plus an Argo Rollout's canary and experiment pods at their peak) must fit under them,
 * or scaling out (or a canary) stalls with pods Pending.
 */
function poolLimits(w: ClusterWorld, pooled: ReadonlyArray<{ pod: PodSite; source: Site & { source: NodeSource } }>, findings: string[]): void {
  for (const site of w.nodeSources.filter((n) => n.source.kind === "karpenter")) {
    const here = pooled.filter((p) => p.source === site);
    const scale = (p: PodSite) => {
      const key = `${p.namespace}/${p.pod.name}`;
      const max = w.autoscaled.get(key) ?? p.pod.replicas ?? 1;
      // A Rollout's canary adds pods during a step (stable and canary both up until the traffic has moved).
      return w.rollouts.has(key) ? rolloutPeak(w.rollouts.get(key), max) : max;
    };
    const total = sumDemand(here.flatMap(({ pod }) => Array(scale(pod)).fill(demandOf(pod.pod))));
    const used: Record<string, number> = { cpu: total.cpuMilli, memory: total.memoryMiB, ...total.extended };
    for (const [resource, limit] of Object.entries(site.source.limits ?? {})) {
      if ((used[resource] ?? 0) > limit) {
        const who = here.map(({ pod }) => `${pod.label} x${scale(pod)}`).join(", ");
        findings.push(`${site.stack}: ${site.address} (${site.source.name}): its pods at full scale need ${resource} ${used[resource]}, over the pool's limit ${limit} [${who}]`);
      }
    }
  }
}

/** The node groups must hold every pod bound to them, with their DaemonSets on every node. */
function nodeGroupCapacity(
  w: ClusterWorld,
  bound: ReadonlyArray<{ pod: PodSite; sources: NodeSource[] }>,
  daemonSetsOn: (s: NodeSource) => Demand[],
  findings: string[],
): NodeGroupCapacity[] {
  const rows: NodeGroupCapacity[] = [];
  for (const site of w.nodeSources.filter((n) => n.source.kind === "node-group")) {
    const source = site.source;
    const type = smallest(source.instanceTypes);
    const a = allocatable(type);
    const ds = daemonSetsOn(source);
    const dsDemand = sumDemand(ds);
    const pods = bound.filter((b) => b.sources[0] === source);
    const replicas = (b: { pod: PodSite }) => b.pod.pod.replicas ?? 1;
    const pinned = sumDemand(pods.flatMap((b) => Array(replicas(b)).fill(demandOf(b.pod.pod))));
    const podCount = pods.reduce((n, b) => n + replicas(b), 0);
    const row: NodeGroupCapacity = {
      source: source.name,
      nodes: source.nodes,
      instanceType: type.name,
      perNode: { cpuMilli: a.cpuMilli, memoryMiB: a.memoryMiB, pods: a.pods },
      daemonSetsPerNode: { cpuMilli: dsDemand.cpuMilli, memoryMiB: dsDemand.memoryMiB, pods: ds.length },
      pinned: { cpuMilli: pinned.cpuMilli, memoryMiB: pinned.memoryMiB, pods: podCount },
    };
    rows.push(row);
    const free = (per: number, d: number, used: number) => source.nodes * (per - d) - used;
    const problems = [
      free(a.cpuMilli, dsDemand.cpuMilli, pinned.cpuMilli) < 0 ? `CPU ${pinned.cpuMilli}m > ${source.nodes} x (${a.cpuMilli}m - ${dsDemand.cpuMilli}m of DaemonSets)` : undefined,
      free(a.memoryMiB, dsDemand.memoryMiB, pinned.memoryMiB) < 0 ? `memory ${Math.round(pinned.memoryMiB)}Mi > ${source.nodes} x (${a.memoryMiB}Mi - ${Math.round(dsDemand.memoryMiB)}Mi of DaemonSets)` : undefined,
      free(a.pods, ds.length, podCount) < 0 ? `${podCount} pods > ${source.nodes} x (${a.pods} - ${ds.length} DaemonSet pods)` : undefined,
      ...pods.filter((b) => b.pod.pod.onePerNode && replicas(b) > source.nodes).map((b) => `${b.pod.label} wants ${replicas(b)} replicas on separate nodes, only ${source.nodes} nodes`),
    ].filter((x): x is string => x !== undefined);
    if (problems.length) {
      const who = pods.map((b) => `${b.pod.label} x${replicas(b)} ${b.pod.pod.requests.cpu}/${b.pod.pod.requests.memory}`).join(", ");
      findings.push(`${site.stack}: ${site.address} (${source.name}, ${source.nodes} x ${type.name}): the pods that can only run there do not fit: ${problems.join("; ")} [${who}]`);
    }
  }
  return rows;
}
