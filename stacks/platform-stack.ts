import { Construct } from "constructs";
import { ClusterAccess } from "../constructs/kubernetes/cluster-access";
import { ManifestsRelease } from "../constructs/kubernetes/manifests-release";
import { Observability } from "../constructs/observability/observability";
import { ExternalSecrets } from "../constructs/secrets/external-secrets";
import type { Environment } from "../environments/lib/schema";
import type { BootstrapStack } from "./bootstrap-stack";
import { EnvironmentStack } from "./environment-stack";
import type { FoundationStack } from "./foundation-stack";
import { clusterName, costTags, namePrefix } from "./naming";
import { platformDelivery } from "./platform/delivery";
import { GpuCompute } from "./platform/gpu-compute";
import { PlatformTenancy } from "./platform/tenancy";
import { PlatformServing } from "./platform/serving";
import type { ArgoRollouts } from "../constructs/delivery/argo-rollouts";
import { PlatformResilience } from "./platform/resilience";

/**
 * `<env>-platform`: cluster-wide controllers and capacity (Karpenter, GPU and EFA device plugins,
 * observability). Reads the foundation through cross-stack references (terraform_remote_state).
 */
export class PlatformStack extends EnvironmentStack {
  readonly access: ClusterAccess;
  readonly foundation: FoundationStack;
  /** External Secrets Operator; each namespace that syncs secrets gets a SecretStore from `secretStore`. */
  readonly externalSecrets: ExternalSecrets;
  /** Karpenter, node pools, GPU and EFA device plugins, DCGM exporter. */
  readonly compute: GpuCompute;
  /** kube-prometheus-stack, the platform's monitors, rules and dashboards (see docs/observability.md). */
  readonly observability: Observability;
  /** Kueue, its monitor, the queue alerts and the teams dashboard (the teams are in `<env>-teams`). */
  readonly tenancy: PlatformTenancy;
  /** Shared-GPU pool, MIG (GPU Operator mig-manager), KubeRay operator (docs/serving.md). */
  readonly serving: PlatformServing;
  /** Argo Rollouts, which the ML stack's model Rollouts need (see docs/delivery.md). */
  readonly delivery: ArgoRollouts;
  /** Mountpoint CSI driver, node health monitoring, alerts and dashboard (stacks/platform/resilience.ts). */
  readonly resilience: PlatformResilience;

  constructor(scope: Construct, env: Environment, bootstrap: BootstrapStack, foundation: FoundationStack) {
    super(scope, env, "platform");
    this.foundation = foundation;
    this.access = new ClusterAccess(this, "cluster-access", {
      clusterName: foundation.cluster.clusterName,
      clusterEndpoint: foundation.cluster.clusterEndpoint,
      clusterCertificateAuthority: foundation.cluster.clusterCertificateAuthority,
      region: env.account.region,
    });
    this.externalSecrets = new ExternalSecrets(this, "external-secrets", {
      cluster: foundation.cluster,
      region: env.account.region,
      roleName: `${namePrefix(env)}-external-secrets`,
      storeRolePrefix: `${namePrefix(env)}-secrets-`,
    });
    this.compute = new GpuCompute(this, "compute", { env, foundation });
    this.observability = new Observability(this, "observability", {
      cluster: foundation.cluster,
      clusterName: clusterName(env),
      environment: env.name,
      region: env.account.region,
      namePrefix: namePrefix(env),
      settings: env.observability,
      scrapeTargets: { dcgmExporter: this.compute.dcgmExporter, karpenter: this.compute.karpenter },
      owner: { team: env.tags.Team, costCenter: env.tags.CostCenter },
      volumeTags: costTags(env),
      externalSecrets: this.externalSecrets,
      receiverSecretArns: bootstrap.alertReceivers.arns(),
      secretsKeyArn: bootstrap.secretsKey.keyArn,
      metricsKeyArn: foundation.logsKey.keyArn,
      volumesKeyArn: foundation.nodeVolumesKey.keyArn,
      // Prometheus may need a general-pool node (prod's 16 GiB replicas fit no system node): pools first.
      capacity: [this.compute.nodePools.release],
      externalSecretsReady: () => this.externalSecrets.ready(),
      protect: env.tier === "production",
    });
    this.tenancy = new PlatformTenancy(this, "tenancy", { env, observability: this.observability });
    this.serving = new PlatformServing(this, "serving", { env, foundation, compute: this.compute, monitoringCrds: this.observability.stack.chart.release });
    this.delivery = platformDelivery(this, env, foundation, this.observability);
    this.resilience = new PlatformResilience(this, "resilience", { env, foundation, compute: this.compute, observability: this.observability });
  }

  /** A release of the in-repo manifests chart for this stack's custom resources. */
  manifests(id: string, releaseName: string, namespace: string, dependsOn?: ManifestsRelease["release"][]): ManifestsRelease {
    return new ManifestsRelease(this, id, { releaseName, namespace, dependsOn });
  }
}
