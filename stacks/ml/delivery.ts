import { Construct } from "constructs";
import type { MlDataStores } from "../../constructs/data/ml-data-stores";
import { rolloutsDashboard } from "../../constructs/delivery/delivery-dashboard";
import { deliveryRuleGroups } from "../../constructs/delivery/delivery-rules";
import { DriftMonitor } from "../../constructs/delivery/drift-monitor";
import { imageRepositoryUri } from "../../constructs/delivery/image-repository";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { ModelPromotion } from "../../constructs/delivery/promotion";
import { ModelRollout, SEED_VERSION } from "../../constructs/delivery/model-rollout";
import type { EksCluster } from "../../constructs/eks/cluster";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import type { Keda } from "../../constructs/ml/keda";
import { MLFLOW_IMAGE, type Mlflow } from "../../constructs/ml/mlflow";
import type { Triton } from "../../constructs/ml/triton";
import { dashboardConfigMap } from "../../constructs/observability/grafana";
import { prometheusRule } from "../../constructs/observability/rules";
import { GRAFANA_DASHBOARD_LABEL, PROMETHEUS_URL } from "../../constructs/observability/targets";
import type { Environment } from "../../environments/lib/schema";
import { namePrefix } from "../naming";

/** Namespace of the promotion jobs, drift monitors and delivery alerts. */
export const DELIVERY_NAMESPACE = "ml-delivery";

/** How often an automatic promotion looks at its alias (UTC cron). */
export const AUTOMATIC_PROMOTION_SCHEDULE = "*/5 * * * *";

export interface MlDeliveryProps {
  readonly env: Environment;
  readonly cluster: EksCluster;
  readonly dataStores: MlDataStores;
  readonly triton: Triton;
  readonly keda: Keda;
  readonly mlflow: Mlflow;
}

/**
 * The ML stack's part of safe model delivery (docs/delivery.md): per served model a Triton Rollout with its canary
 * analysis, its promotion from MLflow (a Job that stages the pinned version before the Rollout names it, or a CronJob
 * following the alias in development) and its drift monitor; then the delivery alerts and the rollouts dashboard.
 */
export class MlDelivery extends Construct {
  readonly models: ModelRollout[] = [];
  readonly promotions: ModelPromotion[] = [];
  readonly driftMonitors: DriftMonitor[] = [];
  readonly monitoring: ManifestsRelease;

  constructor(scope: Construct, id: string, props: MlDeliveryProps) {
    super(scope, id);
    const { env, triton } = props;
    const d = env.delivery;
    const prefix = namePrefix(env);
    const { id: accountId, region } = env.account;
    const mlflowImage = `${MLFLOW_IMAGE.repository}:${MLFLOW_IMAGE.tag}`;
    const driftImage = `${imageRepositoryUri(accountId, region, prefix, "drift-monitor")}:${IMAGE_TAGS["drift-monitor"]}`;
    for (const m of d.models) {
      const rolloutName = `triton-${m.name}`;
      const promotion = (mode: ConstructorParameters<typeof ModelPromotion>[2]["mode"], dependsOn: ModelPromotion["release"]["release"][]) =>
        new ModelPromotion(this, `promotion-${m.name}`, {
          cluster: props.cluster,
          dataStores: props.dataStores,
          region,
          model: m.name,
          registry: m.registry!,
          mode,
          roleName: `${prefix}-promote-${m.name}`,
          namespace: DELIVERY_NAMESPACE,
          rollout: { namespace: triton.namespace, name: rolloutName },
          trackingUri: props.mlflow.trackingUri,
          image: mlflowImage,
          dependsOn: [props.mlflow.chart.release, triton.release.release, ...dependsOn],
        });
      // Reviewed: the version is staged (Helm waits for the Job) before the Rollout names it.
      const staged = m.registry && m.promotion === "reviewed" ? promotion({ type: "reviewed", version: m.version! }, []) : undefined;
      const rollout = new ModelRollout(this, `model-${m.name}`, {
        model: m.name,
        // Automatic promotion moves the live annotation from the seed, which serves nothing (docs/delivery.md).
        version: m.promotion === "automatic" ? SEED_VERSION : String(m.version),
        triton: { namespace: triton.namespace, serviceAccount: triton.serviceAccount, modelRepositoryUri: triton.modelRepositoryUri },
        captureBucket: props.dataStores.bucketNames.tritonModels,
        region,
        sizing: env.ml.triton,
        steps: d.canary.steps,
        analysis: d.analysis,
        sampleEvery: d.capture.sampleEvery,
        experiment: m.experiment,
        albIngress: env.ml.ingress.enabled ? `${rolloutName}-api` : undefined,
        prometheusUrl: PROMETHEUS_URL,
        captureImage: mlflowImage,
        dependsOn: [triton.release.release, props.keda.chart.release, ...(staged ? [staged.release.release] : [])],
      });
      this.models.push(rollout);
      if (staged) this.promotions.push(staged);
      if (m.registry && m.promotion === "automatic") this.promotions.push(promotion({ type: "automatic", schedule: AUTOMATIC_PROMOTION_SCHEDULE }, [rollout.release.release]));
      this.driftMonitors.push(
        new DriftMonitor(this, `drift-${m.name}`, {
          cluster: props.cluster,
          dataStores: props.dataStores,
          region,
          model: m.name,
          settings: d.drift,
          roleName: `${prefix}-drift-${m.name}`,
          namespace: DELIVERY_NAMESPACE,
          image: driftImage,
          dependsOn: [],
        }),
      );
    }
    this.monitoring = new ManifestsRelease(this, "monitoring", { releaseName: "ml-delivery-monitoring", namespace: DELIVERY_NAMESPACE });
    const labels = { "app.kubernetes.io/part-of": "ml-platform" };
    this.monitoring.add(
      prometheusRule("ml-delivery", DELIVERY_NAMESPACE, deliveryRuleGroups({ namespace: DELIVERY_NAMESPACE, models: d.models.map((m) => m.name), drift: d.drift }), labels),
    );
    this.monitoring.add(dashboardConfigMap("ml-platform-dashboard-rollouts", DELIVERY_NAMESPACE, rolloutsDashboard(triton.namespace, DELIVERY_NAMESPACE, env.observability.slo.tritonP99LatencyMs), GRAFANA_DASHBOARD_LABEL, labels));
  }
}
