import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn, TerraformVariable } from "cdktf";
import { Construct } from "constructs";

export interface ClusterAccessProps {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** Base64 certificate authority data, as EKS returns it. */
  readonly clusterCertificateAuthority: string;
  readonly region: string;
}

/** Terraform variable that points the providers at a tunnel to the private API endpoint (an SSM port forward). */
export const API_ENDPOINT_VARIABLE = "kubernetes_api_endpoint";

/**
 * Kubernetes and Helm providers for an EKS cluster, authenticated by `aws eks get-token` at apply time.
 * Nothing here contacts the cluster at synth or plan-configuration time, so plans can be made before
 * the cluster exists (the providers only connect when a resource needs reading or writing).
 *
 * The endpoint is private: CI reaches it from the in-VPC runner. A person outside the VPC forwards a local port to
 * it through a system node with SSM and sets `TF_VAR_kubernetes_api_endpoint=https://127.0.0.1:<port>`; the TLS
 * server name stays the cluster's, so the certificate is still verified (README, "Deploy from a laptop").
 */
export class ClusterAccess extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const ca = Fn.base64decode(props.clusterCertificateAuthority);
    const args = ["eks", "get-token", "--cluster-name", props.clusterName, "--region", props.region, "--output", "json"];
    const tunnel = new TerraformVariable(this, "api-endpoint", {
      type: "string",
      default: "",
      description: "A tunnel to the private Kubernetes API endpoint, like https://127.0.0.1:8443 (empty: the cluster endpoint)",
    });
    tunnel.overrideLogicalId(API_ENDPOINT_VARIABLE);
    const host = Fn.coalesce([tunnel.stringValue, props.clusterEndpoint]);
    const tlsServerName = Fn.replace(props.clusterEndpoint, "https://", "");
    this.kubernetes = new KubernetesProvider(this, "kubernetes", {
      host,
      tlsServerName,
      clusterCaCertificate: ca,
      exec: [{ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args }],
    });
    this.helm = new HelmProvider(this, "helm", {
      kubernetes: {
        host,
        tlsServerName,
        clusterCaCertificate: ca,
        exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args },
      },
    });
  }
}
