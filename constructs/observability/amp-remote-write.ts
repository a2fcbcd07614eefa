import { PrometheusWorkspace } from "@cdktf/provider-aws/lib/prometheus-workspace";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import type { IGrantable } from "../iam/policy";

export interface AmpRemoteWriteProps {
  readonly cluster: PodIdentityCluster;
  readonly region: string;
  /** Workspace alias. */
  readonly alias: string;
  /** Prometheus's namespace and service account (the Pod Identity association). */
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleName: string;
  /** prevent_destroy on the workspace (it holds the long-term metrics). @default false */
  readonly protect?: boolean;
  /** Customer managed key encrypting the workspace's data (changing it replaces the workspace). */
  readonly kmsKeyArn: string;
}

/**
 * An Amazon Managed Service for Prometheus workspace, encrypted with a customer managed key, and a Pod Identity role that lets Prometheus's service account
 * write to that workspace only (`aps:RemoteWrite` on its ARN). Prometheus signs with SigV4 using the Pod Identity
 * credentials.
 * @see https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-onboard-ingest-metrics-remote-write.html
 */
export class AmpRemoteWrite extends Construct {
  readonly workspace: PrometheusWorkspace;
  readonly role: PodIdentityRole;
  readonly remoteWriteUrl: string;
  readonly kmsKeyArn: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: AmpRemoteWriteProps) {
    super(scope, id);
    this.region = props.region;
    this.workspace = new PrometheusWorkspace(this, "workspace", { alias: props.alias, kmsKeyArn: props.kmsKeyArn, lifecycle: props.protect ? { preventDestroy: true } : undefined });
    this.kmsKeyArn = props.kmsKeyArn;
    // prometheus_endpoint ends with a slash: https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/
    this.remoteWriteUrl = `${this.workspace.prometheusEndpoint}api/v1/remote_write`;
    this.role = new PodIdentityRole(this, "role", {
      cluster: props.cluster,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleName: props.roleName,
      description: "Prometheus remote write to this environment's Amazon Managed Service for Prometheus workspace",
    });
    this.grantRemoteWrite(this.role);
  }

  /** Lets the grantee write samples to this workspace. */
  grantRemoteWrite(grantee: IGrantable): void {
    grantee.addToPolicy({ Sid: "RemoteWriteToWorkspace", Effect: "Allow", Action: ["aps:RemoteWrite"], Resource: this.workspace.arn }, "amp-remote-write");
    // AMP documents the grants the workspace itself holds on its key, not whether writers need the key: the writer may
    // use it through AMP only, so a missing grant cannot fail remote write and the key stays out of reach elsewhere.
    grantee.addToPolicy(
      {
        Sid: "WorkspaceKeyThroughAmp",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: this.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `aps.${this.region}.amazonaws.com` } },
      },
      "amp-remote-write",
    );
  }

  /** The `prometheusSpec.remoteWrite[]` entry (queue settings as AWS recommends for AMP). */
  remoteWriteSpec(): Record<string, unknown> {
    return {
      url: this.remoteWriteUrl,
      sigv4: { region: this.region },
      queueConfig: { capacity: 2500, maxSamplesPerSend: 1000, maxShards: 200 },
    };
  }
}
