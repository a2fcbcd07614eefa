import { Construct } from "constructs";
import { MlDataStores } from "../constructs/data/ml-data-stores";
import { VpcRunner } from "../constructs/deploy/vpc-runner";
import { EksCluster } from "../constructs/eks/cluster";
import { SystemNodeGroup } from "../constructs/eks/system-node-group";
import { PodIdentityRole } from "../constructs/iam/pod-identity-role";
import { Vpc } from "../constructs/network/vpc";
import { cloudTrailKeyStatements, DataEventsTrail } from "../constructs/data/data-events-trail";
import { cloudWatchLogsKeyStatement, ebsLaunchKeyStatements, KmsKey } from "../constructs/security/kms-key";
import type { Environment } from "../environments/lib/schema";
import type { BootstrapStack } from "./bootstrap-stack";
import { EnvironmentStack } from "./environment-stack";
import { foundationDelivery } from "./foundation/delivery";
import { mlDataStoresProps } from "./ml-settings";
import { GpuFoundation } from "./foundation/gpu-foundation";
import { FoundationResilience } from "./foundation/resilience";
import { clusterName, costTags, dataEventsTrailName, namePrefix, runnerProjectName } from "./naming";

/**
 * `<env>-foundation`: network, EKS control plane, system nodes and the managed add-ons. Everything
 * long-lived that the platform and ML stacks read through cross-stack references.
 */
export class FoundationStack extends EnvironmentStack {
  readonly vpc: Vpc;
  readonly cluster: EksCluster;
  readonly systemNodes: SystemNodeGroup;
  readonly logsKey: KmsKey;
  /** Encrypts every node's root volume (system and EFA launch templates, every EC2NodeClass). */
  readonly nodeVolumesKey: KmsKey;
  readonly ebsCsiRole: PodIdentityRole;
  /** Buckets, data key and MLflow database of the ML services: here so they outlive the `<env>-ml` stack. */
  readonly mlData: MlDataStores;
  /** EFA networking (security group, placement group, subnet) and the EFA managed node group when configured. */
  readonly gpu: GpuFoundation;
  /** The CodeBuild-hosted GitHub Actions runner that reaches the private API endpoint. */
  readonly runner: VpcRunner;
  /** Production only: S3 data events of the ML data buckets, into the bootstrap stack's log bucket. */
  readonly dataEvents?: DataEventsTrail;
  /** Node monitoring agent, training bucket, FSx for Lustre and its CSI driver (stacks/foundation/resilience.ts). */
  readonly resilience: FoundationResilience;

  constructor(scope: Construct, env: Environment, bootstrap: BootstrapStack) {
    super(scope, env, "foundation");
    const prefix = namePrefix(env);
    const protect = env.tier === "production";
    const { id: accountId, region } = env.account;

    this.logsKey = new KmsKey(this, "logs-key", {
      accountId,
      alias: `${prefix}-logs`,
      description: `Telemetry of ${prefix}: CloudWatch Logs and the AMP workspace`,
      serviceStatements: [cloudWatchLogsKeyStatement(accountId, region), ...(bootstrap.accessLogs ? cloudTrailKeyStatements(region, accountId, dataEventsTrailName(env)) : [])],
      protect,
    });
    this.nodeVolumesKey = new KmsKey(this, "node-volumes-key", {
      accountId,
      alias: `${prefix}-node-volumes`,
      description: `EBS volumes of ${prefix}: node root volumes and persistent volumes`,
      serviceStatements: ebsLaunchKeyStatements(accountId),
      protect,
    });
    const secretsKey = new KmsKey(this, "eks-secrets-key", {
      accountId,
      alias: `${prefix}-eks-secrets`,
      description: `EKS secrets envelope encryption for ${prefix}`,
      protect,
    });

    this.vpc = new Vpc(this, "network", {
      name: prefix,
      cidr: env.network.vpcCidr,
      availabilityZones: env.network.availabilityZones,
      privateSubnetPrefixLength: env.network.privateSubnetPrefixLength,
      publicSubnetPrefixLength: env.network.publicSubnetPrefixLength,
      natGateways: env.network.natGateways,
      clusterName: clusterName(env),
      accountId,
      region,
      flowLogRetentionDays: env.network.flowLogRetentionDays,
      logsKey: this.logsKey,
    });

    this.cluster = new EksCluster(this, "eks", {
      clusterName: clusterName(env),
      kubernetesVersion: env.cluster.kubernetesVersion,
      accountId,
      region,
      vpcId: this.vpc.vpcId,
      subnetIds: this.vpc.privateSubnetIds,
      secretsKey,
      logsKey: this.logsKey,
      logRetentionDays: env.cluster.logRetentionDays,
      publicAccessCidrs: env.cluster.publicAccessCidrs,
      adminRoleArns: env.cluster.adminRoleArns,
      deployerRoles: { apply: bootstrap.ci.apply.roleArn, plan: bootstrap.ci.plan.roleArn },
      protect,
    });
    this.runner = new VpcRunner(this, "runner", {
      name: runnerProjectName(env),
      accountId,
      region,
      vpcId: this.vpc.vpcId,
      subnetIds: this.vpc.privateSubnetIds,
      subnetArns: [...this.vpc.privateSubnets.values()].map((s) => s.arn),
      apiSecurityGroupId: this.cluster.controlPlaneSecurityGroupId,
      githubRepository: env.deploy.githubRepository,
      githubConnectionArn: bootstrap.githubConnection.arn,
      computeType: env.deploy.runner.computeType,
      logsKey: this.logsKey,
      logRetentionDays: env.deploy.runner.logRetentionDays,
    });

    const sys = env.cluster.systemNodeGroup;
    this.systemNodes = new SystemNodeGroup(this, "system-nodes", {
      cluster: this.cluster,
      subnetIds: this.vpc.privateSubnetIds,
      instanceTypes: sys.instanceTypes,
      minSize: sys.minSize,
      maxSize: sys.maxSize,
      desiredSize: sys.desiredSize,
      diskSizeGiB: sys.diskSizeGiB,
      rootVolumeKmsKeyArn: this.nodeVolumesKey.keyArn,
      tags: costTags(env),
      dependsOn: this.cluster.preComputeAddons,
      nodeRepair: env.resilience.nodeRepair.enabled,
    });
    this.ebsCsiRole = this.cluster.addPostComputeAddons([this.systemNodes.nodeGroup], this.nodeVolumesKey.keyArn).ebsCsiRole;
    const accessLogs = bootstrap.accessLogs;
    this.mlData = new MlDataStores(this, "ml-data", mlDataStoresProps(env, { vpc: this.vpc, cluster: this.cluster, logsKey: this.logsKey, accessLogBucketName: accessLogs?.bucketName }));
    this.resilience = new FoundationResilience(this, "resilience", { env, cluster: this.cluster, vpc: this.vpc, dataKey: this.mlData.dataKey, accessLogBucketName: accessLogs?.bucketName, compute: [this.systemNodes.nodeGroup] });
    if (accessLogs) {
      const data = this.mlData;
      this.dataEvents = new DataEventsTrail(this, "data-events", {
        name: dataEventsTrailName(env),
        bucketName: accessLogs.bucketName,
        bucketArns: [...[data.mlflowArtifacts, data.tritonModels, data.feast, data.pipelines].map((b) => b.bucketArn), ...this.resilience.bucketArns],
        kmsKeyArn: this.logsKey.keyArn,
      });
    }
    this.gpu = new GpuFoundation(this, "gpu", { env, cluster: this.cluster, vpc: this.vpc, nodeDependencies: this.cluster.preComputeAddons, rootVolumeKmsKeyArn: this.nodeVolumesKey.keyArn });
    foundationDelivery(this, env);
  }
}
