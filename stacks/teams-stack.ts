import { Labels } from "@cdktf/provider-kubernetes/lib/labels";
import { Construct } from "constructs";
import { ClusterAccess } from "../constructs/kubernetes/cluster-access";
import { ManifestsRelease } from "../constructs/kubernetes/manifests-release";
import { TRITON_PORTS } from "../constructs/ml/triton";
import { KUBE_PROMETHEUS_STACK_RELEASE, MONITORING_NAMESPACE, PROMETHEUS_PORT, TRITON } from "../constructs/observability/targets";
import { dedicatedPoolGuard } from "../constructs/tenancy/dedicated-pool-guard";
import { gpuFlavors } from "../constructs/tenancy/flavors";
import { KUBERAY_NAMESPACE, KUEUE_NAMESPACE, MANAGED_NAMESPACE_LABEL, PIPELINES_NAMESPACE, PIPELINES_QUEUE, teamGroup } from "../constructs/tenancy/names";
import { clusterQueue, cohort, listedQuotas, localQueue, resourceFlavor, workloadPriorityClasses } from "../constructs/tenancy/queues";
import { teamExposureGuard } from "../constructs/tenancy/exposure-guard";
import { teamNetworkPolicyGuard, type ServicePods } from "../constructs/tenancy/network-policy";
import { Team } from "../constructs/tenancy/team";
import { TeamAccess } from "../constructs/tenancy/team-access";
import { cohortQueues } from "../environments/lib/tenancy-schema";
import type { Environment } from "../environments/lib/schema";
import { EnvironmentStack } from "./environment-stack";
import type { FoundationStack } from "./foundation-stack";
import type { MlStack } from "./ml-stack";
import { namePrefix } from "./naming";
import { TeamTrainingStorage } from "./teams/training-storage";
import { teamRayTemplates } from "./teams/ray-templates";
import { rayPodMonitor } from "./ml/serving";
import { devicePluginConfigs } from "../constructs/serving/gpu-sharing";
import { GPU_RESOURCE } from "../constructs/ml/gpu-scheduling";
import { sharedPools } from "./platform/serving";

/**
 * Prometheus's pods: the labels kube-prometheus-stack 88.5.3's Service `kube-prometheus-stack-prometheus` selects
 * (templates/prometheus/service.yaml: `app.kubernetes.io/name: prometheus`, `operator.prometheus.io/name: <crname>`).
 */
const PROMETHEUS_PODS = { namespace: MONITORING_NAMESPACE, podLabels: { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": `${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus` } };

/**
 * Platform services team pods call, by pod and container port: MLflow's server (chart 1.11.5 `service.containerPort`
 * 5000), Feast's online feature server (chart 0.66.0, mode `online`: 6566), Triton's HTTP and gRPC, Prometheus's
 * query API, and the Kubeflow Pipelines API server (`app: ml-pipeline`, 8888 HTTP and 8887 gRPC, KFP 2.17.0 manifests).
 */
const SERVICES: ServicePods[] = [
  { namespace: "mlflow", podLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow" }, ports: [5000] },
  { namespace: "feast", podLabels: { "app.kubernetes.io/name": "feast-feature-server", "app.kubernetes.io/instance": "feast-feature-server" }, ports: [6566] },
  { namespace: TRITON.namespace, podLabels: { "app.kubernetes.io/component": "inference-server" }, ports: [TRITON_PORTS.http, TRITON_PORTS.grpc] },
  { ...PROMETHEUS_PODS, ports: [PROMETHEUS_PORT] },
  { namespace: PIPELINES_NAMESPACE, podLabels: { app: "ml-pipeline" }, ports: [8888, 8887] },
];

/** Pods that call into team pods: Prometheus scraping them, the KubeRay operator (alone in its namespace) polling Ray jobs. */
const CALLERS = [PROMETHEUS_PODS, { namespace: KUBERAY_NAMESPACE }];

/**
 * `<env>-teams`: the teams sharing the cluster (docs/tenancy.md), applied after the ML stack. Adding a team is the most
 * frequent change of a platform like this one; in a stack of its own its plan holds only the teams' objects and its
 * apply cannot touch the platform or the ML services. It holds the cohort's queue objects (ResourceFlavors from the
 * pools, the Cohort, WorkloadPriorityClasses, the pipelines queue and its LocalQueue in `kubeflow`, which it marks for
 * Kueue, and the admission policy keeping members off NetworkPolicies), one Team per entry of the environment's `teams`
 * section with the training claims the TrainJob runtimes mount (stacks/teams/training-storage.ts), and the members'
 * access entries. It reads the cluster, the ML buckets and the training storage from the foundation (the CSI drivers
 * are the foundation's and the platform's); Kueue's CRDs come from the platform stack, `kubeflow` from the ML
 * stack, hence the dependency.
 */
export class TeamsStack extends EnvironmentStack {
  readonly access: ClusterAccess;
  /** The cohort's shared queue objects. */
  readonly queues: ManifestsRelease;
  readonly teams: Team[] = [];
  readonly members: TeamAccess;

  constructor(scope: Construct, env: Environment, foundation: FoundationStack, ml: MlStack) {
    super(scope, env, "teams");
    this.addDependency(ml);
    const cluster = foundation.cluster;
    this.access = new ClusterAccess(this, "cluster-access", {
      clusterName: cluster.clusterName,
      clusterEndpoint: cluster.clusterEndpoint,
      clusterCertificateAuthority: cluster.clusterCertificateAuthority,
      region: env.account.region,
    });

    const flavors = gpuFlavors(env);
    const queues = cohortQueues(env.teams);
    const pipelines = env.teams.pipelines;
    const unqueued = devicePluginConfigs(sharedPools(env)).advertises.filter((r) => r !== GPU_RESOURCE);
    this.queues = new ManifestsRelease(this, "queues", { releaseName: "team-queues", namespace: KUEUE_NAMESPACE });
    for (const f of flavors) this.queues.add(resourceFlavor(f));
    this.queues.add(cohort());
    for (const p of workloadPriorityClasses()) this.queues.add(p);
    // Cluster-wide like the queue objects: members' edit rights include NetworkPolicies, admission takes them back.
    for (const o of teamNetworkPolicyGuard(teamGroup(""))) this.queues.add(o);
    // ...and Ingresses and LoadBalancer/NodePort Services, which would open the team's pods outside the VPC.
    for (const o of teamExposureGuard(teamGroup(""))) this.queues.add(o);
    // Pods may tolerate a dedicated pool's team taint only for their own team (only where such a pool exists).
    if (env.teams.tenants.some((t) => t.dedicatedPool)) for (const o of dedicatedPoolGuard()) this.queues.add(o);
    // Flavors in the cohort's order (pool, then GPU): Kueue tries a queue's flavors in the order it lists them.
    this.queues.add(clusterQueue({ name: PIPELINES_QUEUE, namespace: PIPELINES_NAMESPACE, gpus: listedQuotas(pipelines.gpus, flavors), weight: pipelines.priority }));
    this.queues.add(localQueue(PIPELINES_QUEUE, PIPELINES_NAMESPACE, PIPELINES_QUEUE));

    // Kubeflow Pipelines' pods carry the pipelines queue's label (ml stack); Kueue manages them once their namespace
    // is marked, which waits for the LocalQueue they name.
    new Labels(this, "kubeflow-managed", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: PIPELINES_NAMESPACE },
      labels: { [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value },
      fieldManager: "ml-platform-teams",
      dependsOn: [this.queues.release],
    });

    for (const t of env.teams.tenants) {
      const team = new Team(this, `team-${t.name}`, {
        name: t.name,
        costCenter: t.costCenter,
        cohort: queues,
        flavors,
        weight: t.priority,
        resources: t.resources,
        unqueuedGpuResources: unqueued,
        network: { vpcCidr: env.network.vpcCidr, services: SERVICES, callers: CALLERS },
        cluster,
        dataStores: foundation.mlData,
        roleName: `${namePrefix(env)}-team-${t.name}`,
        dependsOn: [this.queues.release],
      });
      // The training claims the TrainJob runtimes mount, in the team's namespace (the runtimes are cluster-wide).
      const storage = new TeamTrainingStorage(this, `team-${t.name}-storage`, { env, foundation, team: t.name, role: team.role });
      for (const o of storage.objects) team.release.add(o);
      // The Ray training templates beside the claims they mount, queued in the team's LocalQueue (stacks/teams/ray-templates.ts).
      const ray = teamRayTemplates(env, t.name);
      if (ray) for (const o of [ray, rayPodMonitor(t.name)]) team.release.add(o);
      this.teams.push(team);
    }
    this.members = new TeamAccess(this, "members", { clusterName: cluster.clusterName, teams: env.teams.tenants });
  }
}
