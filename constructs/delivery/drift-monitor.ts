import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { INFERENCE_LOG_PREFIX, type MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { podMonitor } from "../kubernetes/prometheus-monitors";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../kubernetes/security-context";

/** Where the drift monitor serves its gauges (images/drift-monitor/drift_monitor.py). */
export const DRIFT_METRICS_PORT = 9100;

/** Its gauges, as images/drift-monitor/drift_monitor.py publishes them. */
export const DRIFT_METRICS = {
  share: "ml_model_input_drift_share",
  columns: "ml_model_input_drift_columns",
  rows: "ml_model_input_rows",
  lastRun: "ml_model_drift_last_run_timestamp_seconds",
} as const;

/** The environment's `delivery.drift`. */
export interface DriftSettings {
  readonly intervalMinutes: number;
  readonly currentHours: number;
  readonly referenceDays: number;
  readonly threshold: number;
}

export interface DriftMonitorProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly region: string;
  readonly model: string;
  readonly settings: DriftSettings;
  readonly roleName: string;
  readonly namespace: string;
  /** The platform's drift-monitor image in the environment's ECR (repository URI and content tag). */
  readonly image: string;
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Input drift of one served model: a Deployment of the platform's drift-monitor image (Evidently 0.7.21) that compares
 * the model's recently captured requests with the days before them on a schedule and serves the drifted-column share
 * as Prometheus gauges, scraped through a PodMonitor. A CronJob would be gone before Prometheus scraped it, and a
 * Pushgateway would be one more stateful component: a long-running pod keeps its last result scrapeable and its
 * schedule in its own loop. Its Pod Identity role reads only `inference_log/<model>/`.
 */
export class DriftMonitor extends Construct {
  readonly role: PodIdentityRole;
  readonly release: ManifestsRelease;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const ns = props.namespace;
    const name = `drift-${props.model}`;
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount: name,
      roleName: props.roleName,
      description: `Drift monitor of model ${props.model}: read its captured requests only`,
    });
    props.dataStores.grantInferenceLogRead(this.role, props.model, "drift");
    this.release = new ManifestsRelease(this, "release", {
      releaseName: name,
      namespace: ns,
      // The image is pushed by the deploy workflow; a missing one shows as DriftMonitorStale, not as a failed apply.
      wait: false,
      dependsOn: [...props.dependsOn, ...this.role.dependables(), this.role.association],
    });
    const labels = { "app.kubernetes.io/name": "drift-monitor", "app.kubernetes.io/part-of": "ml-platform", "ml-platform.io/model": props.model };
    const s = props.settings;
    const env = {
      MODEL: props.model,
      BUCKET: props.dataStores.bucketNames.tritonModels,
      PREFIX: INFERENCE_LOG_PREFIX,
      INTERVAL_MINUTES: String(s.intervalMinutes),
      CURRENT_HOURS: String(s.currentHours),
      REFERENCE_DAYS: String(s.referenceDays),
      THRESHOLD: String(s.threshold),
      PORT: String(DRIFT_METRICS_PORT),
      AWS_REGION: props.region,
      AWS_DEFAULT_REGION: props.region,
    };
    this.release.add({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels }, automountServiceAccountToken: false });
    this.release.add({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: 1,
        // One comparison at a time: a second pod would only repeat the first's reads.
        strategy: { type: "Recreate" },
        selector: { matchLabels: { "app.kubernetes.io/name": "drift-monitor", "ml-platform.io/model": props.model } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            securityContext: restrictedPodSecurityContext(),
            containers: [
              {
                name: "drift-monitor",
                image: props.image,
                imagePullPolicy: "IfNotPresent",
                env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
                ports: [{ name: "metrics", containerPort: DRIFT_METRICS_PORT, protocol: "TCP" }],
                resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "3Gi" } },
                securityContext: restrictedContainerSecurityContext({ readOnlyRootFilesystem: true }),
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
          },
        },
      },
    });
    this.release.add(podMonitor({ name, namespace: ns, matchLabels: { "app.kubernetes.io/name": "drift-monitor", "ml-platform.io/model": props.model }, endpoints: [{ port: "metrics", interval: "60s" }] }));
  }
}
