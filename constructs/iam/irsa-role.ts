import { Fn } from "cdktf";
import { Construct } from "constructs";
import { policyJson } from "./policy";
import { WorkloadRole } from "./workload-role";

/** The cluster's IAM OIDC provider, for IAM roles for service accounts (IRSA). */
export interface IrsaCluster {
  /** ARN of the `aws_iam_openid_connect_provider` for the cluster's issuer. */
  readonly oidcProviderArn: string;
  /** The cluster's OIDC issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`). */
  readonly oidcIssuerUrl: string;
}

export interface IrsaRoleProps {
  readonly cluster: IrsaCluster;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleName: string;
  readonly description: string;
}

/** The service-account annotation that makes EKS's webhook inject a web-identity token for the role. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * An IAM role for one Kubernetes service account through IRSA (web identity from the cluster's OIDC issuer), for a
 * workload whose AWS SDK predates EKS Pod Identity: Triton 26.08 bundles the AWS SDK for C++ 1.11.60
 * (triton-inference-server/third_party), and Pod Identity needs 1.11.263 or newer. The trust admits only tokens of
 * this cluster's issuer for this namespace and service account, with the STS audience. Annotate the service account
 * with `annotation()`.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html
 */
export class IrsaRole extends WorkloadRole {
  readonly namespace: string;
  readonly serviceAccount: string;

  constructor(scope: Construct, id: string, props: IrsaRoleProps) {
    const issuer = Fn.replace(props.cluster.oidcIssuerUrl, "https://", "");
    super(scope, id, {
      roleName: props.roleName,
      description: props.description,
      assumeRolePolicy: policyJson([
        {
          Sid: "AllowWebIdentityForOneServiceAccount",
          Effect: "Allow",
          Principal: { Federated: props.cluster.oidcProviderArn },
          Action: ["sts:AssumeRoleWithWebIdentity"],
          Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${props.namespace}:${props.serviceAccount}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
        },
      ]),
    });
    this.namespace = props.namespace;
    this.serviceAccount = props.serviceAccount;
  }

  /** The annotation for the service account. */
  annotation(): Record<string, string> {
    return { [IRSA_ROLE_ANNOTATION]: this.roleArn };
  }
}
