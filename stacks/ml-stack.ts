import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { findInstanceType } from "../constructs/catalog/instance-types";
import { ClusterAccess } from "../constructs/kubernetes/cluster-access";
import { Feast } from "../constructs/ml/feast";
import { Keda } from "../constructs/ml/keda";
import { KubeflowPipelines } from "../constructs/ml/kubeflow-pipelines";
import { torchEfaImage } from "../constructs/ml/efa-images";
import { KubeflowTrainer, type EfaNodeShape, type TrainingNodeShape } from "../constructs/ml/kubeflow-trainer";

import { Mlflow } from "../constructs/ml/mlflow";
import { Triton } from "../constructs/ml/triton";
import { GRAFANA_SERVICE, MONITORING_NAMESPACE, PROMETHEUS_URL } from "../constructs/observability/targets";
import { PIPELINES_QUEUE } from "../constructs/tenancy/names";
import type { Environment } from "../environments/lib/schema";
import type { BootstrapStack } from "./bootstrap-stack";
import { EnvironmentStack } from "./environment-stack";
import type { FoundationStack } from "./foundation-stack";
import { feastProject } from "./ml-settings";
import { MlDelivery } from "./ml/delivery";
import { MlResilience, trainerResumable } from "./ml/resilience";
import { edgeServices, ingressDomain, MlEdge } from "./ml/edge";
import { MlServing } from "./ml/serving";
import { costTags, namePrefix } from "./naming";
import type { PlatformStack } from "./platform-stack";

/** Prometheus of the observability stack, which KEDA queries for Triton's queue time (defined with the stack). */
export { PROMETHEUS_URL };

/** GPUs per node that every instance type of a pool can provide (runtimes must fit the smallest). */
function smallest(types: readonly string[], pick: (t: NonNullable<ReturnType<typeof findInstanceType>>) => number): number {
  return Math.min(...types.map((t) => pick(findInstanceType(t)!)));
}

function trainingShape(env: Environment): TrainingNodeShape | undefined {
  const pool = env.compute.gpuTrainingPool;
  return pool ? { gpusPerNode: smallest(pool.instanceTypes, (t) => t.gpuCount) } : undefined;
}

function efaShape(env: Environment): EfaNodeShape | undefined {
  const efa = env.compute.efa;
  if (efa.mode === "disabled") return undefined;
  return {
    gpusPerNode: smallest(efa.instanceTypes, (t) => t.gpuCount),
    efaInterfacesPerNode: smallest(efa.instanceTypes, (t) => t.efaInterfaces),
    instanceTypes: efa.instanceTypes,
    image: torchEfaImage(env.account.id, env.account.region, namePrefix(env)),
  };
}

/**
 * Host patterns MLflow accepts besides its Service names: pod addresses of the VPC (kubelet probes and Prometheus
 * scrapes send the pod IP as Host) and, with the ingress, its host name `mlflow.<env>.<domain>`.
 */
function mlflowExtraHosts(env: Environment): string[] {
  const [a, b] = env.network.vpcCidr.split(".");
  const hosts = [`${a}.${b}.*`];
  if (env.ml.ingress.enabled && env.ml.ingress.domain) hosts.push(`mlflow.${ingressDomain(env)}`);
  return hosts;
}

/**
 * `<env>-ml`: the ML services on the cluster: Kubeflow Trainer and Pipelines, MLflow, Feast, Triton (one Argo Rollout
 * per served model, autoscaled by KEDA) with its promotion and drift monitoring, and the optional ingress. Their state lives in the foundation's ML data stores, read here through cross-stack
 * references; MLflow's database credentials come through the platform's External Secrets Operator. Applied after
 * the platform stack (Prometheus Operator CRDs, External Secrets, Karpenter pools).
 */
export class MlStack extends EnvironmentStack {
  readonly access: ClusterAccess;
  readonly keda: Keda;
  readonly triton: Triton;
  readonly mlflow: Mlflow;
  readonly feast: Feast;
  readonly trainer: KubeflowTrainer;
  readonly pipelines: KubeflowPipelines;
  /** vLLM models behind the router, and the Ray templates (docs/serving.md). */
  readonly serving: MlServing;
  /** Per served model: the Triton Rollout, its promotion and drift monitor (docs/delivery.md). */
  readonly delivery: MlDelivery;
  /** The HTTPS load balancer with its controller and certificate, when the environment has a domain for it. */
  readonly edge?: MlEdge;
  /** Training volumes and the EFA fabric check (stacks/ml/resilience.ts). */
  readonly resilience: MlResilience;

  constructor(scope: Construct, env: Environment, bootstrap: BootstrapStack, foundation: FoundationStack, platform: PlatformStack) {
    super(scope, env, "ml");
    // The ML releases use kinds the platform stack installs (ExternalSecret, SecretStore, ServiceMonitor,
    // PodMonitor, NodePools): the platform must be applied first and destroyed last.
    this.addDependency(platform);
    const prefix = namePrefix(env);
    const { region } = env.account;
    const cluster = foundation.cluster;
    const data = foundation.mlData;
    const ml = env.ml;
    const production = env.tier === "production";
    this.access = new ClusterAccess(this, "cluster-access", {
      clusterName: cluster.clusterName,
      clusterEndpoint: cluster.clusterEndpoint,
      clusterCertificateAuthority: cluster.clusterCertificateAuthority,
      region,
    });

    this.keda = new Keda(this, "keda");
    this.triton = new Triton(this, "triton", { cluster, dataStores: data, roleName: `${prefix}-triton` });
    this.mlflow = new Mlflow(this, "mlflow", {
      cluster,
      dataStores: data,
      externalSecrets: platform.externalSecrets,
      region,
      roleName: `${prefix}-mlflow`,
      loginRoleName: `${prefix}-mlflow-db-admin`,
      replicas: production ? 2 : 1,
      extraAllowedHosts: mlflowExtraHosts(env),
    });
    this.feast = new Feast(this, "feast", {
      cluster,
      dataStores: data,
      region,
      project: feastProject(env),
      serverRoleName: `${prefix}-feast-server`,
      materializerRoleName: `${prefix}-feast-materializer`,
      applyRoleName: `${prefix}-feast-apply`,
      tableTags: costTags(env),
      replicas: production ? 2 : 1,
    });
    this.delivery = new MlDelivery(this, "delivery", { env, cluster, dataStores: data, triton: this.triton, keda: this.keda, mlflow: this.mlflow });
    this.trainer = new KubeflowTrainer(this, "kubeflow-trainer", { trainingPool: trainingShape(env), efaPool: efaShape(env), resumable: trainerResumable(env) });
    this.resilience = new MlResilience(this, "resilience", { env, foundation, trainer: this.trainer, efaPool: efaShape(env) });
    this.pipelines = new KubeflowPipelines(this, "kubeflow-pipelines", { cluster, dataStores: data, region, rolePrefix: prefix, queueName: PIPELINES_QUEUE });
    this.serving = new MlServing(this, "serving", { env, cluster, dataStores: data, prefix, prometheusUrl: PROMETHEUS_URL, dependsOn: [this.keda.chart.release] });

    if (ml.ingress.enabled) {
      this.edge = new MlEdge(this, "edge", {
        env,
        cluster,
        vpcId: foundation.vpc.vpcId,
        bootstrap,
        externalSecrets: platform.externalSecrets,
        services: edgeServices({
          mlflow: this.mlflow,
          pipelinesNamespace: this.pipelines.namespace,
          feastNamespace: this.feast.namespace,
          tritonModels: this.delivery.models.map((m) => ({ namespace: this.triton.namespace, serviceName: m.rootService })),
          grafana: { namespace: MONITORING_NAMESPACE, serviceName: GRAFANA_SERVICE },
        }),
        // Triton's release makes the models' namespace. The load balancer never waits for a model: each model's Ingress
        // (in which Argo Rollouts writes the weights) comes after that model's Rollout, in a release of its own.
        dependsOn: [this.mlflow.chart.release, this.pipelines.apps.release, this.feast.chart.release, this.triton.release.release],
        modelReleases: this.delivery.models.map((m) => m.release.release),
      });
    }

    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output("mlflow_tracking_uri", this.mlflow.trackingUri, "MLFLOW_TRACKING_URI inside the cluster");
    output("mlflow_artifact_bucket", data.bucketNames.mlflowArtifacts, "S3 bucket behind MLflow's proxied artifact store");
    output("feast_project", this.feast.project, "Feast project (online tables are <project>.<feature view>)");
    output("feast_feature_store_yaml", this.feast.featureStoreYaml, "The environment's feature_store.yaml");
    output("feast_feature_store_yaml_uri", this.feast.featureStoreYamlUri, "Where feature_store.yaml is published");
    output("feast_feature_server_url", this.feast.serverUrl, "Feast online feature server inside the cluster");
    output("triton_model_repository", this.triton.modelRepositoryUri, "Triton's model repository (one directory per model)");
    const models = Object.fromEntries(this.delivery.models.map((m) => [m.name.replace(/^triton-/, ""), { http: m.httpUrl, grpc: m.grpcAddress }]));
    output("triton_models", JSON.stringify(models), "Per served model: Triton HTTP/REST (KServe v2) and gRPC inside the cluster (JSON)");
    output("kubeflow_pipelines_ui_url", this.pipelines.uiUrl, "Kubeflow Pipelines UI inside the cluster");
    output("kubeflow_pipelines_api_url", this.pipelines.apiUrl, "Kubeflow Pipelines API (KFP SDK host) inside the cluster");
    output("kubeflow_pipelines_root", this.pipelines.pipelineRoot, "Default pipeline root for run artifacts");
    output("kubeflow_training_runtimes", this.trainer.runtimeNames.join(","), "ClusterTrainingRuntimes a TrainJob can reference");
    if (this.serving.llm) output("llm_openai_base_url", this.serving.llm.endpoint, "OpenAI-compatible endpoint of the vLLM router inside the cluster");
    if (this.edge) {
      output("ingress_load_balancer_name", `${prefix}-ml`, "Name of the HTTPS load balancer in front of the ML services");
      for (const [host, url] of Object.entries(this.edge.ingress.urls)) output(`${host}_url`, url, `https://${host}.<domain> through the load balancer`);
    }
  }
}
