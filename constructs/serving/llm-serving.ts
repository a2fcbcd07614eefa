import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { dashboardConfigMap } from "../observability/grafana";
import { prometheusRule } from "../observability/rules";
import { GRAFANA_DASHBOARD_LABEL } from "../observability/targets";
import { llmScaledObject } from "./llm-autoscaling";
import { llmAlertRules, llmDashboard, llmRecordingRules, type LlmAlertThresholds, type LlmModelCost } from "./llm-observability";
import { ENGINE_LABELS, engineObjects, type EngineSpec } from "./vllm-engine";
import { routerObjects, type RouterSpec } from "./vllm-router";

/** One model as the stack resolved it (placement, GPU resource, weights prefix, autoscaling, price). */
export interface LlmModelSpec extends Omit<EngineSpec, "namespace" | "weightsUri" | "serviceAccount" | "region"> {
  /** Key prefix under `llm-weights/`. */
  readonly weights: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly waitingPerReplica: number;
  readonly kvCacheUsagePercent: number;
  readonly cost: LlmModelCost;
}

export interface LlmServingProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly region: string;
  /** `mlp-<env>`: prefix of the IAM role names. */
  readonly rolePrefix: string;
  readonly models: readonly LlmModelSpec[];
  readonly router: Omit<RouterSpec, "name" | "namespace">;
  readonly alerts: LlmAlertThresholds;
  readonly prometheusUrl: string;
  /** @default "llm" */
  readonly namespace?: string;
  /** The KEDA release (ScaledObject CRD) and anything else that must exist first. */
  readonly dependsOn: ITerraformDependable[];
}

/** Service account of the weights publisher (a Job or an operator's pod that copies weights into S3). */
export const WEIGHTS_WRITER_SERVICE_ACCOUNT = "llm-weights-writer";

/**
 * vLLM serving: one engine Deployment per model (its own service account and read-only Pod Identity role on its
 * weights prefix), the production-stack router in front of them (one OpenAI-compatible endpoint, `model` picks the
 * engine), KEDA ScaledObjects, ServiceMonitors, the LLM alerts and dashboard, and a separate writer role for the
 * weights (no server can write weights).
 *
 * In-repo objects rather than the vllm-stack 0.1.12 chart: the chart gives every engine the release's single service
 * account (no per-model role), renders `runtimeClassName: nvidia` (EKS AMIs define no such RuntimeClass), mounts a PVC
 * per model for weights, runs engines as root, and its KEDA template has one trigger without activation on the
 * router; the objects here follow its templates for the router (args, Role) so the behaviour is the chart's.
 */
export class LlmServing extends Construct {
  readonly namespace: string;
  readonly release: ManifestsRelease;
  readonly serverRoles: PodIdentityRole[] = [];
  readonly writerRole: PodIdentityRole;
  /** `http://vllm-router.<ns>.svc.cluster.local/v1`: the OpenAI-compatible endpoint. */
  readonly endpoint: string;
  readonly routerName = "vllm-router";

  constructor(scope: Construct, id: string, props: LlmServingProps) {
    super(scope, id);
    const ns = props.namespace ?? "llm";
    this.namespace = ns;
    this.endpoint = `http://${this.routerName}.${ns}.svc.cluster.local/v1`;
    const objects: KubernetesObject[] = [];
    const roleDeps: ITerraformDependable[] = [];
    for (const m of props.models) {
      const serviceAccount = `vllm-${m.name}`;
      const role = new PodIdentityRole(this, `role-${m.name}`, {
        cluster: props.cluster,
        namespace: ns,
        serviceAccount,
        roleName: `${props.rolePrefix}-vllm-${m.name}`,
        description: `vLLM ${m.modelId}: read-only access to its weights under llm-weights/${m.weights}`,
      });
      props.dataStores.grantLlmWeightsRead(role, m.weights);
      this.serverRoles.push(role);
      roleDeps.push(...role.dependables(), role.association);
      objects.push(
        ...engineObjects({ ...m, namespace: ns, serviceAccount, weightsUri: props.dataStores.llmWeightsUri(m.weights), region: props.region }),
        llmScaledObject(
          {
            name: m.name,
            namespace: ns,
            modelId: m.modelId,
            minReplicas: m.minReplicas,
            maxReplicas: m.maxReplicas,
            waitingPerReplica: m.waitingPerReplica,
            kvCacheUsagePercent: m.kvCacheUsagePercent,
            prometheusUrl: props.prometheusUrl,
            routerNamespace: ns,
          },
          { ...ENGINE_LABELS, "app.kubernetes.io/name": m.name },
        ),
      );
    }
    this.writerRole = new PodIdentityRole(this, "weights-writer", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount: WEIGHTS_WRITER_SERVICE_ACCOUNT,
      roleName: `${props.rolePrefix}-llm-weights-writer`,
      description: "Publishes LLM weights under llm-weights/ of the model bucket (servers only read)",
    });
    props.dataStores.grantLlmWeightsReadWrite(this.writerRole);
    roleDeps.push(...this.writerRole.dependables(), this.writerRole.association);
    objects.push(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: WEIGHTS_WRITER_SERVICE_ACCOUNT, namespace: ns, labels: { "app.kubernetes.io/part-of": "ml-platform" } } },
      ...routerObjects({ ...props.router, name: this.routerName, namespace: ns }),
      serviceMonitor({ name: "vllm-engines", namespace: ns, matchLabels: { ...ENGINE_LABELS }, endpoints: [{ port: "http", path: "/metrics", interval: "15s" }] }),
      serviceMonitor({ name: this.routerName, namespace: ns, matchLabels: { "app.kubernetes.io/name": this.routerName }, endpoints: [{ port: "http", path: "/metrics", interval: "15s" }] }),
      prometheusRule("llm", ns, [llmRecordingRules(ns, props.models.map((m) => m.cost)), llmAlertRules(ns, props.alerts)]),
      dashboardConfigMap("llm-dashboard", ns, llmDashboard(ns, props.models.map((m) => m.cost)), GRAFANA_DASHBOARD_LABEL),
    );
    this.release = new ManifestsRelease(this, "release", {
      releaseName: "llm",
      namespace: ns,
      // Engines need a GPU node from Karpenter and minutes of weight streaming; that outlasts a Helm wait.
      wait: false,
      dependsOn: [...props.dependsOn, ...roleDeps],
    });
    for (const o of objects) this.release.add(o);
  }
}
