import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { TRAINING_NAMESPACE } from "../../constructs/resilience/training-storage-layout";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { docExamples } from "../helpers/doc-examples";
import { helmReleases } from "../helpers/manifests";
import { walkDeploy, type WalkInput } from "../helpers/deploy-walk/walk";
import { synthesizeExamples } from "../helpers/delivery-examples";
import { projectEnvironments, synthesizeAll, type SynthesizedStack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

type Manifest = { stacks: Record<string, { dependencies: string[] }> };
const synths = { project: synthesizeAll(), example: synthesizeExamples() };
const manifests = Object.fromEntries(Object.entries(synths).map(([k, v]) => [k, JSON.parse(readFileSync(join(v.outdir, "manifest.json"), "utf8")) as Manifest]));
// The example environments differ only in their models, which declare no footprint: the keys are the same.
const footprints = declaredFootprints(projectEnvironments());

/** The docs' TrainJob examples (docs/tenancy.md, docs/ml-services.md), as users submit them. */
const DOC_TRAINJOBS = ["tenancy.md", "ml-services.md"].flatMap((d) => docExamples(d, "TrainJob"));

/**
 * What users submit once `env` is deployed: a TrainJob of every runtime in `training` and in every team namespace, and
 * the docs' examples whose team the environment has. Their pods must find every claim their runtime mounts there.
 */
function trainJobsOf(env: string, stacks: readonly SynthesizedStack[]): Any[] {
  const runtimes = stacks.flatMap((s) => helmReleases(s)).flatMap((r) => ((r.values.manifests ?? []) as Any[]).filter((o) => o.kind === "ClusterTrainingRuntime").map((o) => o.metadata.name as string));
  const teams = projectEnvironments().find((e) => e.name === env)!.teams.tenants.map((t) => t.name);
  const jobs = [TRAINING_NAMESPACE, ...teams].flatMap((ns) => runtimes.map((r) => ({ apiVersion: "trainer.kubeflow.org/v1alpha1", kind: "TrainJob", metadata: { name: `${r}-job`, namespace: ns }, spec: { runtimeRef: { name: r } } })));
  return [...jobs, ...DOC_TRAINJOBS.filter((j) => teams.includes(j.metadata.namespace))];
}

const inputs = new Map<string, WalkInput>();

/** The first deploy of a shipped environment, or of its example with docs/delivery.md's models (`example`). */
function inputFor(env: string, source: keyof typeof synths = "project"): WalkInput {
  const key = `${source} ${env}`;
  if (inputs.has(key)) return inputs.get(key)!;
  const manifest = manifests[source];
  const stacks = synths[source].stacks.filter((s) => s.id.startsWith(`${env}-`) && manifest.stacks[s.id]);
  const input = { stacks, dependencies: Object.fromEntries(stacks.map((s) => [s.id, manifest.stacks[s.id].dependencies])), footprints, submitted: trainJobsOf(env, stacks) };
  inputs.set(key, input);
  return input;
}

/** The walk of `env` (its example with models by default) after `change` edits a deep copy of its stacks (and stack graph). */
function walkChanged(env: string, change: (stacks: Record<string, Any>, deps: Record<string, string[]>) => void, source: keyof typeof synths = "example") {
  const input = inputFor(env, source);
  const stacks: SynthesizedStack[] = input.stacks.map((s) => ({ ...s, json: structuredClone(s.json) }));
  const deps = structuredClone(input.dependencies) as Record<string, string[]>;
  change(Object.fromEntries(stacks.map((s) => [s.id, s.json])), deps);
  return walkDeploy({ ...input, stacks, dependencies: deps });
}

/** The helm_release of a stack whose release name is `name`. */
function releaseOf(json: Any, name: string): Any {
  const found = Object.values(json.resource.helm_release as Record<string, Any>).find((r) => r.name === name);
  if (!found) throw new Error(`no release ${name}`);
  return found;
}

/** Drops every depends_on entry of a release that matches `pattern`. */
function dropDependency(json: Any, release: string, pattern: RegExp): void {
  const r = releaseOf(json, release);
  r.depends_on = (r.depends_on as string[]).filter((d) => !pattern.test(d));
}

describe.each(projectEnvironments().map((e) => e.name))("%s: the first deploy, walked", (env) => {
  const result = walkDeploy(inputFor(env));

  test("every object finds its CRD, namespace, service account, Pod Identity, Secrets, storage and nodes before it", () => {
    expect(result.findings).toEqual([]);
  });

  test("TrainJobs of every runtime are walked in training and every team namespace, the docs' examples with them", () => {
    const input = inputFor(env);
    const namespaces = new Set(input.submitted!.map((j) => j.metadata.namespace));
    expect(namespaces).toEqual(new Set([TRAINING_NAMESPACE, ...projectEnvironments().find((e) => e.name === env)!.teams.tenants.map((t) => t.name)]));
    if (env !== "dev") expect(input.submitted!.filter((j) => DOC_TRAINJOBS.includes(j))).not.toHaveLength(0);
  });

  test("the system node group holds what must run there (controllers, CoreDNS, EBS CSI) with its DaemonSets, at its desired size", () => {
    const [system] = result.nodeGroups.filter((g) => g.source === "node group system");
    const sys = projectEnvironments().find((e) => e.name === env)!.cluster.systemNodeGroup;
    expect(system.nodes).toBe(sys.desiredSize);
    expect(system.pinned.pods).toBeGreaterThanOrEqual(10);
    expect(system.nodes * (system.perNode.cpuMilli - system.daemonSetsPerNode.cpuMilli)).toBeGreaterThanOrEqual(system.pinned.cpuMilli);
    expect(system.nodes * (system.perNode.memoryMiB - system.daemonSetsPerNode.memoryMiB)).toBeGreaterThanOrEqual(system.pinned.memoryMiB);
  });
});

describe.each(["dev", "staging", "prod"])("%s with its example model (docs/delivery.md), walked", (env) => {
  const result = walkDeploy(inputFor(env, "example"));

  test("every object finds its prerequisites; a pinned version stops a first deploy, which is why no shipped file pins one", () => {
    // dev follows its alias (nothing to stage at apply); staging and prod pin version 7, which a new MLflow lacks.
    const stops = env === "dev" ? [] : [expect.stringMatching(new RegExp(`^${env}-ml: helm_release\\.delivery_promotion-churn_release_\\w+ \\(Job ml-delivery/promote-churn-v7-[0-9a-f]{8}\\): Helm waits for it, and it needs version 7 of churn registered in the environment's MLflow, which a first deploy creates empty$`))];
    expect(result.findings).toEqual(stops);
  });
});

/** Edits the manifests of release `name` of a stack. */
function editManifests(json: Any, name: string, edit: (objects: Any[]) => Any[]): void {
  const r = releaseOf(json, name);
  const values = parse(r.values[0]);
  values.manifests = edit(values.manifests);
  r.values = [stringify(values)];
}

describe("the walk catches what a first deploy would trip on", () => {
  test("a team namespace without the training claims: its TrainJobs' pods would stay Pending", () => {
    const r = walkChanged("dev", (s) => editManifests(s["dev-teams"], "team-sandbox", (objects) => objects.filter((o) => !/^Persistent/.test(o.kind))));
    expect(r.findings).toEqual(
      expect.arrayContaining([
        "submitted: TrainJob sandbox/torch-distributed-job (runtime torch-distributed, job node): PersistentVolumeClaim sandbox/training-checkpoints-s3 is created by nothing in the deploy",
        "submitted: TrainJob sandbox/torch-distributed-job (runtime torch-distributed, job node): PersistentVolumeClaim sandbox/training-datasets is created by nothing in the deploy",
      ]),
    );
    // The Ray templates shipped beside the claims mount them too.
    expect(r.findings).toEqual(expect.arrayContaining([expect.stringMatching(/^dev-teams: helm_release\.team-sandbox_release_\w+ \(RayJob template ray-templates\/distributed-training \(worker gpu-workers\)\): PersistentVolumeClaim sandbox\/training-checkpoints-s3 is created by nothing in the deploy$/)]));
    expect(r.findings.every((f) => f.startsWith("submitted: TrainJob sandbox/") || /^dev-teams: .* \(Ray(Job|Cluster) template ray-templates\/[\w-]+ \((head|worker gpu-workers)\)\): PersistentVolumeClaim sandbox\//.test(f))).toBe(true);
  });

  test("a team namespace without its LocalQueue: its Ray templates name a queue that does not exist and would never be admitted", () => {
    const r = walkChanged("dev", (s) => editManifests(s["dev-teams"], "team-sandbox", (objects) => objects.filter((o) => o.kind !== "LocalQueue")));
    expect(r.findings).toEqual([
      expect.stringMatching(/^dev-teams: helm_release\.team-sandbox_release_\w+ \(RayCluster template ray-templates\/gpu-cluster \(head\)\): LocalQueue sandbox\/default \(its queue label\) is created by nothing in the deploy$/),
      expect.stringMatching(/\(RayCluster template ray-templates\/gpu-cluster \(worker gpu-workers\)\): LocalQueue sandbox\/default/),
      expect.stringMatching(/\(RayJob template ray-templates\/distributed-training \(head\)\): LocalQueue sandbox\/default/),
      expect.stringMatching(/\(RayJob template ray-templates\/distributed-training \(worker gpu-workers\)\): LocalQueue sandbox\/default/),
    ]);
  });

  test("the RayService without its service account", () => {
    const r = walkChanged("dev", (s) => editManifests(s["dev-ml"], "ray-templates", (objects) => objects.filter((o) => o.kind !== "ServiceAccount")));
    expect(r.findings).toEqual([
      expect.stringMatching(/^dev-ml: helm_release\.serving_ray-templates_release_\w+ \(RayService template ray-templates\/serve \(head\)\): service account ray\/ray-serve is created by nothing in the deploy$/),
      expect.stringMatching(/\(RayService template ray-templates\/serve \(worker serve-workers\)\): service account ray\/ray-serve is created by nothing in the deploy$/),
    ]);
  });

  test("staging's docs example in vision without its FSx checkpoint claim", () => {
    const r = walkChanged("staging", (s) => editManifests(s["staging-teams"], "team-vision", (objects) => objects.filter((o) => o.kind !== "PersistentVolumeClaim" || o.metadata.name !== "training-checkpoints-fsx")));
    expect(r.findings).toEqual(expect.arrayContaining(["submitted: TrainJob vision/llm-finetune (runtime torch-distributed-efa, job node): PersistentVolumeClaim vision/training-checkpoints-fsx is created by nothing in the deploy"]));
  });

  test("a team claim naming the training namespace's volume never binds", () => {
    const r = walkChanged("dev", (s) =>
      editManifests(s["dev-teams"], "team-sandbox", (objects) => objects.map((o) => (o.kind === "PersistentVolumeClaim" && o.metadata.name === "training-datasets" ? { ...o, spec: { ...o.spec, volumeName: "training-training-datasets" } } : o))),
    );
    expect(r.findings).toEqual(expect.arrayContaining(["submitted: TrainJob sandbox/torch-distributed-job (runtime torch-distributed, job node): PersistentVolume training-training-datasets is reserved for claim training/training-datasets, not sandbox/training-datasets"]));
  });

  test("without the Mountpoint driver, the S3 volumes of every namespace cannot mount", () => {
    const r = walkChanged("dev", (s) => {
      const addons = s["dev-platform"].resource.aws_eks_addon as Record<string, Any>;
      for (const [k, a] of Object.entries(addons)) if (a.addon_name === "aws-mountpoint-s3-csi-driver") delete addons[k];
    });
    expect(r.findings).toEqual(expect.arrayContaining([expect.stringMatching(/^submitted: TrainJob sandbox\/torch-distributed-job \(runtime torch-distributed, job node\): the s3\.csi\.aws\.com CSI driver is created by nothing in the deploy$/)]));
  });

  test("the teams stack applied right after the foundation: no kubeflow namespace to label, no Kueue CRDs for its queues", () => {
    const r = walkChanged("dev", (_s, deps) => (deps["dev-teams"] = ["dev-foundation"]));
    expect(r.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dev-teams: kubernetes_labels\.kubeflow-managed \(labels of Namespace kubeflow\): namespace kubeflow is created by dev-ml: .*which is not applied before it$/),
        expect.stringMatching(/^dev-teams: helm_release\.queues_release_\w+ \(ClusterQueue pipelines\): CRD kueue\.x-k8s\.io\/ClusterQueue is created by dev-platform: .*which is not applied before it$/),
      ]),
    );
  });

  test("the ml stack applied beside the platform stack: its ExternalSecrets, monitors and store have no CRD yet", () => {
    const r = walkChanged("dev", (_s, deps) => (deps["dev-ml"] = ["dev-foundation"]));
    expect(r.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dev-ml: helm_release\.mlflow_config_release_\w+ \(ExternalSecret mlflow\/mlflow-database\): CRD external-secrets\.io\/ExternalSecret is created by dev-platform: helm_release\.external-secrets_chart_release_\w+, which is not applied before it$/),
        expect.stringMatching(/\(ServiceMonitor triton\/triton-churn\): CRD monitoring\.coreos\.com\/ServiceMonitor is created by dev-platform: .*which is not applied before it$/),
        expect.stringMatching(/\(Rollout triton\/triton-churn\): CRD argoproj\.io\/Rollout is created by dev-platform: helm_release\.argo-rollouts_chart_release_\w+, which is not applied before it$/),
        expect.stringMatching(/\(SecretStore mlflow\/aws-secrets-manager\): CRD external-secrets\.io\/SecretStore is created by dev-platform: .*which is not applied before it$/),
        expect.stringMatching(/\(Rollout triton\/triton-churn\): may only run on NodePool gpu-inference .*which has no nodes before it starts$/),
      ]),
    );
  });

  test("no default StorageClass: Kubeflow Pipelines' MySQL claim names none and stays Pending", () => {
    const r = walkChanged("dev", (s) => {
      for (const sc of Object.values(s["dev-platform"].resource.kubernetes_storage_class_v1 as Record<string, Any>)) delete sc.metadata.annotations;
    });
    expect(r.findings).toEqual([expect.stringMatching(/^dev-ml: helm_release\.kubeflow-pipelines_apps_release_\w+ \(Deployment kubeflow\/mysql\): a default StorageClass \(its 20Gi claim names none\) is created by nothing in the deploy$/)]);
  });

  test("prod's 16 GiB Prometheus before the node pools exist: it fits no system node", () => {
    const r = walkChanged("prod", (s) => dropDependency(s["prod-platform"], "kube-prometheus-stack", /node-pools/), "project");
    expect(r.findings).toEqual([
      expect.stringMatching(/^prod-platform: helm_release\.observability_kube-prometheus-stack_chart_release_\w+ \(StatefulSet monitoring\/prometheus-kube-prometheus-stack-prometheus\): requests 500m CPU, 16Gi memory, more than one node of node group system offers$/),
    ]);
  });

  test("a workload applied before its Pod Identity association starts without AWS credentials", () => {
    const r = walkChanged("dev", (s) => dropDependency(s["dev-ml"], "mlflow", /pod_identity_association|mlflow_role/));
    expect(r.findings).toEqual([expect.stringMatching(/^dev-ml: helm_release\.mlflow_chart_release_\w+ \(Deployment mlflow\/mlflow\): the Pod Identity association of mlflow\/mlflow is created by dev-ml: aws_eks_pod_identity_association\.mlflow_role_association_\w+, which is not applied before it$/)]);
  });

  test("Triton's IRSA service account without the cluster's IAM OIDC provider gets no credentials", () => {
    const r = walkChanged("dev", (s) => delete s["dev-foundation"].resource.aws_iam_openid_connect_provider);
    expect(r.findings).toEqual([expect.stringMatching(/\(Rollout triton\/triton-churn\): the cluster's IAM OIDC provider \(IRSA\) is created by nothing in the deploy$/)]);
  });

  test("an ExternalSecret whose namespace has no SecretStore (there is no cluster-wide store to fall back on)", () => {
    const r = walkChanged("dev", (s) => {
      const config = releaseOf(s["dev-ml"], "mlflow-config");
      const values = parse(config.values[0]);
      values.manifests = values.manifests.filter((o: Any) => o.kind !== "SecretStore");
      config.values = [stringify(values)];
    });
    expect(r.findings).toEqual([expect.stringMatching(/^dev-ml: helm_release\.mlflow_config_release_\w+ \(ExternalSecret mlflow\/mlflow-database\): SecretStore mlflow\/aws-secrets-manager is created by nothing in the deploy$/)]);
  });

  test("a SecretStore applied before the IAM role it assumes", () => {
    const r = walkChanged("dev", (s) => dropDependency(s["dev-ml"], "mlflow-config", /secret-store-mlflow_role/));
    expect(r.findings).toEqual([
      expect.stringMatching(/^dev-ml: helm_release\.mlflow_config_release_\w+ \(SecretStore mlflow\/aws-secrets-manager\): IAM role mlp-dev-secrets-mlflow \(spec\.provider\.aws\.role\) is created by dev-ml: aws_iam_role\.mlflow_secret-store-mlflow_role_\w+, which is not applied before it$/),
    ]);
  });

  test("the database login Job before its Pod Identity association, and its rotation CronJob with it", () => {
    const r = walkChanged("dev", (s) => dropDependency(s["dev-ml"], "mlflow-db-login", /login_role/));
    expect(r.findings).toEqual([
      expect.stringMatching(/\(Job mlflow-admin\/mlflow-db-login-[0-9a-f]{8}\): the Pod Identity association of mlflow-admin\/mlflow-db-admin is created by dev-ml: aws_eks_pod_identity_association\.mlflow_login_role_association_\w+, which is not applied before it$/),
      expect.stringMatching(/\(CronJob mlflow-admin\/mlflow-db-login-rotation\): the Pod Identity association of mlflow-admin\/mlflow-db-admin is created by .*, which is not applied before it$/),
    ]);
  });

  test("prod's OIDC login before the ExternalSecrets that write its client Secret: the controller cannot build the listener rules", () => {
    const r = walkChanged("prod", (s) => dropDependency(s["prod-ml"], "ml-ingress", /ingress_auth_release/));
    expect(r.findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^prod-ml: helm_release\.edge_ingress_release_\w+ \(Ingress mlflow\/mlflow-ui\): Secret mlflow\/alb-oidc-client is created by prod-ml: helm_release\.edge_ingress_auth_release_\w+, which is not applied before it$/)]),
    );
  });

  test("MLflow before the ExternalSecret that writes its database Secret", () => {
    const r = walkChanged("dev", (s) => dropDependency(s["dev-ml"], "mlflow", /mlflow_config_release/));
    expect(r.findings).toEqual(expect.arrayContaining([expect.stringMatching(/\(Deployment mlflow\/mlflow\): Secret mlflow\/mlflow-database is created by dev-ml: helm_release\.mlflow_config_release_\w+, which is not applied before it$/)]));
  });

  test("one system node cannot hold two Karpenter replicas that must run on separate nodes", () => {
    const r = walkChanged("dev", (s) => {
      for (const ng of Object.values(s["dev-foundation"].resource.aws_eks_node_group as Record<string, Any>)) ng.scaling_config.desired_size = 1;
    });
    expect(r.findings).toEqual([expect.stringMatching(/\(node group system, 1 x m7i\.large\): the pods that can only run there do not fit: .*Deployment kube-system\/karpenter wants 2 replicas on separate nodes, only 1 nodes/)]);
  });

  test("a model's Rollout at its autoscaler's maximum plus its canary pod, and the vLLM models at theirs, must fit the inference pool's GPU limit", () => {
    // The example's limits (test/helpers/delivery-examples.ts): dev 8, staging 20 GPUs on the inference pool.
    const r = walkChanged("dev", (s) => {
      const nodePools = releaseOf(s["dev-platform"], "karpenter-node-pools");
      nodePools.values = [String(nodePools.values[0]).replace(/"nvidia\.com\/gpu": 8\b/, '"nvidia.com/gpu": 2')];
    });
    // dev: at most 2 replicas and the basic canary's one surge pod during a step, plus the scale-to-zero vLLM model's one.
    expect(r.findings).toEqual([expect.stringMatching(/\(NodePool gpu-inference\): its pods at full scale need nvidia\.com\/gpu 4, over the pool's limit 2 \[Rollout triton\/triton-churn x3, Deployment llm\/qwen-1-5b x1\]$/)]);
  });

  test("through the load balancer, the stable still sized for the last step while the canary takes all the traffic counts", () => {
    // staging: 4 replicas; from 50% to 100% the canary has 4 pods and the stable still 2 until the weights moved; vLLM's llama-8b at 2.
    const r = walkChanged("staging", (s) => {
      const nodePools = releaseOf(s["staging-platform"], "karpenter-node-pools");
      nodePools.values = [String(nodePools.values[0]).replace(/"nvidia\.com\/gpu": 20\b/, '"nvidia.com/gpu": 5')];
    });
    // Besides the example's pinned version, which any first deploy of it trips on (tested above).
    expect(r.findings.filter((f) => !f.includes("registered in the environment's MLflow"))).toEqual([expect.stringMatching(/\(NodePool gpu-inference\): its pods at full scale need nvidia\.com\/gpu 8, over the pool's limit 5 \[Rollout triton\/triton-churn x6, Deployment llm\/llama-8b x2\]$/)]);
  });

  test("a GPU workload without the GPU pools' tolerations has nowhere to run", () => {
    const r = walkChanged("dev", (s) => {
      const triton = releaseOf(s["dev-ml"], "triton-churn");
      const values = parse(triton.values[0]);
      delete values.manifests.find((o: Any) => o.kind === "Rollout").spec.template.spec.tolerations;
      triton.values = [stringify(values)];
    });
    expect(r.findings).toEqual(expect.arrayContaining([expect.stringMatching(/\(Rollout triton\/triton-churn\): no node source accepts it \(.*NodePool gpu-inference: does not tolerate nvidia\.com\/gpu:NoSchedule/)]));
  });
});
