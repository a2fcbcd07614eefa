import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { MlDataStores } from "../data/ml-data-stores";
import { rdsCaBundle } from "../data/postgres-database";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { Reloader, RELOAD_ON_SECRET_ANNOTATION } from "../kubernetes/reloader";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import type { IExternalSecrets } from "../secrets/external-secrets-api";
import type { NamespaceSecretStore } from "../secrets/secret-store";
import { systemTolerations } from "./gpu-scheduling";
import { MlflowDatabaseLogin } from "./mlflow-db-login";

/**
 * MLflow chart 1.11.5 (MLflow 3.15.1) from the community-charts repository; ships values.schema.json.
 * @see https://community-charts.github.io/helm-charts
 */
export const MLFLOW_CHART = { repository: "https://community-charts.github.io/helm-charts", chart: "mlflow", version: "1.11.5" } as const;

/**
 * The chart's image at its appVersion (burakince/mlflow, tag 3.15.1 = commit 9820281d, published by its
 * docker-publish workflow). Pinned here because the login Job runs the same image (boto3 1.43.66, psycopg2 2.9.12).
 */
export const MLFLOW_IMAGE = { repository: "burakince/mlflow", tag: "3.15.1" } as const;

/** Kubernetes Secret (synced by External Secrets from MLflow's login secret) with keys `username` and `password`. */
export const MLFLOW_DATABASE_SECRET = "mlflow-database";

/** MLflow's own PostgreSQL role (the RDS master user is `mlflow`, used only by the login Job). */
export const MLFLOW_DATABASE_USER = "mlflow_server";

/** ConfigMap with the RDS root CAs of the region, and where MLflow mounts it (libpq reads PGSSLROOTCERT). */
export const RDS_CA_CONFIGMAP = "rds-ca-bundle";
const RDS_CA_DIR = "/etc/rds-ca";

export interface MlflowProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly externalSecrets: IExternalSecrets;
  readonly region: string;
  readonly roleName: string;
  /** Role of the database login Job (reads the master secret). */
  readonly loginRoleName: string;
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
 * MLflow tracking server and model registry. Runs and registry live in the RDS PostgreSQL of the foundation, reached as
 * MLflow's own least-privilege login (MlflowDatabaseLogin) over TLS that verifies the server certificate against the
 * region's RDS CAs. The login reaches the pod only as a Kubernetes Secret synced by External Secrets through the
 * namespace's own SecretStore (the chart's `existingDatabaseSecret`), so no password is in Helm values or Terraform state.
 * Artifacts are proxied by the server (`--serve-artifacts`) to S3, so only the server's Pod Identity role, limited to
 * the artifact bucket and its key, touches the bucket; clients need no AWS credentials.
 */
export class Mlflow extends Construct {
  readonly role: PodIdentityRole;
  readonly chart: HelmChart;
  readonly config: ManifestsRelease;
  readonly store: NamespaceSecretStore;
  readonly login: MlflowDatabaseLogin;
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
    const caBundle = rdsCaBundle(props.region);
    const loginSecret = props.dataStores.mlflowLoginSecret;

    this.login = new MlflowDatabaseLogin(this, "login", {
      cluster: props.cluster,
      region: props.region,
      database: {
        address: db.address,
        port: db.port,
        databaseName: db.databaseName,
        masterUserSecretArn: db.masterUserSecretArn,
        loginSecretArn: loginSecret.arn,
        secretKmsKeyArn: db.secretKmsKeyArn,
      },
      loginUser: MLFLOW_DATABASE_USER,
      image: `${MLFLOW_IMAGE.repository}:${MLFLOW_IMAGE.tag}`,
      caBundle,
      roleName: props.loginRoleName,
      dependsOn: props.dependsOn,
    });

    this.store = props.externalSecrets.secretStore(this, ns);
    this.store.allowSecret(loginSecret.arn, db.secretKmsKeyArn);
    this.config = new ManifestsRelease(this, "config", {
      releaseName: "mlflow-config",
      namespace: ns,
      // The login Job has written the login secret (Helm waited for it), so the first sync finds a value.
      dependsOn: [...(props.dependsOn ?? []), this.login.release.release, ...this.store.dependables()],
    });
    this.config.add(this.store.manifest);
    // The Job rotates the password (monthly, see MlflowDatabaseLogin). MLflow reads it once, at start: the Secret
    // follows within a minute and Reloader then rolls MLflow, so new connections use the new password (about 43,000
    // GetSecretValue calls a month, $0.22).
    this.config.add(this.store.externalSecret({ name: MLFLOW_DATABASE_SECRET, key: props.dataStores.mlflowLoginSecretName, refreshInterval: "1m", deletionPolicy: "Retain" }));
    this.config.add({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: RDS_CA_CONFIGMAP, namespace: ns }, data: { "ca.pem": caBundle } });
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
        image: { repository: MLFLOW_IMAGE.repository, tag: MLFLOW_IMAGE.tag },
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
          // RDS enforces TLS (rds.force_ssl); libpq verifies the certificate and the host name against the region's CAs.
          PGSSLMODE: "verify-full",
          PGSSLROOTCERT: `${RDS_CA_DIR}/ca.pem`,
        },
        extraVolumes: [{ name: "rds-ca", configMap: { name: RDS_CA_CONFIGMAP } }],
        extraVolumeMounts: [{ name: "rds-ca", mountPath: RDS_CA_DIR, readOnly: true }],
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
