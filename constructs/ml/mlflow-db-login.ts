import { createHash } from "node:crypto";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { systemTolerations } from "./gpu-scheduling";
import { MLFLOW_DB_LOGIN_SCRIPT } from "./mlflow-db-login-script";

/** Where the Job mounts its program and the RDS CA bundle. */
const SCRIPT_DIR = "/opt/mlflow-db-login";
const CA_FILE = `${SCRIPT_DIR}/rds-ca.pem`;

/** The database the login is made for, and the secrets involved (ARNs may be cross-stack references). */
export interface MlflowDatabaseTarget {
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** RDS-managed master secret: read once per run, never synced into the cluster. */
  readonly masterUserSecretArn: string;
  /** The login secret `{"username", "password"}` the Job writes and External Secrets syncs to MLflow. */
  readonly loginSecretArn: string;
  /** The key both secrets are encrypted with. */
  readonly secretKmsKeyArn: string;
}

export interface MlflowDatabaseLoginProps {
  readonly cluster: PodIdentityCluster;
  readonly region: string;
  readonly database: MlflowDatabaseTarget;
  /** PostgreSQL role MLflow logs in as. */
  readonly loginUser: string;
  /** Image with Python, boto3 and psycopg2 (MLflow's own). */
  readonly image: string;
  /** PEM bundle of the RDS root CAs of the region (the connection verifies the server certificate). */
  readonly caBundle: string;
  readonly roleName: string;
  /** @default "mlflow-admin" */
  readonly namespace?: string;
  /** Cron schedule (UTC) of the password rotation. @default "0 3 1 * *" (03:00 on the 1st of every month) */
  readonly rotationSchedule?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * MLflow's own least-privilege PostgreSQL login, made by a Job in a namespace of its own (`mlflow-admin`) that reads
 * the RDS master secret through its Pod Identity role: no password passes through Terraform, and the master
 * credential never becomes a Kubernetes Secret. The same program rotates the password from a CronJob; External
 * Secrets (refresh 1 min) and Reloader then roll MLflow onto it, as for any rotated secret.
 */
export class MlflowDatabaseLogin extends Construct {
  readonly role: PodIdentityRole;
  readonly release: ManifestsRelease;
  readonly namespace: string;
  /** The one-off Job's name: it carries a hash of its pod template, so a changed program runs again. */
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: MlflowDatabaseLoginProps) {
    super(scope, id);
    const ns = props.namespace ?? "mlflow-admin";
    this.namespace = ns;
    const serviceAccount = "mlflow-db-admin";
    const db = props.database;
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount,
      roleName: props.roleName,
      description: "MLflow database login Job: read the RDS master secret, write MLflow's login secret",
    });
    const viaSecretsManager = { StringEquals: { "kms:ViaService": `secretsmanager.${props.region}.amazonaws.com` } };
    this.role.addToPolicy({ Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: db.masterUserSecretArn }, "database-login");
    this.role.addToPolicy(
      { Sid: "WriteLoginSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret"], Resource: db.loginSecretArn },
      "database-login",
    );
    // GetRandomPassword has no resource type: "*" is the only resource it can have.
    this.role.addToPolicy({ Sid: "GeneratePassword", Effect: "Allow", Action: ["secretsmanager:GetRandomPassword"], Resource: "*" }, "database-login");
    this.role.addToPolicy({ Sid: "SecretsKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: db.secretKmsKeyArn, Condition: viaSecretsManager }, "database-login");

    const program: KubernetesObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "mlflow-db-login", namespace: ns },
      data: { "mlflow_db_login.py": MLFLOW_DB_LOGIN_SCRIPT, "rds-ca.pem": props.caBundle },
    };
    // Settings that may change without rerunning the Job (the database address after a replacement) live in a
    // ConfigMap: a Job's pod template is immutable, so Helm could not update it in place.
    const settings: KubernetesObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "mlflow-db-login-settings", namespace: ns },
      data: {
        DB_HOST: db.address,
        DB_PORT: String(db.port),
        DB_NAME: db.databaseName,
        LOGIN_USER: props.loginUser,
        MASTER_SECRET_ID: db.masterUserSecretArn,
        LOGIN_SECRET_ID: db.loginSecretArn,
      },
    };
    const pod = (rotate: boolean) => ({
      metadata: { labels: { "app.kubernetes.io/name": "mlflow-db-login", "app.kubernetes.io/part-of": "ml-platform" } },
      spec: {
        serviceAccountName: serviceAccount,
        restartPolicy: "Never",
        tolerations: systemTolerations(),
        securityContext: { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "login",
            image: props.image,
            command: ["python", `${SCRIPT_DIR}/mlflow_db_login.py`],
            envFrom: [{ configMapRef: { name: "mlflow-db-login-settings" } }],
            env: [
              { name: "AWS_REGION", value: props.region },
              { name: "AWS_DEFAULT_REGION", value: props.region },
              { name: "PGSSLROOTCERT", value: CA_FILE },
              { name: "ROTATE", value: String(rotate) },
              { name: "HOME", value: "/tmp" },
              { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
            ],
            resources: { requests: { cpu: "50m", memory: "192Mi" }, limits: { memory: "384Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [
              { name: "program", mountPath: SCRIPT_DIR, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "program", configMap: { name: "mlflow-db-login" } },
          { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
      },
    });
    const jobSpec = (rotate: boolean) => ({ backoffLimit: 4, activeDeadlineSeconds: 900, template: pod(rotate) });
    const hash = createHash("sha256").update(JSON.stringify({ spec: jobSpec(false), script: MLFLOW_DB_LOGIN_SCRIPT })).digest("hex").slice(0, 8);
    this.jobName = `mlflow-db-login-${hash}`;

    // Helm waits for the Job (wait_for_jobs): MLflow is installed only after its login and secret exist.
    this.release = new ManifestsRelease(this, "release", {
      releaseName: "mlflow-db-login",
      namespace: ns,
      waitForJobs: true,
      dependsOn: [...(props.dependsOn ?? []), ...this.role.dependables(), this.role.association],
    });
    this.release.add({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace: ns }, automountServiceAccountToken: false });
    this.release.add(program);
    this.release.add(settings);
    this.release.add({ apiVersion: "batch/v1", kind: "Job", metadata: { name: this.jobName, namespace: ns }, spec: jobSpec(false) });
    this.release.add({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "mlflow-db-login-rotation", namespace: ns },
      spec: {
        schedule: props.rotationSchedule ?? "0 3 1 * *",
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: jobSpec(true) },
      },
    });
  }
}
