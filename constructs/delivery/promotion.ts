import { createHash } from "node:crypto";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { restrictedContainerSecurityContext } from "../kubernetes/security-context";
import { systemTolerations } from "../ml/gpu-scheduling";
import { PROMOTION_SCRIPT } from "./promotion-script";

/** Where the program is mounted. */
const PROGRAM_DIR = "/opt/promotion";

/** Label on every promotion Job's pods (the PromotionJobFailed alert and the dashboard select by job name). */
export const PROMOTION_JOB_PREFIX = "promote-";

export interface ModelPromotionProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly region: string;
  /** Triton's model name. */
  readonly model: string;
  /** The registered model and alias in MLflow. */
  readonly registry: { readonly model: string; readonly alias: string };
  /** `reviewed`: a Job stages `version` before the Rollout names it. `automatic`: a CronJob follows the alias. */
  readonly mode: { readonly type: "reviewed"; readonly version: number } | { readonly type: "automatic"; readonly schedule: string };
  readonly roleName: string;
  readonly namespace: string;
  /** The Rollout an automatic promotion patches. */
  readonly rollout: { readonly namespace: string; readonly name: string };
  readonly trackingUri: string;
  /** Image with the MLflow client and boto3 (MLflow's own). */
  readonly image: string;
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Promotion of one model from the registry, as its own Pod Identity role (read MLflow's artifact bucket, write only
 * `model_repository/<model>/`). Reviewed (staging, production): a Job named after the version and its spec stages the
 * pinned version; Helm waits for it, and the model's Rollout release depends on this one, so the Rollout only ever
 * names a staged version and a version that cannot be staged fails the apply. Automatic (development): a CronJob
 * follows the alias and patches the Rollout's version annotation, with RBAC on that one Rollout.
 */
export class ModelPromotion extends Construct {
  readonly role: PodIdentityRole;
  readonly release: ManifestsRelease;
  readonly serviceAccount: string;

  constructor(scope: Construct, id: string, props: ModelPromotionProps) {
    super(scope, id);
    const ns = props.namespace;
    const name = `${PROMOTION_JOB_PREFIX}${props.model}`;
    this.serviceAccount = name;
    const automatic = props.mode.type === "automatic";
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: ns,
      serviceAccount: name,
      roleName: props.roleName,
      description: `Promotion of model ${props.model}: read MLflow's artifacts, write model_repository/${props.model}/ only`,
    });
    props.dataStores.grantMlflowArtifactsRead(this.role, "promotion");
    props.dataStores.grantModelVersionsWrite(this.role, props.model, "promotion");

    this.release = new ManifestsRelease(this, "release", {
      releaseName: name,
      namespace: ns,
      // Reviewed: the Rollout release waits for the staged version.
      waitForJobs: !automatic,
      dependsOn: [...props.dependsOn, ...this.role.dependables(), this.role.association],
    });
    const labels = { "app.kubernetes.io/name": "model-promotion", "app.kubernetes.io/part-of": "ml-platform", "ml-platform.io/model": props.model };
    const add = (o: KubernetesObject) => this.release.add(o);
    add({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels }, automountServiceAccountToken: automatic });
    add({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels }, data: { "promote.py": PROMOTION_SCRIPT } });
    const settings: Record<string, string> = {
      MODEL: props.model,
      REGISTERED_MODEL: props.registry.model,
      ALIAS: props.registry.alias,
      REPOSITORY: props.dataStores.modelRepositoryUri,
      ARTIFACTS_BUCKET: props.dataStores.bucketNames.mlflowArtifacts,
      ROLLOUT_NAMESPACE: props.rollout.namespace,
      ROLLOUT: props.rollout.name,
      MLFLOW_TRACKING_URI: props.trackingUri,
      AWS_REGION: props.region,
      AWS_DEFAULT_REGION: props.region,
      HOME: "/tmp",
      PYTHONDONTWRITEBYTECODE: "1",
    };
    const pod = (extra: Record<string, string>) => ({
      metadata: { labels },
      spec: {
        serviceAccountName: name,
        restartPolicy: "Never",
        tolerations: systemTolerations(),
        securityContext: { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "promote",
            image: props.image,
            command: ["python", `${PROGRAM_DIR}/promote.py`],
            env: Object.entries({ ...settings, ...extra }).map(([k, value]) => ({ name: k, value })),
            resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
            securityContext: restrictedContainerSecurityContext({ readOnlyRootFilesystem: true }),
            volumeMounts: [
              { name: "program", mountPath: PROGRAM_DIR, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "program", configMap: { name } },
          { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
        ],
      },
    });
    if (props.mode.type === "reviewed") {
      const spec = { backoffLimit: 2, activeDeadlineSeconds: 1800, template: pod({ MODE: "stage", VERSION: String(props.mode.version) }) };
      // A Job's template is immutable: a new version or program is a new Job, named so.
      const hash = createHash("sha256").update(JSON.stringify({ spec, program: PROMOTION_SCRIPT })).digest("hex").slice(0, 8);
      add({ apiVersion: "batch/v1", kind: "Job", metadata: { name: `${name}-v${props.mode.version}-${hash}`, namespace: ns, labels }, spec });
      return;
    }
    add({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name, namespace: ns, labels },
      spec: {
        schedule: props.mode.schedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        // Finished runs go after a day (their logs with them), history limits or not: a failed run is no lasting state.
        jobTemplate: { spec: { backoffLimit: 0, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 86400, template: pod({ MODE: "follow" }) } },
      },
    });
    // The CronJob reads and patches its model's Rollout (its status for the full promotion from the seed) and its
    // ScaledObject (to end the seed's pause), nothing else.
    add({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace: props.rollout.namespace, labels },
      rules: [
        { apiGroups: ["argoproj.io"], resources: ["rollouts", "rollouts/status"], resourceNames: [props.rollout.name], verbs: ["get", "patch"] },
        { apiGroups: ["keda.sh"], resources: ["scaledobjects"], resourceNames: [props.rollout.name], verbs: ["get", "patch"] },
      ],
    });
    add({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace: props.rollout.namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    });
  }
}
