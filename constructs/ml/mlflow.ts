import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { Reloader, RELOAD_ON_SECRET_ANNOTATION } from "../kubernetes/reloader";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import type { IExternalSecrets } from "../secrets/external-secrets-api";
import { systemTolerations } from "./gpu-scheduling";

/**
 * MLflow chart 1.11.5 (MLflow 3.15.1) from the community-charts repository; ships values.schema.json.
 * @see https://community-charts.github.io/helm-charts
 */
export const MLFLOW_CHART = { repository: "https://community-charts.github.io/helm-charts", chart: "mlflow", version: "1.11.5" } as const;

/** Kubernetes Secret (synced by External Secrets from the RDS-managed secret) with keys `username` and `password`. */
export const MLFLOW_DATABASE_SECRET = "mlflow-database";

export interface MlflowProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly externalSecrets: IExternalSecrets;
  readonly region: string;
  readonly roleName: string;
  /** @default 1 */
  readonly replicas?: number;
  /**
   * Host header patterns MLflow's DNS-rebinding protection accepts besides the in-cluster Service names (for example
   * the VPC's pod addresses, which Prometheus and kubelet use, and the load balancer's DNS name).
   */
  readonly extraAllowedHosts: readonly string[];
  /** @default "mlflow" */
  readonly namespace?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * MLflow tracking server and model registry. Runs and registry live in the RDS PostgreSQL of the foundation; its
 * credentials reach the pod only as a Kubernetes Secret synced by External Secrets from the RDS-managed Secrets
 * Manager secret (the chart's `existingDatabaseSecret`), so no password is in Helm values or Terraform state.
 * Artifacts are proxied by the server (`--serve-artifacts`) to S3, so only the server's Pod Identity role, limited to
 * the artifact bucket and its key, touches the bucket; clients need no AWS credentials.
 */
export class Mlflow extends Construct {
  readonly role: PodIdentityRole;
  readonly chart: HelmChart;
  readonly config: ManifestsRelease;
  /** Restarts MLflow when External Secrets syncs a rotated database password. */
  readonly reloader: Reloader;
  readonly namespace: string;
  readonly serviceName = "mlflow";
  /** In-cluster tracking URI (`MLFLOW_TRACKING_URI`). */
  readonly trackingUri: string;

  constructor(scope: Construct, id: string, props: MlflowProps) {
    super(scope, id);
    const ns = props.namespace ?? "mlflow";
    this.namespace = ns;
    const serviceAccount = "mlflow";
    const db = props.dataStores.mlflowDatabase;
    this.trackingUri = `http://${this.serviceName}.${ns}.svc.cluster.local`;

    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount,
      roleName: props.roleName,
      description: "MLflow tracking server: read and write its artifact bucket only",
    });
    props.dataStores.grantMlflowArtifactsReadWrite(this.role);
    props.externalSecrets.allowSecret(db.masterUserSecretArn, db.secretKmsKeyArn);

    this.config = new ManifestsRelease(this, "config", { releaseName: "mlflow-config", namespace: ns, dependsOn: props.dependsOn });
    this.config.add({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: MLFLOW_DATABASE_SECRET, namespace: ns },
      spec: {
        // RDS rotates the password (7 days by default). MLflow reads it once, at start: the Secret follows within a
        // minute and Reloader then rolls MLflow, so new connections use the new password (about 43,000
        // GetSecretValue calls a month, $0.22).
        refreshInterval: "1m",
        secretStoreRef: { kind: "ClusterSecretStore", name: props.externalSecrets.clusterSecretStoreName },
        target: { name: MLFLOW_DATABASE_SECRET, creationPolicy: "Owner", deletionPolicy: "Retain" },
        // The RDS-managed secret is JSON {"username": ..., "password": ...}; extract maps its keys one to one.
        dataFrom: [{ extract: { key: db.masterUserSecretArn } }],
      },
    });
    this.config.add(
      serviceMonitor({
        name: this.serviceName,
        namespace: ns,
        matchLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow" },
        endpoints: [{ port: "http", path: "/metrics" }],
      }),
    );

    this.reloader = new Reloader(this, "reloader", { namespace: ns, tolerations: systemTolerations(), dependsOn: [this.config.release] });

    const svc = this.serviceName;
    this.chart = new HelmChart(this, "chart", {
      chart: MLFLOW_CHART,
      releaseName: "mlflow",
      namespace: ns,
      values: {
        replicaCount: props.replicas ?? 1,
        // Reloader rolls the Deployment when External Secrets writes a rotated password into this Secret.
        deploymentAnnotations: { [RELOAD_ON_SECRET_ANNOTATION]: MLFLOW_DATABASE_SECRET },
        serviceAccount: { create: true, automount: false, name: serviceAccount },
        backendStore: {
          databaseMigration: true,
          databaseConnectionCheck: true,
          postgres: { enabled: true, host: db.address, port: db.port, database: db.databaseName, user: "", password: "", driver: "" },
          existingDatabaseSecret: { name: MLFLOW_DATABASE_SECRET, usernameKey: "username", passwordKey: "password" },
        },
        artifactRoot: {
          proxiedArtifactStorage: true,
          s3: { enabled: true, bucket: props.dataStores.mlflowArtifacts.bucketName, path: "", awsAccessKeyId: "", awsSecretAccessKey: "" },
        },
        extraArgs: {
          // Multiprocess Prometheus metrics need a writable directory; /tmp is the chart's emptyDir.
          exposePrometheus: "/tmp/prometheus-metrics",
        },
        extraEnvVars: {
          AWS_REGION: props.region,
          AWS_DEFAULT_REGION: props.region,
          // RDS enforces TLS (rds.force_ssl); require it on the client side too.
          PGSSLMODE: "require",
        },
        serverAllowedHosts: [svc, `${svc}:*`, `${svc}.${ns}`, `${svc}.${ns}:*`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc:*`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}.svc.cluster.local:*`, "localhost:*", "127.0.0.1:*", ...props.extraAllowedHosts],
        // The ServiceMonitor is authored above (validated against the CRD); the chart's would target a port it does not name.
        serviceMonitor: { enabled: false },
        resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
      },
      footprint: {
        serviceAccounts: [serviceAccount],
        pods: [
          {
            name: "mlflow",
            kind: "Deployment",
            replicas: props.replicas ?? 1,
            requests: { cpu: "250m", memory: "1Gi" },
            serviceAccount,
            secrets: [MLFLOW_DATABASE_SECRET],
          },
        ],
      },
      dependsOn: [this.config.release, ...this.role.dependables(), this.role.association],
    });
  }
}
