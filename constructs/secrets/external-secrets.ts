import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import type { IExternalSecrets } from "./external-secrets-api";

/**
 * External Secrets Operator chart 2.9.0 (app v2.9.0), the newest release in the research mirror
 * (github.com/external-secrets/external-secrets tag helm-chart-2.9.0, 2026-08-08).
 * @see https://charts.external-secrets.io
 */
export const EXTERNAL_SECRETS_CHART = { repository: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" } as const;

/** Name of the ClusterSecretStore backed by AWS Secrets Manager. */
export const CLUSTER_SECRET_STORE_NAME = "aws-secrets-manager";

/** Tolerates the system node group's taint so the operator runs before (and without) Karpenter capacity. */
const systemTolerations = () => [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }];

export interface ExternalSecretsProps {
  readonly cluster: PodIdentityCluster;
  /** Region of the Secrets Manager secrets. */
  readonly region: string;
  /** Physical name of the controller's IAM role. */
  readonly roleName: string;
  /** @default "external-secrets" */
  readonly namespace?: string;
  /** What must exist before the operator installs (for example the system node group's add-ons). @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * External Secrets Operator with a ClusterSecretStore for AWS Secrets Manager. The controller's service account has
 * a Pod Identity role that starts with no permissions: each secret it may sync is added with `allowSecret`, so the
 * operator can read exactly the secrets this repository names and nothing else.
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class ExternalSecrets extends Construct implements IExternalSecrets {
  readonly clusterSecretStoreName = CLUSTER_SECRET_STORE_NAME;
  readonly namespace: string;
  readonly role: PodIdentityRole;
  readonly chart: HelmChart;
  /** The release holding the ClusterSecretStore; ExternalSecrets elsewhere should depend on it. */
  readonly store: ManifestsRelease;
  private readonly region: string;
  private readonly allowedSecrets = new Set<string>();
  private readonly allowedKeys = new Set<string>();

  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "external-secrets";
    this.region = props.region;
    const serviceAccount = "external-secrets";
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: this.namespace,
      serviceAccount,
      roleName: props.roleName,
      description: "External Secrets Operator controller: reads only the Secrets Manager secrets granted with allowSecret",
    });
    const controller = { cpu: "10m", memory: "64Mi" };
    const small = { cpu: "10m", memory: "32Mi" };
    const pod = (name: string, requests: { cpu: string; memory: string }, replicas: number, sa?: string) => ({
      name,
      kind: "Deployment" as const,
      replicas,
      requests,
      tolerations: systemTolerations(),
      ...(sa ? { serviceAccount: sa } : {}),
    });
    this.chart = new HelmChart(this, "chart", {
      chart: EXTERNAL_SECRETS_CHART,
      releaseName: "external-secrets",
      namespace: this.namespace,
      values: {
        installCRDs: true,
        replicaCount: 2,
        leaderElect: true,
        serviceAccount: { create: true, name: serviceAccount },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        // A metrics Service, so a ServiceMonitor can be added once the Prometheus Operator CRDs are installed.
        metrics: { service: { enabled: true } },
        resources: { requests: controller },
        tolerations: systemTolerations(),
        webhook: { tolerations: systemTolerations(), resources: { requests: small } },
        certController: { tolerations: systemTolerations(), resources: { requests: small } },
      },
      footprint: {
        crds: [
          "external-secrets.io/ExternalSecret",
          "external-secrets.io/ClusterExternalSecret",
          "external-secrets.io/SecretStore",
          "external-secrets.io/ClusterSecretStore",
          "external-secrets.io/PushSecret",
          "generators.external-secrets.io/Password",
        ],
        serviceAccounts: [serviceAccount],
        // Webhook and cert controller run one replica each (the chart's webhook.replicaCount and certController.replicaCount).
        pods: [pod("external-secrets", controller, 2, serviceAccount), pod("external-secrets-webhook", small, 1), pod("external-secrets-cert-controller", small, 1)],
      },
      // The role and its association must exist before the controller starts, or its first calls fail unauthenticated.
      dependsOn: [...(props.dependsOn ?? []), ...this.role.dependables(), this.role.association],
    });
    this.store = new ManifestsRelease(this, "store", { releaseName: "cluster-secret-store", namespace: this.namespace, dependsOn: [this.chart.release] });
    this.store.add({
      apiVersion: "external-secrets.io/v1",
      kind: "ClusterSecretStore",
      metadata: { name: CLUSTER_SECRET_STORE_NAME },
      // No auth block: the controller's own Pod Identity credentials are used (serviceAccountRef cannot be combined
      // with Pod Identity).
      spec: { provider: { aws: { service: "SecretsManager", region: props.region } } },
    });
  }

  /**
   * Lets the controller read one secret (GetSecretValue, DescribeSecret on its ARN). With `kmsKeyArn` (a customer
   * managed key encrypting the secret) it may also decrypt with that key, but only through Secrets Manager.
   * Calling it twice for the same secret or key adds nothing.
   */
  allowSecret(secretArn: string, kmsKeyArn?: string): void {
    if (!this.allowedSecrets.has(secretArn)) {
      this.allowedSecrets.add(secretArn);
      this.role.addToPolicy({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secretArn }, "secrets");
    }
    if (kmsKeyArn && !this.allowedKeys.has(kmsKeyArn)) {
      this.allowedKeys.add(kmsKeyArn);
      this.role.addToPolicy(
        { Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${this.region}.amazonaws.com` } } },
        "secrets",
      );
    }
  }
}
