import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import type { IExternalSecrets } from "./external-secrets-api";
import { NamespaceSecretStore, type SecretStoreOperator } from "./secret-store";
import { secretStoreRolesPolicy } from "./secret-store-policy";

/**
 * External Secrets Operator chart 2.9.0 (app v2.9.0), the newest release in the research mirror
 * (github.com/external-secrets/external-secrets tag helm-chart-2.9.0, 2026-08-08).
 * @see https://charts.external-secrets.io
 */
export const EXTERNAL_SECRETS_CHART = { repository: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" } as const;

/** Tolerates the system node group's taint so the operator runs before (and without) Karpenter capacity. */
const systemTolerations = () => [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }];

export interface ExternalSecretsProps {
  readonly cluster: PodIdentityCluster;
  /** Region of the Secrets Manager secrets. */
  readonly region: string;
  /** Physical name of the controller's IAM role. */
  readonly roleName: string;
  /** Store roles are named `<storeRolePrefix><namespace>`; the admission policy guards every role with this prefix. */
  readonly storeRolePrefix: string;
  /** @default "external-secrets" */
  readonly namespace?: string;
  /** What must exist before the operator installs (for example the system node group's add-ons). @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * External Secrets Operator for AWS Secrets Manager, with no ClusterSecretStore: every namespace that syncs secrets gets
 * its own SecretStore and role (`secretStore`), so a secret reaches only the namespace it was granted to. The
 * controller's Pod Identity role reads nothing itself; it may only assume the store roles, and an admission policy
 * stops any other store from naming them.
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class ExternalSecrets extends Construct implements IExternalSecrets {
  readonly namespace: string;
  readonly role: PodIdentityRole;
  readonly chart: HelmChart;
  /** The ValidatingAdmissionPolicy that keeps the platform's store roles in their own namespaces' SecretStores. */
  readonly storePolicy: ManifestsRelease;
  private readonly operator: SecretStoreOperator;
  private readonly storeRolePrefix: string;
  private readonly stores = new Map<string, NamespaceSecretStore>();

  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "external-secrets";
    const serviceAccount = "external-secrets";
    this.storeRolePrefix = props.storeRolePrefix;
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: this.namespace,
      serviceAccount,
      roleName: props.roleName,
      description: "External Secrets Operator controller: reads no secret; assumes the per-namespace SecretStore roles only",
    });
    this.operator = {
      accountId: props.cluster.accountId,
      region: props.region,
      clusterName: props.cluster.clusterName,
      roleArn: `arn:aws:iam::${props.cluster.accountId}:role/${props.roleName}`,
      namespace: this.namespace,
      serviceAccount,
    };
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
    this.storePolicy = new ManifestsRelease(this, "store-policy", { releaseName: "secret-store-policy", namespace: this.namespace, dependsOn: [this.chart.release] });
    for (const o of secretStoreRolesPolicy(`arn:aws:iam::${props.cluster.accountId}:role/${props.storeRolePrefix}`)) this.storePolicy.add(o);
  }

  secretStore(scope: Construct, namespace: string): NamespaceSecretStore {
    if (this.stores.has(namespace)) throw new Error(`external-secrets: namespace ${namespace} already has a SecretStore; share it instead of creating another`);
    const store = new NamespaceSecretStore(scope, `secret-store-${namespace}`, { operator: this.operator, namespace, roleName: `${this.storeRolePrefix}${namespace}` });
    this.stores.set(namespace, store);
    // Resource is the literal ARN: the store role may live in a later stack (the ml stack), applied after this one.
    this.role.addToPolicy({ Sid: `AssumeSecretStore${this.stores.size}`, Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: store.roleArn }, "secret-stores");
    return store;
  }

  existingStore(namespace: string): NamespaceSecretStore | undefined {
    return this.stores.get(namespace);
  }

  ready(): ITerraformDependable[] {
    return [this.chart.release, this.storePolicy.release, ...this.role.dependables(), this.role.association];
  }
}
