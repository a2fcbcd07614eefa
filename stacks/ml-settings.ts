import type { MlBucketNames, MlDataStoresProps } from "../constructs/data/ml-data-stores";
import type { EksCluster } from "../constructs/eks/cluster";
import type { Vpc } from "../constructs/network/vpc";
import type { KmsKey } from "../constructs/security/kms-key";
import type { Environment } from "../environments/lib/schema";
import { bucketName, namePrefix } from "./naming";

/** The ML buckets of an environment: `mlp-<env>-<purpose>-<account>`. */
export function mlBucketNames(env: Environment): MlBucketNames {
  return {
    mlflowArtifacts: bucketName(env, "mlflow-artifacts"),
    tritonModels: bucketName(env, "triton-models"),
    feast: bucketName(env, "feast"),
    pipelines: bucketName(env, "pipelines"),
  };
}

/**
 * The Feast project: DynamoDB online tables are `<project>.<feature view>`, so it must differ between environments
 * that share an account (dev and staging do). Defaults to `mlp_<env>`.
 */
export function feastProject(env: Environment): string {
  return env.ml.feast.project ?? `mlp_${env.name.replace(/-/g, "_")}`;
}

/** Props of the foundation's ML data stores, from the environment and the foundation's network and cluster. */
export function mlDataStoresProps(env: Environment, deps: { vpc: Vpc; cluster: EksCluster; logsKey: KmsKey; accessLogBucketName?: string }): MlDataStoresProps {
  return {
    namePrefix: namePrefix(env),
    accountId: env.account.id,
    region: env.account.region,
    bucketNames: mlBucketNames(env),
    mlflowDatabase: env.ml.mlflowDatabase,
    feast: { project: feastProject(env), featureViews: env.ml.feast.featureViews },
    vpcId: deps.vpc.vpcId,
    privateSubnetIds: deps.vpc.privateSubnetIds,
    clusterSecurityGroupId: deps.cluster.clusterSecurityGroupId,
    logsKey: deps.logsKey,
    logRetentionDays: env.cluster.logRetentionDays,
    accessLogBucketName: deps.accessLogBucketName,
    protect: env.tier === "production",
  };
}
