import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import type { IGrantable, PolicyStatement } from "../iam/policy";
import { KmsKey } from "../security/kms-key";
import { ACCESS_LOG_PREFIX } from "../storage/access-log-bucket";
import { SecureBucket } from "../storage/secure-bucket";
import { FeastOnlineTables } from "./feast-online-tables";
import { PostgresDatabase } from "./postgres-database";

/** Key prefix of Triton's model repository inside its bucket (`s3://<bucket>/model_repository/<model>/<version>/`). */
export const MODEL_REPOSITORY_PREFIX = "model_repository";
/**
 * Key prefix of LLM weights inside the model bucket (`s3://<bucket>/llm-weights/<model>/`, safetensors as `hf download`
 * writes them): vLLM streams them from there; servers read one model's prefix, a separate writer role publishes.
 */
export const LLM_WEIGHTS_PREFIX = "llm-weights";
/** Sampled inference requests (Triton's tensor traces), shipped by each Triton pod's capture sidecar (docs/delivery.md). */
export const INFERENCE_LOG_PREFIX = "inference_log";
/** Feast registry file (registry_type: file) inside the Feast bucket. */
export const FEAST_REGISTRY_KEY = "registry/registry.db";
/** Key prefix of Feast's offline store (parquet files of FileSources) inside the Feast bucket. */
export const FEAST_OFFLINE_PREFIX = "offline";
/** Key prefix under which the generated feature_store.yaml is published. */
export const FEAST_CONFIG_PREFIX = "config";
/** Key prefix of the teams' own data (`teams/<team>/`) in the MLflow artifacts and pipelines buckets. */
export const TEAM_DATA_PREFIX = "teams";

/** Physical bucket names, one per purpose (derived from the environment by the stack). */
export interface MlBucketNames {
  readonly mlflowArtifacts: string;
  readonly tritonModels: string;
  readonly feast: string;
  readonly pipelines: string;
}

export interface MlDatabaseSettings {
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
}

export interface MlDataStoresProps {
  /** `mlp-<env>`: prefix of the key alias and the database identifier. */
  readonly namePrefix: string;
  readonly accountId: string;
  readonly region: string;
  readonly bucketNames: MlBucketNames;
  readonly mlflowDatabase: MlDatabaseSettings;
  /** Feast project and the feature views whose online tables Terraform creates (see FeastOnlineTables). */
  readonly feast: { readonly project: string; readonly featureViews: readonly string[] };
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  /** The EKS cluster security group: every managed and Karpenter node carries it, so pods reach RDS through it. */
  readonly clusterSecurityGroupId: string;
  readonly logsKey: KmsKey;
  readonly logRetentionDays: number;
  /** Deliver the buckets' S3 server access logs here (production). @default - not logged (non-production decision) */
  readonly accessLogBucketName?: string;
  /**
   * Production protection for every store: prevent_destroy on key and buckets, RDS deletion protection and a final
   * snapshot. Without it, buckets are emptied on destroy (every version and delete marker), so an environment outside
   * production can be torn down and built again.
   * @default false
   */
  readonly protect?: boolean;
}

/** What a grant may do with objects. */
interface ObjectAccess {
  readonly sid: string;
  /** Limit to keys under this prefix. @default - the whole bucket */
  readonly prefix?: string;
  readonly write: boolean;
  /**
   * Allow bucket-level calls that carry no `s3:prefix` (HeadBucket, which Triton and Feast's registry call before
   * reading) by using StringLikeIfExists on the prefix condition. Listing with another prefix stays denied.
   * @default false
   */
  readonly allowBucketHead?: boolean;
}

const READ_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"] as const;
const WRITE_OBJECT_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;

/**
 * The ML services' state, kept in the foundation so it outlives the `<env>-ml` stack: a customer managed data key,
 * four SSE-KMS buckets (MLflow artifacts, Triton model repository, Feast registry and offline store, Kubeflow
 * Pipelines artifacts), Feast's DynamoDB online tables and the MLflow PostgreSQL database. Grants are scoped to one bucket (and prefix) each; the
 * data key is usable only through S3 (`kms:ViaService`), so a grantee can decrypt only what its S3 grants let it read.
 */
export class MlDataStores extends Construct {
  readonly dataKey: KmsKey;
  readonly mlflowArtifacts: SecureBucket;
  readonly tritonModels: SecureBucket;
  readonly feast: SecureBucket;
  readonly pipelines: SecureBucket;
  readonly mlflowDatabase: PostgresDatabase;
  /**
   * MLflow's own database login, JSON `{"username", "password"}`: created without a value; the ml stack's login Job
   * writes it (and rotates it), so no password is ever in Terraform configuration or state.
   */
  readonly mlflowLoginSecret: SecretsmanagerSecret;
  /** Its name as plain text (External Secrets reads it by name; no cross-stack reference needed). */
  readonly mlflowLoginSecretName: string;
  /** Feast's DynamoDB online tables (point-in-time recovery, the data key), one per declared feature view. */
  readonly feastOnlineTables: FeastOnlineTables;
  /**
   * An empty Feast registry, created once: Feast creates a missing registry on first use, which needs PutObject, but
   * its feature server reads with a read-only role. An empty object parses as an empty registry, so the server starts
   * and serves nothing until the first `feast apply` (writer role) replaces it; Terraform never writes it again.
   */
  readonly feastRegistry: S3Object;
  /** Plain (synth-time) bucket names, for configuration files that must be rendered at synth time. */
  readonly bucketNames: MlBucketNames;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: MlDataStoresProps) {
    super(scope, id);
    const protect = props.protect ?? false;
    this.region = props.region;
    this.bucketNames = props.bucketNames;
    this.dataKey = new KmsKey(this, "data-key", {
      accountId: props.accountId,
      alias: `${props.namePrefix}-ml-data`,
      description: `ML data stores of ${props.namePrefix}: S3 buckets, MLflow database and its secret`,
      protect,
    });
    const accessLogs = props.accessLogBucketName ? { bucketName: props.accessLogBucketName, prefix: ACCESS_LOG_PREFIX } : undefined;
    const bucket = (key: string, bucketName: string) => new SecureBucket(this, key, { bucketName, encryptionKey: this.dataKey, protect, forceDestroy: !protect, accessLogs });
    this.mlflowArtifacts = bucket("mlflow-artifacts", props.bucketNames.mlflowArtifacts);
    this.tritonModels = bucket("triton-models", props.bucketNames.tritonModels);
    this.feast = bucket("feast", props.bucketNames.feast);
    this.pipelines = bucket("pipelines", props.bucketNames.pipelines);

    this.feastRegistry = new S3Object(this, "feast-registry", {
      bucket: this.feast.bucketName,
      key: FEAST_REGISTRY_KEY,
      content: "",
      contentType: "application/octet-stream",
      lifecycle: { ignoreChanges: "all" },
    });

    this.feastOnlineTables = new FeastOnlineTables(this, "feast-online", {
      accountId: props.accountId,
      region: props.region,
      project: props.feast.project,
      featureViews: props.feast.featureViews,
      encryptionKey: this.dataKey,
      protect,
    });

    this.mlflowDatabase = new PostgresDatabase(this, "mlflow-db", {
      identifier: `${props.namePrefix}-mlflow`,
      databaseName: "mlflow",
      masterUsername: "mlflow",
      ...props.mlflowDatabase,
      vpcId: props.vpcId,
      subnetIds: props.privateSubnetIds,
      clientSecurityGroupIds: [props.clusterSecurityGroupId],
      encryptionKey: this.dataKey,
      logsKey: props.logsKey,
      logRetentionDays: props.logRetentionDays,
      protect,
    });
    this.mlflowLoginSecretName = `${props.namePrefix}/mlflow/database`;
    this.mlflowLoginSecret = new SecretsmanagerSecret(this, "mlflow-login", {
      name: this.mlflowLoginSecretName,
      description: `MLflow's PostgreSQL login on ${props.namePrefix}-mlflow, JSON {"username","password"}: written and rotated by the mlflow-db-login Job`,
      kmsKeyId: this.dataKey.keyArn,
      // Outside production the value is regenerated on the next run; a recovery window would block a rebuild.
      recoveryWindowInDays: protect ? 30 : 0,
      lifecycle: protect ? { preventDestroy: true } : undefined,
    });
  }

  /** `s3://<bucket>/model_repository`: Triton's `--model-repository`. */
  get modelRepositoryUri(): string {
    return `s3://${this.bucketNames.tritonModels}/${MODEL_REPOSITORY_PREFIX}`;
  }

  /** A model's promotion job writes only its own versions, `model_repository/<model>/`. */
  grantModelVersionsWrite(grantee: IGrantable, model: string, policyName = "model-versions-write"): void {
    if (!/^[a-z0-9-]+$/.test(model)) throw new Error(`model name must be a lowercase name, got "${model}"`);
    this.grantObjects(this.tritonModels, grantee, { sid: "ModelVersionsWrite", prefix: `${MODEL_REPOSITORY_PREFIX}/${model}`, write: true }, policyName);
  }

  /** Triton's capture sidecars write sampled requests under `inference_log/` (and nothing else of the bucket). */
  grantInferenceLogWrite(grantee: IGrantable, policyName = "inference-log-write"): void {
    this.grantObjects(this.tritonModels, grantee, { sid: "InferenceLogWrite", prefix: INFERENCE_LOG_PREFIX, write: true }, policyName);
  }

  /** A model's drift monitor reads that model's sampled requests, `inference_log/<model>/`. */
  grantInferenceLogRead(grantee: IGrantable, model: string, policyName = "inference-log-read"): void {
    if (!/^[a-z0-9-]+$/.test(model)) throw new Error(`model name must be a lowercase name, got "${model}"`);
    this.grantObjects(this.tritonModels, grantee, { sid: "InferenceLogRead", prefix: `${INFERENCE_LOG_PREFIX}/${model}`, write: false }, policyName);
  }

  /** MLflow's promotion jobs read every artifact (registered versions live anywhere under the artifact root). */
  grantMlflowArtifactsRead(grantee: IGrantable, policyName = "mlflow-artifacts-read"): void {
    this.grantObjects(this.mlflowArtifacts, grantee, { sid: "MlflowArtifactsRead", write: false }, policyName);
  }

  /** MLflow's server reads and writes every artifact in its bucket. */
  grantMlflowArtifactsReadWrite(grantee: IGrantable, policyName = "mlflow-artifacts"): void {
    this.grantObjects(this.mlflowArtifacts, grantee, { sid: "MlflowArtifacts", write: true }, policyName);
  }

  /** Triton: read-only, model repository prefix only (HeadBucket allowed, see ObjectAccess.allowBucketHead). */
  grantModelRepositoryRead(grantee: IGrantable, policyName = "model-repository-read"): void {
    this.grantObjects(this.tritonModels, grantee, { sid: "ModelRepositoryRead", prefix: MODEL_REPOSITORY_PREFIX, write: false, allowBucketHead: true }, policyName);
  }

  /** Publish model versions into Triton's repository (model repository prefix only). */
  grantModelRepositoryReadWrite(grantee: IGrantable, policyName = "model-repository-write"): void {
    this.grantObjects(this.tritonModels, grantee, { sid: "ModelRepositoryWrite", prefix: MODEL_REPOSITORY_PREFIX, write: true }, policyName);
  }

  /** `s3://<bucket>/llm-weights/<weights>`: where vLLM streams one model's weights from. */
  llmWeightsUri(weights: string): string {
    return `s3://${this.bucketNames.tritonModels}/${LLM_WEIGHTS_PREFIX}/${weights}`;
  }

  /**
   * An LLM server: read-only, its own model's weights prefix only. No bucket-level call without a prefix: the Run:ai
   * streamer only lists with its prefix (runai-model-streamer 0.15.x files.py `list_objects_v2(Prefix=...)`, no
   * head_bucket), so listing the whole bucket (other models, Triton's repository) stays denied.
   */
  grantLlmWeightsRead(grantee: IGrantable, weights: string, policyName = "llm-weights-read"): void {
    this.grantObjects(this.tritonModels, grantee, { sid: "LlmWeightsRead", prefix: `${LLM_WEIGHTS_PREFIX}/${weights}`, write: false }, policyName);
  }

  /** The weights publisher: read and write every model's weights (llm-weights prefix only). */
  grantLlmWeightsReadWrite(grantee: IGrantable, policyName = "llm-weights-write"): void {
    this.grantObjects(this.tritonModels, grantee, { sid: "LlmWeightsWrite", prefix: LLM_WEIGHTS_PREFIX, write: true }, policyName);
  }

  /**
   * Feast feature server: read the registry file only. Feast 0.66's S3 registry calls HeadBucket before reading
   * (infra/registry/s3.py), so bucket-level calls without a prefix are allowed (see ObjectAccess.allowBucketHead).
   */
  grantFeastRegistryRead(grantee: IGrantable, policyName = "feast-registry-read"): void {
    this.grantObjects(
      this.feast,
      grantee,
      { sid: "FeastRegistryRead", prefix: FEAST_REGISTRY_KEY.slice(0, FEAST_REGISTRY_KEY.lastIndexOf("/")), write: false, allowBucketHead: true },
      policyName,
    );
  }

  /** `feast apply` and materialization: registry and offline store, read and write. */
  grantFeastReadWrite(grantee: IGrantable, policyName = "feast-store"): void {
    this.grantObjects(this.feast, grantee, { sid: "FeastStore", write: true }, policyName);
  }

  /** Kubeflow Pipelines components that write run artifacts and logs. */
  grantPipelineArtifactsReadWrite(grantee: IGrantable, policyName = "pipeline-artifacts"): void {
    this.grantObjects(this.pipelines, grantee, { sid: "PipelineArtifacts", write: true }, policyName);
  }

  /** Kubeflow Pipelines UI: shows artifacts and archived logs. */
  grantPipelineArtifactsRead(grantee: IGrantable, policyName = "pipeline-artifacts-read"): void {
    this.grantObjects(this.pipelines, grantee, { sid: "PipelineArtifactsRead", write: false }, policyName);
  }

  /**
   * A team's pods: read and write `teams/<team>/` in the MLflow artifacts bucket (experiments whose artifact location
   * the team sets there) and the pipelines bucket (datasets, checkpoints, its pipelines' root), nothing else.
   */
  grantTeamData(grantee: IGrantable, team: string, policyName = "team-data"): void {
    const prefix = `${TEAM_DATA_PREFIX}/${team}`;
    this.grantObjects(this.mlflowArtifacts, grantee, { sid: "TeamMlflowArtifacts", prefix, write: true }, policyName);
    this.grantObjects(this.pipelines, grantee, { sid: "TeamPipelines", prefix, write: true }, policyName);
  }

  private grantObjects(bucket: SecureBucket, grantee: IGrantable, access: ObjectAccess, policyName: string): void {
    const prefix = access.prefix?.replace(/\/+$/, "");
    const listCondition = access.allowBucketHead ? "StringLikeIfExists" : "StringLike";
    const statements: PolicyStatement[] = [
      {
        Sid: `${access.sid}List`,
        Effect: "Allow",
        // GetBucketLocation carries no s3:prefix, so it is granted only with whole-bucket access (minio-go clients ask for it).
        Action: access.write && !prefix ? ["s3:ListBucket", "s3:GetBucketLocation"] : ["s3:ListBucket"],
        Resource: bucket.bucketArn,
        ...(prefix ? { Condition: { [listCondition]: { "s3:prefix": [`${prefix}/*`, prefix] } } } : {}),
      },
      {
        Sid: `${access.sid}Objects`,
        Effect: "Allow",
        Action: access.write ? [...READ_OBJECT_ACTIONS, ...WRITE_OBJECT_ACTIONS] : [...READ_OBJECT_ACTIONS],
        Resource: `${bucket.bucketArn}/${prefix ? `${prefix}/` : ""}*`,
      },
      {
        Sid: `${access.sid}Key`,
        Effect: "Allow",
        Action: access.write ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
        Resource: this.dataKey.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${this.region}.amazonaws.com` } },
      },
    ];
    for (const s of statements) grantee.addToPolicy(s, policyName);
  }
}
