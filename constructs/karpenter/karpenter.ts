import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { copyTolerations } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import { POOL_LABEL } from "./pool-labels";
import { karpenterControllerPolicies, type KarpenterControllerPolicyName } from "./controller-policies";
import type { KarpenterInterruptionQueue } from "./interruption-queue";
import type { KarpenterNodeRole } from "./node-role";

/** Karpenter's pinned chart version (controller and CRDs are released together). */
export const KARPENTER_VERSION = "1.14.1";

/** The controller chart. Helm needs the OCI registry path as `repository` and the chart name separately. */
export const KARPENTER_CHART: ChartRef = { repository: "oci://public.ecr.aws/karpenter", chart: "karpenter", version: KARPENTER_VERSION };

/** The CRD chart: a separate release, because Helm never upgrades CRDs from a chart's `crds/` directory. */
export const KARPENTER_CRD_CHART: ChartRef = { repository: "oci://public.ecr.aws/karpenter", chart: "karpenter-crd", version: KARPENTER_VERSION };

/** Name of the inline policy that carries one official controller policy. */
export function karpenterInlinePolicyName(policy: KarpenterControllerPolicyName): string {
  return `KarpenterController${policy}`;
}

export interface KarpenterProps {
  /** The cluster (tokens are fine): Pod Identity trust and association. */
  readonly cluster: PodIdentityCluster;
  /** The cluster name as a literal: Karpenter settings and the tag conditions of its IAM policies. */
  readonly clusterPhysicalName: string;
  readonly region: string;
  /** @default "aws" */
  readonly partition?: string;
  readonly nodeRole: KarpenterNodeRole;
  readonly interruptionQueue: KarpenterInterruptionQueue;
  /** Customer managed key of the root volumes the EC2NodeClasses ask for (`ebs.kmsKeyID`). */
  readonly nodeVolumesKeyArn: string;
  /** Namespace of the controller and its service account. @default "kube-system" */
  readonly namespace?: string;
  /** Label value of the nodes the controller runs on (`node.ml-platform.io/pool`). @default "system" */
  readonly systemPool?: string;
  /** Controller replicas (spread over nodes and zones by the chart). @default 2 */
  readonly replicas?: number;
  /**
   * Feature gates to turn on (`settings.featureGates`): `nodeOverlay` (NodeOverlay, alpha) and `nodeRepair` (alpha).
   * @default - the chart's defaults (both off)
   */
  readonly featureGates?: { readonly nodeOverlay?: boolean; readonly nodeRepair?: boolean };
}

/**
 * Karpenter 1.14: the CRD release, the controller release on the system node group (tolerates
 * CriticalAddonsOnly, PodDisruptionBudget maxUnavailable 1), and its Pod Identity role carrying the six
 * official controller policies as one inline policy each (each under the 6,144-character managed-policy
 * limit; all six under the 10,240-character inline aggregate).
 * @see https://karpenter.sh/v1.14/getting-started/getting-started-with-karpenter/
 */
export class Karpenter extends Construct {
  readonly controllerRole: PodIdentityRole;
  readonly crds: HelmChart;
  readonly controller: HelmChart;
  readonly namespace: string;
  readonly serviceAccount = "karpenter";
  private readonly region: string;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "kube-system";
    this.region = props.region;
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be a positive integer, got ${replicas}`);

    this.controllerRole = new PodIdentityRole(this, "controller-role", {
      cluster: props.cluster,
      namespace: this.namespace,
      serviceAccount: this.serviceAccount,
      roleName: `${props.clusterPhysicalName}-karpenter-controller`,
      description: "Karpenter controller (Pod Identity)",
    });
    const policies = karpenterControllerPolicies({
      partition: props.partition ?? "aws",
      region: props.region,
      accountId: props.cluster.accountId,
      clusterName: props.clusterPhysicalName,
      nodeRoleArn: props.nodeRole.roleArn,
    });
    for (const [name, statements] of Object.entries(policies) as [KarpenterControllerPolicyName, typeof policies.EKSIntegrationPolicy][]) {
      for (const statement of statements) this.controllerRole.addToPolicy(statement, karpenterInlinePolicyName(name));
    }
    props.interruptionQueue.grantConsume(this.controllerRole, karpenterInlinePolicyName("InterruptionPolicy"));
    this.grantNodeVolumesKey(props.nodeVolumesKeyArn);

    this.crds = new HelmChart(this, "crds", {
      chart: KARPENTER_CRD_CHART,
      releaseName: "karpenter-crd",
      namespace: this.namespace,
      createNamespace: false,
      values: {},
      // The CRD chart ships NodeOverlay (v1alpha1) too; it is used only with the nodeOverlay feature gate.
      footprint: { crds: ["karpenter.sh/NodePool", "karpenter.sh/NodeClaim", "karpenter.k8s.aws/EC2NodeClass", "karpenter.sh/NodeOverlay"], pods: [] },
    });

    const nodeSelector = { "kubernetes.io/os": "linux", [POOL_LABEL]: props.systemPool ?? "system" };
    const tolerations = [{ key: "CriticalAddonsOnly", operator: "Exists" }];
    const requests = { cpu: "500m", memory: "1Gi" };
    this.controller = new HelmChart(this, "controller", {
      chart: KARPENTER_CHART,
      releaseName: "karpenter",
      namespace: this.namespace,
      createNamespace: false,
      values: {
        serviceAccount: { create: true, name: this.serviceAccount },
        replicas,
        podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
        // Not on nodes Karpenter manages (the chart's default affinity) and only on the system node group.
        nodeSelector,
        tolerations,
        controller: { resources: { requests, limits: { memory: requests.memory } } },
        settings: {
          clusterName: props.clusterPhysicalName,
          interruptionQueue: props.interruptionQueue.queueName,
          ...(props.featureGates && Object.keys(props.featureGates).length ? { featureGates: { ...props.featureGates } } : {}),
        },
      },
      footprint: {
        serviceAccounts: [this.serviceAccount],
        pods: [
          {
            name: "karpenter",
            kind: "Deployment",
            namespace: this.namespace,
            replicas,
            requests,
            tolerations: copyTolerations(tolerations),
            nodeSelector: { ...nodeSelector },
            // The chart's default affinity: never on a node Karpenter manages, one replica per node.
            requiredNodeAffinity: [{ matchExpressions: [{ key: "karpenter.sh/nodepool", operator: "DoesNotExist" }] }],
            onePerNode: true,
            serviceAccount: this.serviceAccount,
          },
        ],
      },
      dependsOn: [
        this.crds.release,
        ...this.controllerRole.dependables(),
        this.controllerRole.association,
        ...props.interruptionQueue.dependables(),
        ...props.nodeRole.dependables(),
      ],
    });
    // CRDs come from the karpenter-crd release so that upgrades update them.
    this.controller.release.skipCrds = true;
  }

  /**
   * Lets the controller launch nodes whose volumes use a customer managed key: through EC2 only, EC2 makes these KMS
   * calls on the caller's behalf when CreateFleet creates encrypted volumes, and grants only for AWS resources. Kept
   * apart from the six official policies, which know no key.
   */
  private grantNodeVolumesKey(keyArn: string): void {
    const viaEc2 = { StringEquals: { "kms:ViaService": `ec2.${this.region}.amazonaws.com` } };
    const policy = "KarpenterNodeVolumesKey";
    this.controllerRole.addToPolicy(
      { Sid: "EncryptNodeVolumes", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Resource: keyArn, Condition: viaEc2 },
      policy,
    );
    this.controllerRole.addToPolicy({ Sid: "AttachNodeVolumes", Effect: "Allow", Action: ["kms:CreateGrant"], Resource: keyArn, Condition: { ...viaEc2, Bool: { "kms:GrantIsForAWSResource": true } } }, policy);
  }

  /** The controller release (and through it the CRDs and IAM): depend on it to create after and destroy before. */
  dependables(): ITerraformDependable[] {
    return [this.controller.release, this.crds.release];
  }
}
