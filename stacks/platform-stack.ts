import { Construct } from "constructs";
import { ClusterAccess } from "../constructs/kubernetes/cluster-access";
import { ManifestsRelease } from "../constructs/kubernetes/manifests-release";
import type { Environment } from "../environments/lib/schema";
import { EnvironmentStack } from "./environment-stack";
import type { FoundationStack } from "./foundation-stack";
import { GpuCompute } from "./platform/gpu-compute";

/**
 * `<env>-platform`: cluster-wide controllers and capacity (Karpenter, GPU and EFA device plugins,
 * observability). Reads the foundation through cross-stack references (terraform_remote_state).
 */
export class PlatformStack extends EnvironmentStack {
  readonly access: ClusterAccess;
  readonly foundation: FoundationStack;
  /** Karpenter, node pools, GPU and EFA device plugins, DCGM exporter. */
  readonly compute: GpuCompute;

  constructor(scope: Construct, env: Environment, foundation: FoundationStack) {
    super(scope, env, "platform");
    this.foundation = foundation;
    this.access = new ClusterAccess(this, "cluster-access", {
      clusterName: foundation.cluster.clusterName,
      clusterEndpoint: foundation.cluster.clusterEndpoint,
      clusterCertificateAuthority: foundation.cluster.clusterCertificateAuthority,
      region: env.account.region,
    });
    this.compute = new GpuCompute(this, "compute", { env, foundation });
  }

  /** A release of the in-repo manifests chart for this stack's custom resources. */
  manifests(id: string, releaseName: string, namespace: string, dependsOn?: ManifestsRelease["release"][]): ManifestsRelease {
    return new ManifestsRelease(this, id, { releaseName, namespace, dependsOn });
  }
}
