import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { Construct } from "constructs";
import { policyJson } from "./policy";
import { WorkloadRole } from "./workload-role";

/** The cluster a Pod Identity role belongs to. */
export interface PodIdentityCluster {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly accountId: string;
}

export interface PodIdentityRoleProps {
  readonly cluster: PodIdentityCluster;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Physical role name. */
  readonly roleName: string;
  readonly description: string;
  /** @default - none */
  readonly managedPolicies?: readonly string[];
}

/**
 * The trust policy of a Pod Identity role: `pods.eks.amazonaws.com` only for this account, this cluster, and this
 * namespace/service account (Pod Identity session tags). Used alone where something else creates the association
 * (an EKS add-on's `pod_identity_association`).
 */
export function podIdentityTrustPolicy(cluster: PodIdentityCluster, namespace: string, serviceAccount: string): string {
  return policyJson([
    {
      Sid: "AllowEksPodIdentityForOneServiceAccount",
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:SourceAccount": cluster.accountId,
          "aws:RequestTag/eks-cluster-name": cluster.clusterName,
          "aws:RequestTag/kubernetes-namespace": namespace,
          "aws:RequestTag/kubernetes-service-account": serviceAccount,
        },
        ArnEquals: { "aws:SourceArn": cluster.clusterArn },
      },
    },
  ]);
}

/**
 * An IAM role for one Kubernetes service account through EKS Pod Identity, plus its association.
 * The trust policy admits `pods.eks.amazonaws.com` only for this account, this cluster, and this
 * namespace/service account (Pod Identity session tags), so no other workload can assume it.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 */
export class PodIdentityRole extends WorkloadRole {
  readonly association: EksPodIdentityAssociation;
  readonly namespace: string;
  readonly serviceAccount: string;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.namespace)) {
      throw new Error(`namespace must be a Kubernetes namespace name, got "${props.namespace}"`);
    }
    if (!/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(props.serviceAccount)) {
      throw new Error(`serviceAccount must be a Kubernetes service account name, got "${props.serviceAccount}"`);
    }
    super(scope, id, {
      roleName: props.roleName,
      description: props.description,
      managedPolicies: props.managedPolicies,
      assumeRolePolicy: podIdentityTrustPolicy(props.cluster, props.namespace, props.serviceAccount),
    });
    this.namespace = props.namespace;
    this.serviceAccount = props.serviceAccount;
    this.association = new EksPodIdentityAssociation(this, "association", {
      clusterName: props.cluster.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.role.arn,
    });
  }
}
