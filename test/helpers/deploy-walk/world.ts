import { memoryMiB } from "../../../constructs/catalog/allocatable";
import { parse as parseYaml } from "yaml";
import { ADDON_FOOTPRINTS } from "../../../constructs/eks/addon-footprints";
import { configuredAddonFootprint } from "../../../constructs/resilience/addon-footprints";
import { EFA_HUGE_PAGES_2MI } from "../../../constructs/resilience/capacity-fallback";
import type { PodFootprint, ReleaseFootprint } from "../../../constructs/kubernetes/footprint";
import { blocks } from "../audit-context";
import { helmReleases } from "../manifests";
import type { SynthesizedStack } from "../synth";
import type { StackGraph } from "./graph";
import { claimNamesOf, extendedQuantity, nodeGroupSource, nodePoolSource, overlayMatches, podOfObject, type NodeSource } from "./scheduling";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Where something is created: a block of a stack. */
export interface Site {
  readonly stack: string;
  readonly address: string;
}

/** A pod of the deploy, where it comes from and what it needs. */
export interface PodSite extends Site {
  readonly pod: PodFootprint;
  /** Namespace it runs in. */
  readonly namespace: string;
  /** Label for findings: `Deployment kube-system/karpenter`. */
  readonly label: string;
  /** Created by a controller after the release (Argo CD): prerequisites may come from the same release. */
  readonly indirect: boolean;
  /** A runtime template: checked for placement only (no pod runs until a job uses it). */
  readonly templateOnly: boolean;
  /** PersistentVolumeClaims of its namespace it mounts by name. */
  readonly claims?: readonly string[];
  /** The LocalQueue of its namespace its workload names (`kueue.x-k8s.io/queue-name`). */
  readonly queue?: string;
  /** Service accounts, Secrets and namespaces the same release creates. */
  readonly sameRelease: { readonly serviceAccounts: ReadonlySet<string>; readonly secrets: ReadonlySet<string>; readonly namespaces: ReadonlySet<string>; readonly crds: ReadonlySet<string> };
}

/** A custom resource created by a release, which needs its CRD. */
export interface ObjectSite extends Site {
  readonly groupKind: string;
  /** A built-in kind: no CRD needed. */
  readonly core: boolean;
  readonly label: string;
  readonly namespace?: string;
  /** CRDs installed by the same release (upstream charts install theirs first). */
  readonly sameReleaseCrds: ReadonlySet<string>;
  readonly sameReleaseNamespaces: ReadonlySet<string>;
  /** For an ExternalSecret: the store it reads through (`<namespace>/<name>` for a SecretStore). */
  readonly store?: { readonly kind: string; readonly key: string };
  /** For a SecretStore or ClusterSecretStore: the IAM role it assumes (`spec.provider.aws.role`), by name. */
  readonly assumesRole?: string;
  /** Secrets of its namespace it names (an Ingress's OIDC client). */
  readonly secrets?: readonly string[];
}

/** Everything the deploy of one environment creates in the cluster, keyed for lookups. */
export class ClusterWorld {
  readonly crds = new Map<string, Site[]>();
  readonly namespaces = new Map<string, Site[]>();
  readonly serviceAccounts = new Map<string, Site[]>();
  readonly podIdentity = new Map<string, Site[]>();
  /** The cluster's IAM OIDC provider (IRSA), and the service accounts annotated with an IRSA role. */
  readonly oidcProviders: Site[] = [];
  readonly irsaServiceAccounts = new Set<string>();
  readonly secrets = new Map<string, Site[]>();
  /** SecretStores as `<namespace>/<name>`, ClusterSecretStores as `<name>`. */
  readonly stores = new Map<string, Site[]>();
  /** IAM roles by physical name. */
  readonly iamRoles = new Map<string, Site[]>();
  readonly storageClasses = new Map<string, Array<Site & { readonly isDefault: boolean; readonly provisioner: string }>>();
  readonly provisioners = new Map<string, Site[]>();
  readonly advertised = new Map<string, Site[]>();
  readonly nodeSources: Array<Site & { readonly source: NodeSource }> = [];
  readonly karpenterControllers: Site[] = [];
  readonly pods: PodSite[] = [];
  readonly objects: ObjectSite[] = [];
  /** Deployments and Rollouts whose replica count an autoscaler owns: `namespace/name` → maximum replicas. */
  readonly autoscaled = new Map<string, number>();
  /** Karpenter NodeOverlays (`spec` of each), applied to the pools when the controller's `nodeOverlay` gate is on. */
  readonly nodeOverlays: Array<Record<string, Any>> = [];
  nodeOverlayGate = false;
  /** Argo Rollouts by `namespace/name`: their canaries run more pods than their replicas. */
  readonly rollouts = new Map<string, Any>();
  /**
   * Jobs Helm waits for (`wait_for_jobs`) that need data no deploy creates: a promotion Job staging a registered MLflow
   * version, which the environment's MLflow (new in a first deploy, so empty) cannot hold.
   */
  readonly awaitedExternalData: Array<Site & { readonly label: string; readonly needs: string }> = [];
  /** Kueue LocalQueues by `namespace/name`. */
  readonly localQueues = new Map<string, Site[]>();
  /** PersistentVolumeClaims by `namespace/name`, with the PersistentVolume they name (static volumes). */
  readonly claims = new Map<string, Array<Site & { readonly volumeName?: string }>>();
  /** PersistentVolumes by name: the claim they are reserved for (`namespace/name`) and their CSI driver. */
  readonly volumes = new Map<string, Array<Site & { readonly claimRef?: string; readonly driver?: string }>>();
  /** Training runtimes by name (`<namespace>/<name>` for a TrainingRuntime): the pods a TrainJob of it runs. */
  readonly runtimes = new Map<string, Array<Site & { readonly jobs: ReadonlyArray<{ readonly name: string; readonly pod: PodFootprint; readonly claims: readonly string[] }> }>>();

  add<T>(map: Map<string, T[]>, key: string, value: T): void {
    map.set(key, [...(map.get(key) ?? []), value]);
  }
}

/** Built-in API groups (no CRD needed). */
const CORE_GROUPS = new Set(["", "apps", "batch", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "autoscaling", "admissionregistration.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io"]);

export const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");
export const isCore = (apiVersion: string) => CORE_GROUPS.has(groupOf(apiVersion));

/** Namespaces EKS creates with the cluster. */
const CLUSTER_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The footprints the constructs declare, keyed by `<stack> <address>` (see deploy-walk.test.ts). */
export type FootprintIndex = ReadonlyMap<string, { readonly footprint?: ReleaseFootprint; readonly indirect?: ReleaseFootprint }>;

/** Collects what every block of every stack of one environment creates. */
export function buildWorld(stacks: readonly SynthesizedStack[], graphs: ReadonlyMap<string, StackGraph>, footprints: FootprintIndex): ClusterWorld {
  const w = new ClusterWorld();
  for (const s of stacks) {
    const graph = graphs.get(s.id)!;
    const releases = new Map(helmReleases(s).map((r) => [r.address, r]));
    for (const node of graph.nodes.values()) {
      const at: Site = { stack: s.id, address: node.address };
      const cfg = node.config;
      switch (node.type) {
        case "aws_eks_cluster":
          for (const ns of CLUSTER_NAMESPACES) w.add(w.namespaces, ns, at);
          break;
        case "aws_eks_node_group":
          w.nodeSources.push({ ...at, source: nodeGroupSource(cfg.node_group_name, cfg) });
          break;
        case "aws_iam_openid_connect_provider":
          if (String(cfg.url).includes("aws_eks_cluster.")) w.oidcProviders.push(at);
          break;
        case "aws_iam_role":
          if (typeof cfg.name === "string") w.add(w.iamRoles, cfg.name, at);
          break;
        case "aws_eks_pod_identity_association":
          w.add(w.podIdentity, `${cfg.namespace}/${cfg.service_account}`, at);
          break;
        case "kubernetes_namespace_v1":
          w.add(w.namespaces, cfg.metadata.name, at);
          break;
        case "kubernetes_storage_class_v1":
          w.add(w.storageClasses, cfg.metadata.name, { ...at, isDefault: cfg.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true", provisioner: cfg.storage_provisioner });
          break;
        case "aws_eks_addon": {
          const fp = ADDON_FOOTPRINTS[cfg.addon_name];
          if (!fp) throw new Error(`${s.id}: add-on ${cfg.addon_name} has no footprint in constructs/eks/addon-footprints.ts`);
          // An add-on creates its Pod Identity associations itself, before its pods.
          for (const a of blocks<{ service_account: string }>(cfg.pod_identity_association)) w.add(w.podIdentity, `kube-system/${a.service_account}`, at);
          addFootprint(w, at, "kube-system", configuredAddonFootprint(cfg.addon_name, fp, cfg.configuration_values), false);
          break;
        }
        case "helm_release": {
          const release = releases.get(node.address)!;
          const fps = footprints.get(`${s.id} ${node.address}`);
          if (cfg.create_namespace) w.add(w.namespaces, cfg.namespace, at);
          const manifests = release.values.manifests as Array<Record<string, Any>> | undefined;
          if (manifests) addObjects(w, at, cfg.namespace, cfg.create_namespace === true, manifests);
          else if (fps?.footprint) addFootprint(w, at, cfg.namespace, fps.footprint, false);
          else throw new Error(`${s.id}: ${node.address} (chart ${cfg.chart}) declares no footprint`);
          if (fps?.indirect) addFootprint(w, at, cfg.namespace, fps.indirect, true);
          if (manifests && cfg.wait_for_jobs) {
            for (const job of manifests.filter((o) => o.kind === "Job")) {
              const vars = Object.fromEntries(((job.spec.template.spec.containers?.[0]?.env ?? []) as Any[]).map((e) => [e.name, e.value]));
              if (vars.MODE === "stage") w.awaitedExternalData.push({ ...at, label: `Job ${job.metadata.namespace}/${job.metadata.name}`, needs: `version ${vars.VERSION} of ${vars.REGISTERED_MODEL} registered in the environment's MLflow` });
            }
          }
          if (cfg.chart === "karpenter") {
            w.karpenterControllers.push(at);
            if ((release.values.settings as Any)?.featureGates?.nodeOverlay === true) w.nodeOverlayGate = true;
          }
          break;
        }
      }
    }
  }
  applyNodeOverlays(w);
  applyNodeGroupHugePages(w);
  return w;
}

/** A managed node group's EFA types preallocate 2 MiB huge pages (the EFA driver's static capacity, no overlay). */
function applyNodeGroupHugePages(w: ClusterWorld): void {
  w.nodeSources.forEach((site, i) => {
    const source = site.source;
    if (source.kind !== "node-group") return;
    const overlays = new Map<string, Record<string, number>>(source.overlays ?? []);
    for (const t of source.instanceTypes) if (t.efaInterfaces > 0) overlays.set(t.name, { ...(overlays.get(t.name) ?? {}), "hugepages-2Mi": memoryMiB(EFA_HUGE_PAGES_2MI) });
    if (overlays.size) w.nodeSources[i] = { ...site, source: { ...source, overlays } };
  });
}

/** Gives each Karpenter pool the capacity its matching NodeOverlays declare (nothing without the feature gate). */
function applyNodeOverlays(w: ClusterWorld): void {
  if (!w.nodeOverlayGate || !w.nodeOverlays.length) return;
  w.nodeSources.forEach((site, i) => {
    const source = site.source;
    if (source.kind !== "karpenter") return;
    const overlays = new Map<string, Record<string, number>>();
    for (const t of source.instanceTypes) {
      // Higher weight wins; equal weights may not overlap (Karpenter marks such overlays conflicting).
      const matching = w.nodeOverlays.filter((o) => overlayMatches(o.requirements ?? [], source, t)).sort((a, b) => (a.weight ?? 0) - (b.weight ?? 0));
      const capacity = Object.assign({}, ...matching.map((o) => Object.fromEntries(Object.entries(o.capacity ?? {}).map(([k, v]) => [k, extendedQuantity(k, v)]))));
      if (Object.keys(capacity).length) overlays.set(t.name, capacity);
    }
    if (overlays.size) w.nodeSources[i] = { ...site, source: { ...source, overlays } };
  });
}

function addFootprint(w: ClusterWorld, at: Site, namespace: string, fp: ReleaseFootprint, indirect: boolean): void {
  for (const c of fp.crds ?? []) w.add(w.crds, c, at);
  for (const ns of fp.namespaces ?? []) w.add(w.namespaces, ns, at);
  for (const r of fp.advertises ?? []) w.add(w.advertised, r, at);
  for (const p of fp.provisioners ?? []) w.add(w.provisioners, p, at);
  const serviceAccounts = new Set(fp.serviceAccounts ?? []);
  for (const sa of serviceAccounts) w.add(w.serviceAccounts, `${namespace}/${sa}`, at);
  const sameRelease = { serviceAccounts, secrets: new Set<string>(), namespaces: new Set([namespace, ...(fp.namespaces ?? [])]), crds: new Set(fp.crds ?? []) };
  for (const cr of fp.customResources ?? []) {
    w.objects.push({ ...at, groupKind: cr, core: false, label: `${cr} (created by the chart)`, sameReleaseCrds: sameRelease.crds, sameReleaseNamespaces: sameRelease.namespaces });
  }
  for (const pod of fp.pods) {
    const ns = pod.namespace ?? namespace;
    w.pods.push({ ...at, pod, namespace: ns, label: `${pod.kind} ${ns}/${pod.name}`, indirect, templateOnly: false, sameRelease });
  }
}

/** The store an ExternalSecret reads through (generator-only ones have none): a SecretStore of its namespace unless the reference says Cluster. */
function storeOf(o: Record<string, Any>, ns: string): { kind: string; key: string } {
  const ref = o.spec.secretStoreRef ?? {};
  return ref.kind === "ClusterSecretStore" ? { kind: "ClusterSecretStore", key: ref.name } : { kind: "SecretStore", key: `${ns}/${ref.name}` };
}

/** The pod templates of a RayCluster, RayJob or RayService, by group (`head`, `worker <name>`). */
function rayPodTemplates(t: Record<string, Any>): Array<[string, Any]> {
  const cluster = t.kind === "RayCluster" ? t.spec : t.kind === "RayJob" ? t.spec.rayClusterSpec : t.kind === "RayService" ? t.spec.rayClusterConfig : undefined;
  if (!cluster) return [];
  return [["head", cluster.headGroupSpec.template], ...(cluster.workerGroupSpecs ?? []).map((g: Any) => [`worker ${g.groupName}`, g.template] as [string, Any])];
}

/** Objects of an in-repo manifests release: what they provide, and the pods and custom resources they make. */
function addObjects(w: ClusterWorld, at: Site, releaseNamespace: string, createsNamespace: boolean, objects: ReadonlyArray<Record<string, Any>>): void {
  const namespaces = new Set<string>(createsNamespace ? [releaseNamespace] : []);
  const serviceAccounts = new Set<string>();
  const secrets = new Set<string>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? releaseNamespace;
    switch (o.kind) {
      case "Namespace":
        namespaces.add(o.metadata.name);
        w.add(w.namespaces, o.metadata.name, at);
        break;
      case "ServiceAccount":
        serviceAccounts.add(o.metadata.name);
        if (o.metadata.annotations?.["eks.amazonaws.com/role-arn"]) w.irsaServiceAccounts.add(`${ns}/${o.metadata.name}`);
        w.add(w.serviceAccounts, `${ns}/${o.metadata.name}`, at);
        break;
      case "Secret":
        secrets.add(o.metadata.name);
        w.add(w.secrets, `${ns}/${o.metadata.name}`, at);
        break;
      case "ExternalSecret":
        // The operator writes the target Secret asynchronously: only later releases can rely on it.
        w.add(w.secrets, `${ns}/${o.spec.target?.name ?? o.metadata.name}`, at);
        break;
      case "ClusterSecretStore":
        w.add(w.stores, o.metadata.name, at);
        break;
      case "SecretStore":
        w.add(w.stores, `${ns}/${o.metadata.name}`, at);
        break;
      case "NodePool":
        w.nodeSources.push({ ...at, source: nodePoolSource(o) });
        break;
      case "NodeOverlay":
        w.nodeOverlays.push(o.spec);
        break;
      case "ScaledObject":
        if (["Deployment", "Rollout"].includes(o.spec.scaleTargetRef?.kind)) w.autoscaled.set(`${ns}/${o.spec.scaleTargetRef.name}`, o.spec.maxReplicaCount);
        break;
      case "Rollout":
        w.rollouts.set(`${ns}/${o.metadata.name}`, o.spec);
        break;
      case "LocalQueue":
        w.add(w.localQueues, `${ns}/${o.metadata.name}`, at);
        break;
      case "PersistentVolumeClaim":
        w.add(w.claims, `${ns}/${o.metadata.name}`, { ...at, volumeName: o.spec.volumeName });
        break;
      case "PersistentVolume": {
        const ref = o.spec.claimRef;
        w.add(w.volumes, o.metadata.name, { ...at, claimRef: ref ? `${ref.namespace}/${ref.name}` : undefined, driver: o.spec.csi?.driver });
        break;
      }
    }
  }
  const sameRelease = { serviceAccounts, secrets, namespaces, crds: new Set<string>() };
  for (const o of objects) {
    const ns = o.metadata.namespace ?? releaseNamespace;
    const label = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
    if (!isCore(o.apiVersion)) {
      w.objects.push({
        ...at,
        groupKind: `${groupOf(o.apiVersion)}/${o.kind}`,
        core: false,
        label,
        namespace: o.metadata.namespace,
        sameReleaseCrds: sameRelease.crds,
        sameReleaseNamespaces: namespaces,
        ...(o.kind === "ExternalSecret" && o.spec.secretStoreRef ? { store: storeOf(o, ns) } : {}),
        ...(/^(Cluster)?SecretStore$/.test(o.kind) && o.spec.provider?.aws?.role ? { assumesRole: String(o.spec.provider.aws.role).replace(/^.*:role\/(.*\/)?/, "") } : {}),
      });
    } else if (o.metadata.namespace) {
      const oidc = o.kind === "Ingress" ? o.metadata.annotations?.["alb.ingress.kubernetes.io/auth-idp-oidc"] : undefined;
      w.objects.push({
        ...at,
        groupKind: `${groupOf(o.apiVersion)}/${o.kind}`,
        core: true,
        label,
        namespace: o.metadata.namespace,
        sameReleaseCrds: sameRelease.crds,
        sameReleaseNamespaces: namespaces,
        ...(oidc ? { secrets: [JSON.parse(oidc).secretName as string] } : {}),
      });
    }
    const pod = podOfObject(o);
    if (pod) w.pods.push({ ...at, pod, namespace: ns, label, indirect: false, templateOnly: false, sameRelease, claims: claimNamesOf(o) });
    // Workload templates shipped in ConfigMaps (Ray): their pods must reach a pool, and their CRDs exist before users
    // apply them; their claims, queue and service account must exist once the deploy is done.
    if (o.kind === "ConfigMap" && o.metadata.labels?.["ml-platform.io/template"]) {
      for (const text of Object.values((o.data ?? {}) as Record<string, string>)) {
        const t = parseYaml(text) as Record<string, Any>;
        const label = `${t.kind} template ${o.metadata.name}/${t.metadata.name}`;
        w.objects.push({ ...at, groupKind: `${groupOf(t.apiVersion)}/${t.kind}`, core: false, label, namespace: ns, sameReleaseCrds: sameRelease.crds, sameReleaseNamespaces: namespaces });
        for (const [group, template] of rayPodTemplates(t)) {
          const job = { kind: "Job", metadata: { name: `${t.metadata.name}/${group}`, namespace: ns }, spec: { template } };
          const p = podOfObject(job);
          const queue = t.metadata.labels?.["kueue.x-k8s.io/queue-name"] as string | undefined;
          if (p) w.pods.push({ ...at, pod: p, namespace: ns, label: `${label} (${group})`, indirect: false, templateOnly: true, sameRelease, claims: claimNamesOf(job), ...(queue ? { queue } : {}) });
        }
      }
    }
    // Training runtimes are pod templates: their placement must reach a pool, though nothing runs yet; their claims are
    // checked in the namespace of each TrainJob submitted with them (walkDeploy's `submitted`).
    if (o.kind === "ClusterTrainingRuntime" || o.kind === "TrainingRuntime") {
      const jobs: Array<{ name: string; pod: PodFootprint; claims: string[] }> = [];
      for (const job of o.spec.template.spec.replicatedJobs ?? []) {
        const tpl = { kind: "Job", metadata: { name: `${o.metadata.name}/${job.name}`, namespace: ns }, spec: { template: job.template.spec.template } };
        const p = podOfObject(tpl);
        if (p) w.pods.push({ ...at, pod: p, namespace: ns, label: `${o.kind} ${o.metadata.name} (job ${job.name})`, indirect: false, templateOnly: true, sameRelease });
        if (p) jobs.push({ name: job.name, pod: p, claims: claimNamesOf(tpl) });
      }
      w.add(w.runtimes, o.kind === "TrainingRuntime" ? `${ns}/${o.metadata.name}` : o.metadata.name, { ...at, jobs });
    }
  }
}
