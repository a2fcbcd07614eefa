import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { Construct } from "constructs";
import { podIdentityTrustPolicy } from "../../constructs/iam/pod-identity-role";
import { WorkloadRole } from "../../constructs/iam/workload-role";
import { resilienceRuleGroups } from "../../constructs/resilience/alert-rules";
import { nodeHealthDashboard } from "../../constructs/resilience/node-health-dashboard";
import { nodeMonitoringAgentPodMonitor } from "../../constructs/resilience/node-monitoring-agent";
import { CHECKPOINTS_PREFIX, DATASETS_PREFIX, TRAINING_BUCKET_PURPOSE } from "../../constructs/resilience/training-storage-layout";
import { dashboardConfigMap } from "../../constructs/observability/grafana";
import type { Observability } from "../../constructs/observability/observability";
import { prometheusRule } from "../../constructs/observability/rules";
import { GRAFANA_DASHBOARD_LABEL } from "../../constructs/observability/targets";
import { csiNodeConfiguration, MOUNTPOINT_CSI, mountpointStatements, type MountpointPrefix } from "../../constructs/storage/csi-drivers";
import type { Environment } from "../../environments/lib/schema";
import type { FoundationStack } from "../foundation-stack";
import { bucketName, namePrefix } from "../naming";
import type { GpuCompute } from "./gpu-compute";

export interface PlatformResilienceProps {
  readonly env: Environment;
  readonly foundation: FoundationStack;
  readonly compute: GpuCompute;
  readonly observability: Observability;
}

/** Labels of the platform's monitoring objects (the observability stack's own). */
const PART_OF = { "app.kubernetes.io/part-of": "ml-platform" };

/**
 * The platform side of issue 17: the Mountpoint for S3 CSI driver (v2, Pod Identity) for the training bucket, the
 * node monitoring agent's PodMonitor, the resilience alerts and the node health dashboard. The Mountpoint add-on is
 * here, not with the foundation's add-ons: its controller sets no tolerations, so it needs an untainted node, which the
 * general Karpenter pool provides only once the node pools exist.
 */
export class PlatformResilience extends Construct {
  readonly mountpointCsiDriver?: EksAddon;
  readonly mountpointRole?: WorkloadRole;
  /** The bucket prefixes the Mountpoint volumes mount (checkpoints only without an FSx file system). */
  readonly mountpointPrefixes: readonly MountpointPrefix[];

  constructor(scope: Construct, id: string, props: PlatformResilienceProps) {
    super(scope, id);
    const { env, foundation, compute, observability } = props;
    const r = env.resilience;
    const cluster = foundation.cluster;
    const bucket = foundation.resilience.trainingBucket;

    this.mountpointPrefixes = [{ prefix: DATASETS_PREFIX, write: false }, ...(r.storage.fsx ? [] : [{ prefix: CHECKPOINTS_PREFIX, write: true }])];
    if (r.storage.mountpoint.enabled && bucket) {
      this.mountpointRole = new WorkloadRole(this, "mountpoint-role", {
        roleName: `${namePrefix(env)}-mountpoint-s3`,
        description: "Mountpoint for S3 CSI driver v2 (Pod Identity): the training bucket's mounted prefixes",
        assumeRolePolicy: podIdentityTrustPolicy(cluster, "kube-system", MOUNTPOINT_CSI.nodeServiceAccount),
      });
      // The bucket's ARN from its name, a literal: the plan shows it, and no cross-stack output is needed.
      const bucketArn = `arn:aws:s3:::${bucketName(env, TRAINING_BUCKET_PURPOSE)}`;
      for (const s of mountpointStatements(bucketArn, foundation.mlData.dataKey.keyArn, env.account.region, this.mountpointPrefixes)) this.mountpointRole.addToPolicy(s, "mountpoint-training-bucket");
      this.mountpointCsiDriver = new EksAddon(this, "mountpoint-csi-driver", {
        clusterName: cluster.clusterName,
        addonName: MOUNTPOINT_CSI.addon,
        addonVersion: MOUNTPOINT_CSI.version,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        configurationValues: JSON.stringify(csiNodeConfiguration()),
        podIdentityAssociation: [{ serviceAccount: MOUNTPOINT_CSI.nodeServiceAccount, roleArn: this.mountpointRole.roleArn }],
        dependsOn: [compute.nodePools.release, ...this.mountpointRole.dependables()],
      });
    }

    if (r.nodeMonitoring.enabled) observability.monitoring.add(nodeMonitoringAgentPodMonitor(observability.namespace, "kube-system", PART_OF));
    observability.monitoring.add(prometheusRule("ml-platform-resilience", observability.namespace, resilienceRuleGroups(), PART_OF));
    observability.dashboards.add(dashboardConfigMap("ml-platform-dashboard-node-health", observability.namespace, nodeHealthDashboard(), GRAFANA_DASHBOARD_LABEL, PART_OF));
  }
}
