import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface ClusterAccessProps {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** Base64 certificate authority data, as EKS returns it. */
  readonly clusterCertificateAuthority: string;
  readonly region: string;
}

/**
 * Kubernetes and Helm providers for an EKS cluster, authenticated by `aws eks get-token` at apply time.
 * Nothing here contacts the cluster at synth or plan-configuration time, so plans can be made before
 * the cluster exists (the providers only connect when a resource needs reading or writing).
 */
export class ClusterAccess extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const ca = Fn.base64decode(props.clusterCertificateAuthority);
    const args = ["eks", "get-token", "--cluster-name", props.clusterName, "--region", props.region, "--output", "json"];
    this.kubernetes = new KubernetesProvider(this, "kubernetes", {
      host: props.clusterEndpoint,
      clusterCaCertificate: ca,
      exec: [{ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args }],
    });
    this.helm = new HelmProvider(this, "helm", {
      kubernetes: {
        host: props.clusterEndpoint,
        clusterCaCertificate: ca,
        exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args },
      },
    });
  }
}
