import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PodIdentityCluster } from "../iam/pod-identity-role";
import { EncryptedGp3StorageClass } from "../kubernetes/encrypted-gp3-storage-class";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import type { IExternalSecrets } from "../secrets/external-secrets-api";
import { receiverExternalSecret, type AlertReceiver } from "./alertmanager";
import { AmpRemoteWrite } from "./amp-remote-write";
import { COST_CENTER_LABEL, costAllocationLabels, TEAM_LABEL, type CostOwner } from "./cost-allocation";
import { platformDashboards } from "./dashboards";
import { dashboardConfigMap } from "./grafana";
import { GrafanaAdminCredential } from "./grafana-admin";
import { KubePrometheusStack, type PrometheusSettings } from "./kube-prometheus-stack";
import { platformServiceMonitors } from "./monitors";
import { OpenCost } from "./opencost";
import { platformRuleGroups, prometheusRule, type AlertThresholds, type SloTargets } from "./rules";
import { GRAFANA_ADMIN_SECRET, GRAFANA_DASHBOARD_LABEL, MONITORING_NAMESPACE, PROMETHEUS_SERVICE_ACCOUNT, type DcgmExporterTarget, type KarpenterTarget } from "./targets";

/** What the environment decides (its `observability` section, with defaults applied). */
export interface ObservabilitySettings {
  readonly prometheus: PrometheusSettings;
  readonly alertmanager: { readonly replicas: number; readonly receivers: readonly AlertReceiver[] };
  readonly ampRemoteWrite: { readonly enabled: boolean };
  readonly opencost: { readonly enabled: boolean };
  readonly slo: SloTargets;
  readonly alerts: AlertThresholds;
}

export interface ObservabilityProps {
  readonly cluster: PodIdentityCluster;
  /** The cluster's physical name (external label, OpenCost cluster id). */
  readonly clusterName: string;
  readonly environment: string;
  readonly region: string;
  /** Prefix of physical names: IAM roles `<prefix>-…`, secrets `<prefix>/…`, AMP alias `<prefix>`. */
  readonly namePrefix: string;
  readonly settings: ObservabilitySettings;
  /** Components this stack scrapes (the GPU compute's DCGM exporter and Karpenter). */
  readonly scrapeTargets: { readonly dcgmExporter: DcgmExporterTarget; readonly karpenter: KarpenterTarget };
  /** Team and cost center of the platform's own namespaces (the AWS cost tags). */
  readonly owner: CostOwner;
  /** Tags of the EBS volumes the cluster creates (cost tags). */
  readonly volumeTags: Record<string, string>;
  readonly externalSecrets: IExternalSecrets;
  /**
   * The Secrets Manager secret ARN of each Alertmanager receiver (by receiver name), created by the bootstrap stack so
   * the values people set by hand outlive a destroy of the environment (see AlertmanagerReceiverSecrets).
   */
  readonly receiverSecretArns: Readonly<Record<string, string>>;
  /** The customer managed key of the environment's Secrets Manager secrets (bootstrap stack): receivers and Grafana's. */
  readonly secretsKeyArn: string;
  /** The foundation's telemetry key (CloudWatch Logs): encrypts the AMP workspace. */
  readonly metricsKeyArn: string;
  /** Customer managed key of the persistent volumes the cluster's default StorageClass makes (Prometheus, MySQL, ...). */
  readonly volumesKeyArn: string;
  /**
   * What must exist before the SecretStore and ExternalSecrets are applied: the operator (CRDs, webhook) and its role's
   * policies. Called after this construct has created its store, so the policy allowing the operator to assume the
   * store's role is included. @default - nothing
   */
  readonly externalSecretsReady?: () => ITerraformDependable[];
  /**
   * Capacity beyond the system node group that the monitoring workloads may need at first deploy (the Karpenter
   * controller and node pools): Prometheus is sized per environment and may not fit a system node. @default - none
   */
  readonly capacity?: ITerraformDependable[];
  /** prevent_destroy on secrets and the AMP workspace, Retain on volumes. @default false */
  readonly protect?: boolean;
}

/** Labels on every object this construct renders. */
const PART_OF = { "app.kubernetes.io/part-of": "ml-platform" };

/**
 * The monitoring stack of one cluster: kube-prometheus-stack for EKS with Grafana's admin credential from Secrets
 * Manager through External Secrets, Alertmanager receivers whose endpoints stay in Secrets Manager, ServiceMonitors
 * for the DCGM exporter and Karpenter, the platform's alert and recording rules, Grafana dashboards for the GPU fleet,
 * inference and capacity/cost, an encrypted gp3 StorageClass, and optionally AMP remote write and OpenCost.
 */
export class Observability extends Construct {
  readonly namespace: string;
  readonly storageClass: EncryptedGp3StorageClass;
  readonly grafanaAdmin: GrafanaAdminCredential;
  readonly stack: KubePrometheusStack;
  /** ServiceMonitors and the PrometheusRule (applied after the Prometheus Operator CRDs). */
  readonly monitoring: ManifestsRelease;
  readonly dashboards: ManifestsRelease;
  readonly amp?: AmpRemoteWrite;
  readonly opencost?: OpenCost;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const s = props.settings;
    const protect = props.protect ?? false;
    // Grafana's password is generated: outside production nothing is lost by deleting it at once, and a window would
    // block re-creating the environment under the same name.
    const recoveryWindowInDays = protect ? 30 : 0;
    this.namespace = MONITORING_NAMESPACE;
    const labels = { ...costAllocationLabels(props.owner), ...PART_OF };
    const ns = new NamespaceV1(this, "namespace", { metadata: { name: this.namespace, labels } });
    // Also the cluster's default class: claims that name none (Kubeflow Pipelines' MySQL) bind to it.
    this.storageClass = new EncryptedGp3StorageClass(this, "storage-class", { volumeTags: props.volumeTags, retain: protect, isDefault: true, kmsKeyArn: props.volumesKeyArn });

    // The monitoring namespace's own SecretStore: Grafana's and Alertmanager's secrets reach no other namespace.
    const store = props.externalSecrets.secretStore(this, this.namespace);
    this.grafanaAdmin = new GrafanaAdminCredential(this, "grafana-admin", {
      secretName: `${props.namePrefix}/grafana/admin`,
      kubernetesSecretName: GRAFANA_ADMIN_SECRET,
      store,
      recoveryWindowInDays,
      protect,
      kmsKeyArn: props.secretsKeyArn,
    });
    for (const r of s.alertmanager.receivers) {
      const arn = props.receiverSecretArns[r.name];
      if (!arn) throw new Error(`observability: receiver ${r.name} has no secret ARN in receiverSecretArns (the bootstrap stack creates one per receiver)`);
      store.allowSecret(arn, props.secretsKeyArn);
    }
    // The Secrets must exist before Grafana starts (existingSecret); ExternalSecrets need the store, its role and the secret.
    const secrets = new ManifestsRelease(this, "secrets", {
      releaseName: "monitoring-secrets",
      namespace: this.namespace,
      dependsOn: [ns, this.grafanaAdmin.version, ...store.dependables(), ...(props.externalSecretsReady?.() ?? [])],
    });
    secrets.add(store.manifest);
    secrets.add(this.grafanaAdmin.externalSecret);
    for (const r of s.alertmanager.receivers) secrets.add(receiverExternalSecret(r, props.namePrefix, store));

    if (s.ampRemoteWrite.enabled) {
      this.amp = new AmpRemoteWrite(this, "amp", {
        cluster: props.cluster,
        region: props.region,
        alias: props.namePrefix,
        namespace: this.namespace,
        serviceAccount: PROMETHEUS_SERVICE_ACCOUNT,
        roleName: `${props.namePrefix}-prometheus-amp`,
        protect,
        kmsKeyArn: props.metricsKeyArn,
      });
    }

    this.stack = new KubePrometheusStack(this, "kube-prometheus-stack", {
      namespace: this.namespace,
      clusterName: props.clusterName,
      environment: props.environment,
      prometheus: s.prometheus,
      alertmanagerReplicas: s.alertmanager.replicas,
      receivers: s.alertmanager.receivers,
      storageClassName: this.storageClass.name,
      grafanaAdminSecretName: GRAFANA_ADMIN_SECRET,
      namespaceLabelsAllowlist: [TEAM_LABEL, COST_CENTER_LABEL],
      remoteWrite: this.amp?.remoteWriteSpec(),
      dependsOn: [
        ns,
        this.storageClass.storageClass,
        secrets.release,
        ...(props.capacity ?? []),
        ...(this.amp ? [...this.amp.role.dependables(), this.amp.role.association] : []),
      ],
    });

    this.monitoring = new ManifestsRelease(this, "monitors", { releaseName: "ml-platform-monitoring", namespace: this.namespace, dependsOn: [this.stack.chart.release] });
    for (const m of platformServiceMonitors(this.namespace, PART_OF, props.scrapeTargets)) this.monitoring.add(m);
    this.monitoring.add(prometheusRule("ml-platform", this.namespace, platformRuleGroups(s.alerts, s.slo), PART_OF));

    this.dashboards = new ManifestsRelease(this, "dashboards", { releaseName: "ml-platform-dashboards", namespace: this.namespace, dependsOn: [ns] });
    for (const [name, model] of Object.entries(platformDashboards(s.slo))) {
      this.dashboards.add(dashboardConfigMap(`ml-platform-dashboard-${name}`, this.namespace, model, GRAFANA_DASHBOARD_LABEL, PART_OF));
    }

    if (s.opencost.enabled) {
      const ocNs = new NamespaceV1(this, "opencost-namespace", { metadata: { name: "opencost", labels: { ...labels } } });
      this.opencost = new OpenCost(this, "opencost", {
        namespace: "opencost",
        clusterId: props.clusterName,
        prometheusNamespace: this.namespace,
        dependsOn: [ocNs, this.stack.chart.release],
      });
    }
  }
}
