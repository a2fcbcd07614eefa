// The `<env>-teams` stack as synthesized for every environment: each team's namespace, queues, quotas and isolation,
// the cohort's objects, Kubeflow Pipelines' queue, and the quota arithmetic against the NodePools the platform renders.
import { EXPOSING_SERVICE_TYPES, EXPOSURE_GUARD } from "../../constructs/tenancy/exposure-guard";
import { COST_CENTER_LABEL, TEAM_LABEL } from "../../constructs/observability/cost-allocation";
import { TEAM_KEY } from "../../constructs/karpenter/pool-labels";
import { maxGpus } from "../../constructs/tenancy/cohort";
import { gpuPools } from "../../constructs/tenancy/flavors";
import { gpuClaims } from "../../environments/lib/gpu-demand";
import { cohortQueues } from "../../environments/lib/tenancy-schema";
import { MANAGED_NAMESPACE_LABEL, PLATFORM_NAMESPACES, teamGroup } from "../../constructs/tenancy/names";
import { validateCustomResource } from "../helpers/crd";
import { EXAMPLE_MODELS, exampleStack } from "../helpers/delivery-examples";
import { release, renderedObjects } from "../helpers/ml-helm";
import { egressAllowed, ingressAllowed } from "../helpers/network-policy";
import { projectEnvironment, projectEnvironments, resources, stack, synthesizeAll } from "../helpers/synth";
import { parse } from "yaml";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENVS = projectEnvironments().map((e) => e.name);
/** Labels of kube-prometheus-stack's Prometheus pods (what its Service selects). */
const PROMETHEUS = { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kube-prometheus-stack-prometheus" };
const q = (queue: Any) => queue.spec.resourceGroups.flatMap((g: Any) => g.flavors);
const objects = (env: string, kind: string) => renderedObjects(stack(`${env}-teams`)).filter(({ obj }) => obj.kind === kind).map(({ obj }) => obj);
const one = (env: string, kind: string, name: string, namespace?: string) => objects(env, kind).find((o) => o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));

/** Σ nominal GPU quota of the rendered ClusterQueues per NodePool, from the ResourceFlavors' pool labels. */
function nominalByPool(queues: Any[], flavors: Any[]): Map<string, number> {
  const poolOf = new Map(flavors.map((f) => [f.metadata.name, f.spec.nodeLabels["node.ml-platform.io/pool"]]));
  const out = new Map<string, number>();
  for (const q of queues) for (const g of q.spec.resourceGroups) for (const f of g.flavors) out.set(poolOf.get(f.name), (out.get(poolOf.get(f.name)) ?? 0) + f.resources.find((r: Any) => r.name === "nvidia.com/gpu").nominalQuota);
  return out;
}

/**
 * The pools whose nominal quotas exceed the rendered NodePool limit minus what the services (Triton at its canaries'
 * peak, vLLM, Ray Serve) may hold there, as the GPU ledger counts them (environments/lib/gpu-demand.ts).
 */
function overcommitted(env: string, queues: Any[], flavors: Any[]): string[] {
  const pools = renderedObjects(stack(`${env}-platform`)).filter(({ obj }) => obj.kind === "NodePool").map(({ obj }) => obj);
  const services = gpuClaims(projectEnvironment(env)).filter((c) => c.kind !== "team" && c.kind !== "pipelines" && c.unit === "nvidia.com/gpu");
  const problems: string[] = [];
  for (const [pool, sum] of nominalByPool(queues, flavors)) {
    const np = pools.find((p) => p.metadata.name === pool);
    // An EFA managed node group has no NodePool: the schema holds it to max size x GPUs.
    if (!np) continue;
    const limit = Number(np.spec.limits["nvidia.com/gpu"]) - services.filter((c) => c.pool === pool).reduce((n, c) => n + c.units, 0);
    if (sum > limit) problems.push(`${pool}: ${sum} > ${limit}`);
  }
  return problems;
}

describe.each(ENVS)("%s: the teams stack", (env) => {
  const e = projectEnvironment(env);
  const teams = e.teams.tenants;

  test("renders its Kueue objects in kueue.x-k8s.io/v1beta2, each valid against the pinned Kueue CRDs", () => {
    const kueue = renderedObjects(stack(`${env}-teams`)).filter(({ obj }) => obj.apiVersion.startsWith("kueue.x-k8s.io/"));
    expect(new Set(kueue.map(({ obj }) => obj.apiVersion))).toEqual(new Set(["kueue.x-k8s.io/v1beta2"]));
    expect(kueue.flatMap(({ obj }) => validateCustomResource(obj).map((p) => `${obj.kind}/${obj.metadata.name}: ${p}`))).toEqual([]);
    expect(new Set(kueue.map(({ obj }) => obj.kind))).toEqual(new Set(["ResourceFlavor", "Cohort", "WorkloadPriorityClass", "ClusterQueue", "LocalQueue"]));
  });

  test("one ResourceFlavor per GPU type and pool: the pool's node labels and its taints as tolerations", () => {
    const flavors = objects(env, "ResourceFlavor");
    const pools = renderedObjects(stack(`${env}-platform`)).filter(({ obj }) => obj.kind === "NodePool").map(({ obj }) => obj);
    expect(flavors.map((f) => f.metadata.name)).toEqual(gpuPools(e).flatMap((p) => p.flavors.map((f) => f.name)));
    for (const f of flavors) {
      const pool = pools.find((p) => p.metadata.name === f.spec.nodeLabels["node.ml-platform.io/pool"]);
      if (!pool) continue; // the EFA managed node group
      expect(pool.spec.template.metadata.labels).toEqual(expect.objectContaining({ "node.ml-platform.io/pool": pool.metadata.name }));
      const taints = (pool.spec.template.spec.taints ?? []) as Any[];
      // A team-dedicated pool's team taint is tolerated by value, so the flavor never tolerates another team's pool.
      expect(f.spec.tolerations).toEqual(taints.map((t) => (t.key === TEAM_KEY ? { key: t.key, operator: "Equal", value: t.value, effect: t.effect } : { key: t.key, operator: "Exists", effect: t.effect })));
    }
  });

  test("one ClusterQueue per team in the cohort, with the environment's quotas, weight and preemption, reachable only from its namespace", () => {
    for (const t of teams) {
      const q = one(env, "ClusterQueue", t.name)!;
      expect(q.spec).toEqual(
        expect.objectContaining({
          cohortName: "ml-platform",
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": t.name } },
          fairSharing: { weight: String(t.priority) },
          preemption: { withinClusterQueue: "LowerPriority", reclaimWithinCohort: "Any", borrowWithinCohort: { policy: "Never" } },
        }),
      );
      const quotas = Object.fromEntries(q.spec.resourceGroups.flatMap((g: Any) => g.flavors.map((f: Any) => [f.name, f.resources[0]])));
      // The file's quotas plus, for a team with a dedicated pool, that pool's flavor (cohortQueues).
      const gpus = cohortQueues(e.teams).find((c) => c.name === t.name)!.gpus;
      expect(Object.keys(quotas).sort()).toEqual(Object.keys(gpus).sort());
      for (const [flavor, quota] of Object.entries(gpus)) {
        expect(quotas[flavor]).toEqual({ name: "nvidia.com/gpu", nominalQuota: quota.nominal, ...(quota.borrowingLimit !== undefined ? { borrowingLimit: quota.borrowingLimit } : {}), ...(quota.lendingLimit !== undefined ? { lendingLimit: quota.lendingLimit } : {}) });
      }
      for (const g of q.spec.resourceGroups) expect(g.coveredResources).toEqual(["nvidia.com/gpu"]);
      expect(one(env, "LocalQueue", "default", t.name)!.spec).toEqual({ clusterQueue: t.name });
    }
    expect(one(env, "Cohort", "ml-platform")).toBeDefined();
    expect(objects(env, "WorkloadPriorityClass").map((p) => [p.metadata.name, p.value])).toEqual([["low", -100], ["normal", 0], ["high", 100]]);
  });

  test("a queue without GPU quota still covers nvidia.com/gpu, at zero on every flavor with no borrowing (IgnoreUndeclared would admit its GPU pods uncounted)", () => {
    const queues = objects(env, "ClusterQueue");
    for (const q of queues) expect([q.metadata.name, q.spec.resourceGroups.map((g: Any) => g.coveredResources)]).toEqual([q.metadata.name, [["nvidia.com/gpu"]]]);
    if (env !== "dev") return;
    // dev gives the pipelines queue no GPUs.
    const flavors = q(one(env, "ClusterQueue", "pipelines")!);
    expect(flavors).toEqual(gpuPools(e).flatMap((p) => p.flavors.map((f) => ({ name: f.name, resources: [{ name: "nvidia.com/gpu", nominalQuota: 0, borrowingLimit: 0 }] }))));
  });

  test("per NodePool, the nominal GPU quotas stay within its limit minus what the services may hold there", () => {
    expect(overcommitted(env, objects(env, "ClusterQueue"), objects(env, "ResourceFlavor"))).toEqual([]);
  });

  test("each team namespace is labelled like the cost tags, marked for Kueue and restricted to Pod Security baseline", () => {
    const namespaces = Object.values(resources(stack(`${env}-teams`), "kubernetes_namespace_v1")).map((n: Any) => n.metadata);
    expect(namespaces.map((n) => n.name).sort()).toEqual(teams.map((t) => t.name).sort());
    for (const t of teams) {
      const labels = namespaces.find((n) => n.name === t.name)!.labels;
      expect(labels).toEqual(
        expect.objectContaining({ [TEAM_LABEL]: t.name, [COST_CENTER_LABEL]: t.costCenter, [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value, "pod-security.kubernetes.io/enforce": "baseline" }),
      );
    }
  });

  test("ResourceQuota: the team's CPU and memory plus what its GPU quota's nodes hold, GPUs up to what its queue can hold; no load balancers or node ports; container defaults", () => {
    for (const t of teams) {
      const hard = one(env, "ResourceQuota", "team-quota", t.name)!.spec.hard;
      expect(Number(hard["requests.cpu"])).toBeGreaterThanOrEqual(t.resources.cpu);
      expect(Number(String(hard["requests.memory"]).replace(/Gi$/, ""))).toBeGreaterThanOrEqual(t.resources.memoryGiB);
      expect({ lb: hard["services.loadbalancers"], np: hard["services.nodeports"] }).toEqual({ lb: "0", np: "0" });
      const queues = cohortQueues(e.teams);
      const gpus = queues.find((c) => c.name === t.name)!.gpus;
      expect([t.name, hard["requests.nvidia.com/gpu"]]).toEqual([t.name, String(Object.keys(gpus).reduce((n, f) => n + maxGpus(queues, t.name, f), 0))]);
      // Requests only: a default memory limit would apply to the TrainJob runtimes' containers, which set GPU limits only.
      expect(one(env, "LimitRange", "container-defaults", t.name)!.spec.limits).toEqual([{ type: "Container", defaultRequest: { cpu: "250m", memory: "512Mi" } }]);
    }
    // By hand: staging's vision holds 8 L40S and may borrow 4 of nlp's (its lending limit), 2 L4 and the pipelines' 2, and
    // the 4 L4 of its dedicated pool.
    if (env === "staging") expect(one(env, "ResourceQuota", "team-quota", "vision")!.spec.hard["requests.nvidia.com/gpu"]).toBe("20");
  });

  test("ResourceQuota: none of the GPU resources the pools advertise that no queue covers (MIG slices), which Kueue would admit uncounted", () => {
    // What Karpenter is told the shared pools' nodes offer (NodeOverlays), read from the rendered platform stack.
    const overlays = renderedObjects(stack(`${env}-platform`)).filter(({ obj }) => obj.kind === "NodeOverlay");
    const advertised = [...new Set(overlays.flatMap(({ obj }) => Object.keys(obj.spec.capacity ?? {})))].filter((r) => r.startsWith("nvidia.com/") && r !== "nvidia.com/gpu");
    if (env === "prod") expect(advertised).toContain("nvidia.com/mig-1g.10gb");
    for (const t of teams) {
      const hard = one(env, "ResourceQuota", "team-quota", t.name)!.spec.hard;
      expect([t.name, Object.fromEntries(advertised.map((r) => [r, hard[`requests.${r}`]]))]).toEqual([t.name, Object.fromEntries(advertised.map((r) => [r, "0"]))]);
    }
  });

  test("Kubeflow Pipelines: a shared ClusterQueue and its LocalQueue in kubeflow, the namespace marked after the LocalQueue exists, and pipeline pods labelled for it", () => {
    expect(one(env, "ClusterQueue", "pipelines")!.spec.namespaceSelector).toEqual({ matchLabels: { "kubernetes.io/metadata.name": "kubeflow" } });
    expect(one(env, "LocalQueue", "pipelines", "kubeflow")!.spec).toEqual({ clusterQueue: "pipelines" });
    const [label] = Object.values(resources(stack(`${env}-teams`), "kubernetes_labels")) as Any[];
    expect(label).toEqual(expect.objectContaining({ api_version: "v1", kind: "Namespace", metadata: { name: "kubeflow" }, labels: { [MANAGED_NAMESPACE_LABEL.key]: MANAGED_NAMESPACE_LABEL.value } }));
    expect(label.depends_on).toEqual([`helm_release.${Object.entries(resources(stack(`${env}-teams`), "helm_release")).find(([, r]) => (r as Any).name === "team-queues")![0]}`]);
    const apps = release(stack(`${env}-ml`), "kubeflow-pipelines").values.manifests.find((o: Any) => o.kind === "Application" && o.metadata.name === "kubeflow-pipelines");
    const cm = apps.spec.source.kustomize.patches.map((p: Any) => parse(p.patch)).find((p: Any) => p.metadata.name === "workflow-controller-configmap");
    expect(parse(cm.data.workflowDefaults)).toEqual({ spec: { podMetadata: { labels: { "kueue.x-k8s.io/queue-name": "pipelines" } } } });
  });

  test("the members' Role covers TrainJobs, Ray and JobSets, reads queues and workloads, and is bound to the team's group only", () => {
    for (const t of teams) {
      const role = one(env, "Role", "team-member", t.name)!;
      const verbs = (group: string, resource: string) => role.rules.filter((r: Any) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r: Any) => r.verbs);
      expect(verbs("trainer.kubeflow.org", "trainjobs")).toEqual(expect.arrayContaining(["create", "delete"]));
      expect(verbs("ray.io", "rayjobs")).toEqual(expect.arrayContaining(["create", "delete"]));
      expect(verbs("kueue.x-k8s.io", "localqueues")).toEqual(["get", "list", "watch"]);
      expect(role.rules.flatMap((r: Any) => [...r.verbs, ...r.resources, ...r.apiGroups])).not.toContain("*");
      expect(one(env, "RoleBinding", "team-members", t.name)!.subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: teamGroup(t.name) }]);
    }
  });
});

describe.each(ENVS.filter((env) => projectEnvironment(env).teams.tenants.length))("%s: the default NetworkPolicy of a team namespace", (env) => {
  const e = projectEnvironment(env);
  const [a, b] = [e.teams.tenants[0].name, e.teams.tenants[1]?.name ?? "other-team"];
  const policy = one(env, "NetworkPolicy", "team-isolation", a)!;
  const vpcIp = e.network.vpcCidr.replace(/\.0\/\d+$/, ".17").replace(/\.0\.17$/, ".4.17");
  const tcp = (port: number) => ({ protocol: "TCP" as const, port });

  test("selects every pod of the namespace, both directions", () => {
    expect(policy.spec.podSelector).toEqual({});
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  test("isolates teams from each other: nothing from another team's namespace gets in, on any port", () => {
    for (const port of [80, 443, 8265, 29500]) expect(ingressAllowed(policy, { namespace: b, labels: { app: "x" }, ip: vpcIp }, tcp(port))).toBe(false);
    expect(ingressAllowed(policy, { namespace: a, labels: { app: "trainer" } }, tcp(29500))).toBe(true);
    expect(ingressAllowed(policy, { namespace: "monitoring", labels: PROMETHEUS }, tcp(8080))).toBe(true);
    // Only Prometheus of the monitoring namespace: Grafana or Alertmanager never call into team pods.
    expect(ingressAllowed(policy, { namespace: "monitoring", labels: { "app.kubernetes.io/name": "grafana" } }, tcp(8080))).toBe(false);
    // The KubeRay operator reads RayJob status from the Ray head's dashboard.
    expect(ingressAllowed(policy, { namespace: "kuberay", labels: { "app.kubernetes.io/name": "kuberay-operator" } }, tcp(8265))).toBe(true);
    expect(ingressAllowed(policy, { namespace: "kubeflow", labels: {} }, tcp(8265))).toBe(false);
    expect(egressAllowed(policy, { namespace: b, labels: {} }, tcp(8080))).toBe(false);
  });

  test("lets pods resolve names, reach the platform services, the Pod Identity agent, the API server and S3, and nothing else", () => {
    const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
    expect([egressAllowed(policy, dns, { protocol: "UDP", port: 53 }), egressAllowed(policy, dns, tcp(53)), egressAllowed(policy, dns, { protocol: "UDP", port: 5353 })]).toEqual([true, true, false]);
    expect(egressAllowed(policy, { namespace: "kube-system", labels: { "app.kubernetes.io/name": "karpenter" } }, tcp(8080))).toBe(false);
    for (const ns of ["mlflow", "feast", "triton", "monitoring", "kubeflow"]) expect([ns, egressAllowed(policy, { namespace: ns, labels: {} }, tcp(8000))]).toEqual([ns, false]);
    for (const ns of PLATFORM_NAMESPACES.filter((n) => !["mlflow", "feast", "triton", "monitoring", "kubeflow", "kube-system"].includes(n))) {
      expect([ns, egressAllowed(policy, { namespace: ns, labels: {} }, tcp(8080))]).toEqual([ns, false]);
    }
    expect(egressAllowed(policy, { ip: "169.254.170.23" }, tcp(80))).toBe(true);
    expect([egressAllowed(policy, { ip: "169.254.169.254" }, tcp(80)), egressAllowed(policy, { ip: "169.254.169.254" }, tcp(443))]).toEqual([false, false]);
    expect([egressAllowed(policy, { ip: vpcIp }, tcp(443)), egressAllowed(policy, { ip: vpcIp }, tcp(22))]).toEqual([true, false]);
    // kubernetes.default as the pod dials it (the policy agent sees the ClusterIP, before kube-proxy's translation).
    expect(["172.20.0.1", "10.100.0.1", "172.20.0.10", "10.100.7.7"].map((ip) => egressAllowed(policy, { ip }, tcp(443)))).toEqual([true, true, false, false]);
    // S3 through the gateway endpoint: its public addresses on 443 (an address of s3.us-east-1.amazonaws.com's ranges).
    expect([egressAllowed(policy, { ip: "52.217.45.110" }, tcp(443)), egressAllowed(policy, { ip: "52.217.45.110" }, tcp(80))]).toEqual([true, false]);
    expect(egressAllowed(policy, { ip: "192.168.1.10" }, tcp(443))).toBe(false);
  });
});

describe.each(ENVS.filter((env) => projectEnvironment(env).teams.tenants.length))("%s: what a team's pods reach of the platform services", (env) => {
  const policy = one(env, "NetworkPolicy", "team-isolation", projectEnvironment(env).teams.tenants[0].name)!;
  const tcp = (port: number) => ({ protocol: "TCP" as const, port });
  const reach = (namespace: string, labels: Record<string, string>, port: number) => egressAllowed(policy, { namespace, labels }, tcp(port));

  test("Prometheus's query API only: not Alertmanager's API, Grafana, the operator or the exporters", () => {
    expect(reach("monitoring", PROMETHEUS, 9090)).toBe(true);
    expect([reach("monitoring", PROMETHEUS, 8080), reach("monitoring", PROMETHEUS, 10901)]).toEqual([false, false]);
    const alertmanager = { "app.kubernetes.io/name": "alertmanager", "alertmanager": "kube-prometheus-stack-alertmanager" };
    expect([reach("monitoring", alertmanager, 9093), reach("monitoring", alertmanager, 9090)]).toEqual([false, false]);
    expect([reach("monitoring", { "app.kubernetes.io/name": "grafana" }, 3000), reach("monitoring", { "app.kubernetes.io/name": "kube-state-metrics" }, 8080)]).toEqual([false, false]);
    // The label alone is not enough: another Prometheus in the namespace (a second CR) is not the platform's.
    expect(reach("monitoring", { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "other" }, 9090)).toBe(false);
  });

  test("the Kubeflow Pipelines API (HTTP and gRPC) only: not its MySQL, metadata store, UI or workflow controller", () => {
    expect([reach("kubeflow", { app: "ml-pipeline" }, 8888), reach("kubeflow", { app: "ml-pipeline" }, 8887)]).toEqual([true, true]);
    expect(reach("kubeflow", { app: "mysql" }, 3306)).toBe(false);
    expect(reach("kubeflow", { component: "metadata-grpc-server" }, 8080)).toBe(false);
    expect(reach("kubeflow", { app: "ml-pipeline-ui" }, 3000)).toBe(false);
    expect(reach("kubeflow", { app: "workflow-controller" }, 9090)).toBe(false);
  });

  test("MLflow's server, Feast's online server and every served Triton model on their serving ports, nothing else there", () => {
    expect(reach("mlflow", { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow" }, 5000)).toBe(true);
    expect(reach("mlflow", { "app.kubernetes.io/name": "mlflow-db-login" }, 5000)).toBe(false);
    const feast = { "app.kubernetes.io/name": "feast-feature-server", "app.kubernetes.io/instance": "feast-feature-server" };
    expect([reach("feast", feast, 6566), reach("feast", feast, 8000)]).toEqual([true, false]);
    // Triton's Rollouts as the ML stack renders them once a model is served (the shipped files serve none; the
    // delivery examples add one, test/helpers/delivery-examples.ts): HTTP and gRPC, not the metrics port.
    // A fork (test/fork.verify.ts) has no example of its own: the checks above cover it.
    if (!(env in EXAMPLE_MODELS)) return;
    const tritons = renderedObjects(exampleStack(`${env}-ml`)).filter(({ obj }) => obj.kind === "Rollout" && obj.metadata.namespace === "triton").map(({ obj }) => obj);
    expect(tritons.length).toBeGreaterThan(0);
    for (const r of tritons) {
      const ports = Object.fromEntries(r.spec.template.spec.containers.flatMap((c: Any) => c.ports ?? []).map((p: Any) => [p.name, reach("triton", r.spec.template.metadata.labels, p.containerPort)]));
      expect([r.metadata.name, ports]).toEqual([r.metadata.name, { http: true, grpc: true, metrics: false }]);
    }
  });
});

test.each(ENVS)("%s: team members may not create, change or delete NetworkPolicies (their edit access policy allows it), by an admission policy in Deny mode", (env) => {
  const policy = one(env, "ValidatingAdmissionPolicy", "ml-platform-team-network-policies")!;
  expect(policy.spec.failurePolicy).toBe("Fail");
  expect(policy.spec.matchConstraints.resourceRules).toEqual([expect.objectContaining({ apiGroups: expect.arrayContaining(["networking.k8s.io"]), resources: ["networkpolicies"], operations: ["CREATE", "UPDATE", "DELETE"] })]);
  // The rule names the prefix of the groups the teams' access entries give their members (evaluated in *.verify.ts).
  expect(policy.spec.validations[0].expression).toContain(`'${teamGroup("")}'`);
  expect(one(env, "ValidatingAdmissionPolicyBinding", "ml-platform-team-network-policies")!.spec).toEqual({ policyName: "ml-platform-team-network-policies", validationActions: ["Deny"] });
});

test.each(ENVS)("%s: team members may not create or change Ingresses or LoadBalancer/NodePort Services (their edit access policy allows both), by an admission policy in Deny mode", (env) => {
  const policy = one(env, "ValidatingAdmissionPolicy", EXPOSURE_GUARD)!;
  expect(policy.spec.failurePolicy).toBe("Fail");
  expect(policy.spec.matchConstraints.resourceRules).toEqual([
    { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] },
    { apiGroups: ["networking.k8s.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["ingresses"] },
  ]);
  // The rule names the teams' group prefix and both exposing Service types (evaluated in *.verify.ts).
  expect(policy.spec.validations[0].expression).toContain(`'${teamGroup("")}'`);
  for (const t of EXPOSING_SERVICE_TYPES) expect(policy.spec.validations[0].expression).toContain(`'${t}'`);
  expect(one(env, "ValidatingAdmissionPolicyBinding", EXPOSURE_GUARD)!.spec).toEqual({ policyName: EXPOSURE_GUARD, validationActions: ["Deny"] });
});

test("the platform namespaces no team may take are every namespace the stacks use, teams excepted", () => {
  const used = new Set<string>();
  for (const s of synthesizeAll().stacks) {
    for (const r of Object.values(resources(s, "helm_release")) as Any[]) used.add(r.namespace);
    for (const { obj } of renderedObjects(s)) if (obj.metadata.namespace) used.add(obj.metadata.namespace);
    for (const n of Object.values(resources(s, "kubernetes_namespace_v1")) as Any[]) used.add(n.metadata.name);
    for (const a of Object.values(resources(s, "aws_eks_pod_identity_association")) as Any[]) used.add(a.namespace);
  }
  const teams = new Set(projectEnvironments().flatMap((e) => e.teams.tenants.map((t) => t.name)));
  const platform = [...used].filter((n) => !teams.has(n)).sort();
  expect(platform.filter((n) => !PLATFORM_NAMESPACES.includes(n))).toEqual([]);
});

test("the quota arithmetic catches a ClusterQueue that overcommits a pool", () => {
  const flavors = objects("staging", "ResourceFlavor");
  const extra = { spec: { resourceGroups: [{ flavors: [{ name: "gpu-training-l40s", resources: [{ name: "nvidia.com/gpu", nominalQuota: 1 }] }] }] } };
  expect(overcommitted("staging", [...objects("staging", "ClusterQueue"), extra], flavors)).toEqual(["gpu-training: 17 > 16"]);
});
