import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { GPU_RESOURCE } from "../ml/gpu-scheduling";
import { costAllocationLabels } from "../observability/cost-allocation";
import { nodeShare, maxGpus, type CohortQueue } from "./cohort";
import type { GpuFlavor } from "./flavors";
import { DEFAULT_LOCAL_QUEUE, MANAGED_NAMESPACE_LABEL, teamGroup } from "./names";
import { teamNetworkPolicy, type TeamNetworkProps } from "./network-policy";
import { clusterQueue, listedQuotas, localQueue } from "./queues";

/** API groups and resources team members work with that EKS's namespace-scoped access policies do not cover. */
export const TEAM_ROLE_RULES = [
  { apiGroups: ["trainer.kubeflow.org"], resources: ["trainjobs"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: ["trainer.kubeflow.org"], resources: ["trainjobs/status", "trainingruntimes"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["ray.io"], resources: ["rayjobs", "rayclusters", "rayservices"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: ["ray.io"], resources: ["rayjobs/status", "rayclusters/status", "rayservices/status"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["jobset.x-k8s.io"], resources: ["jobsets"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  // Read only: a LocalQueue names the ClusterQueue it draws from, so creating one could reach another team's quota.
  { apiGroups: ["kueue.x-k8s.io"], resources: ["localqueues", "localqueues/status", "workloads", "workloads/status"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["visibility.kueue.x-k8s.io"], resources: ["localqueues/pendingworkloads"], verbs: ["get"] },
] as const;

/**
 * Requests of a container that sets none (the ResourceQuota needs requests on every pod). No default limit: the
 * TrainJob runtimes set only GPU (and EFA) limits, and a small default memory limit would kill training processes.
 */
export const CONTAINER_DEFAULTS = { defaultRequest: { cpu: "250m", memory: "512Mi" } } as const;

export interface TeamProps {
  readonly name: string;
  readonly costCenter: string;
  /** The cohort's queues (teams and pipelines), to size what this team's GPU quota can hold. */
  readonly cohort: readonly CohortQueue[];
  /** Every flavor of the environment, in cohort order: the queue lists the ones it has quota for in this order. */
  readonly flavors: readonly GpuFlavor[];
  /** Fair-sharing weight of the team's ClusterQueue. */
  readonly weight: number;
  /** CPU and memory for work besides what the nodes of its GPU quota hold. */
  readonly resources: { readonly cpu: number; readonly memoryGiB: number };
  /**
   * GPU resources the environment's pools advertise besides `nvidia.com/gpu` (MIG slices `nvidia.com/mig-<profile>`):
   * no queue covers them and Kueue ignores undeclared resources, so the ResourceQuota holds each at zero.
   */
  readonly unqueuedGpuResources?: readonly string[];
  readonly network: Omit<TeamNetworkProps, "namespace">;
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  /** Physical name of the team's Pod Identity role. */
  readonly roleName: string;
  /** The cohort's ResourceFlavors and Cohort, which the ClusterQueue names. */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One team: a namespace labelled `team`/`cost-center` (the cost tags' keys) and marked for Kueue, restricted by Pod
 * Security `baseline` (namespace-scoped rights must not turn into a node through a privileged pod); its ClusterQueue
 * in the cohort and its LocalQueue `default`, which Kueue applies to every job or pod submitted without a queue; a
 * ResourceQuota on CPU and memory (its own allowance plus what its GPU quota's nodes hold) and on GPUs (the most its
 * queue can hold; none of the GPU resources no queue covers, such as MIG slices) with container defaults, and no LoadBalancer or NodePort Services; the isolating NetworkPolicy; the members' Role; and a Pod Identity role on
 * the namespace's `default` service account that reaches only `teams/<name>/` in the ML buckets.
 */
export class Team extends Construct {
  readonly namespace: NamespaceV1;
  readonly role: PodIdentityRole;
  readonly release: ManifestsRelease;
  readonly name: string;

  constructor(scope: Construct, id: string, props: TeamProps) {
    super(scope, id);
    const ns = props.name;
    this.name = ns;
    const labels = { ...costAllocationLabels({ team: props.name, costCenter: props.costCenter }), "app.kubernetes.io/part-of": "ml-platform" };
    this.namespace = new NamespaceV1(this, "namespace", {
      metadata: {
        name: ns,
        labels: {
          ...labels,
          [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value,
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    });

    // The namespace's default service account: every pod a member starts there may use it anyway (edit rights in
    // the namespace), so a dedicated one adds no boundary and would need a runtime patch in every TrainJob.
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount: "default",
      roleName: props.roleName,
      description: `Pods of team ${props.name}: its prefix teams/${props.name}/ in the ML buckets`,
    });
    props.dataStores.grantTeamData(this.role, props.name);

    // Its dedicated pool first: Kueue tries a queue's flavors in order, and the team pays for that pool used or not.
    const flavors = [...props.flavors.filter((f) => f.owner === ns), ...props.flavors.filter((f) => f.owner !== ns)];
    const gpus = listedQuotas(props.cohort.find((c) => c.name === props.name)?.gpus ?? {}, flavors);
    const most = gpus.map(([flavor]) => [flavor, maxGpus(props.cohort, props.name, flavor)] as const);
    const held = most.map(([flavor, n]) => nodeShare(props.flavors.find((f) => f.name === flavor)!, n));
    const cpu = props.resources.cpu + held.reduce((n, s) => n + s.cpu, 0);
    const memoryGiB = props.resources.memoryGiB + held.reduce((n, s) => n + s.memoryGiB, 0);

    this.release = new ManifestsRelease(this, "release", { releaseName: `team-${ns}`, namespace: ns, dependsOn: [this.namespace, ...(props.dependsOn ?? [])] });
    const objects: KubernetesObject[] = [
      clusterQueue({ name: ns, namespace: ns, gpus, weight: props.weight, labels }),
      localQueue(DEFAULT_LOCAL_QUEUE, ns, ns, labels),
      {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: "team-quota", namespace: ns, labels },
        spec: {
          hard: {
            "requests.cpu": String(cpu),
            "requests.memory": `${memoryGiB}Gi`,
            // The most GPUs Kueue can ever admit for the team: a pod whose scheduling gate a member removes by hand
            // (edit rights allow it) still cannot take more than the queue would give.
            [`requests.${GPU_RESOURCE}`]: String(most.reduce((n, [, g]) => n + g, 0)),
            ...Object.fromEntries((props.unqueuedGpuResources ?? []).map((r) => [`requests.${r}`, "0"])),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "container-defaults", namespace: ns, labels },
        spec: { limits: [{ type: "Container", defaultRequest: { ...CONTAINER_DEFAULTS.defaultRequest } }] },
      },
      teamNetworkPolicy({ ...props.network, namespace: ns }),
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "team-member", namespace: ns, labels },
        rules: TEAM_ROLE_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "team-members", namespace: ns, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "team-member" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: teamGroup(props.name) }],
      },
    ];
    for (const o of objects) this.release.add(o);
  }
}
