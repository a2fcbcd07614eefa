import type { TerraformStack } from "cdktf";
import { EksCluster, type EksClusterProps } from "../../constructs/eks/cluster";
import { SystemNodeGroup, type SystemNodeGroupProps } from "../../constructs/eks/system-node-group";
import { KmsKey } from "../../constructs/security/kms-key";
import { ACCOUNT, REGION } from "./construct";

export const COST_TAGS = { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-test-1", Environment: "test" };

/** An EksCluster wired like the foundation stack does it: keys, system node group, post-compute add-ons. */
export function buildCluster(
  stack: TerraformStack,
  props: Partial<EksClusterProps> = {},
  nodes: Partial<Omit<SystemNodeGroupProps, "cluster" | "dependsOn">> = {},
) {
  const secretsKey = new KmsKey(stack, "secrets-key", { accountId: ACCOUNT, alias: "mlp-test-eks-secrets", description: "secrets" });
  const logsKey = new KmsKey(stack, "logs-key", { accountId: ACCOUNT, alias: "mlp-test-logs", description: "logs" });
  const nodeVolumesKey = new KmsKey(stack, "node-volumes-key", { accountId: ACCOUNT, alias: "mlp-test-node-volumes", description: "node volumes" });
  const cluster = new EksCluster(stack, "eks", {
    clusterName: "mlp-test",
    kubernetesVersion: "1.35",
    accountId: ACCOUNT,
    region: REGION,
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    secretsKey,
    logsKey,
    logRetentionDays: 30,
    adminRoleArns: [`arn:aws:iam::${ACCOUNT}:role/platform-admin`, `arn:aws:iam::${ACCOUNT}:role/ops/break-glass`],
    ...props,
  });
  const systemNodes = new SystemNodeGroup(stack, "system-nodes", {
    cluster,
    subnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    instanceTypes: ["m7i.large", "m6i.large"],
    minSize: 2,
    maxSize: 3,
    desiredSize: 2,
    diskSizeGiB: 50,
    rootVolumeKmsKeyArn: nodeVolumesKey.keyArn,
    tags: COST_TAGS,
    dependsOn: cluster.preComputeAddons,
    ...nodes,
  });
  const { ebsCsiRole } = cluster.addPostComputeAddons([systemNodes.nodeGroup], nodeVolumesKey.keyArn);
  return { cluster, systemNodes, ebsCsiRole, secretsKey, logsKey, nodeVolumesKey };
}
