import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { copyTolerations, type Toleration } from "./footprint";
import { HelmChart } from "./helm-chart";

/**
 * Stakater Reloader chart 2.2.16 (image ghcr.io/stakater/reloader:v1.4.21), github.com/stakater/Reloader tag
 * chart-v2.2.16 (commit 655a2b3814baadb69d3d1e105242d6cc8875d7cb).
 * @see https://stakater.github.io/stakater-charts
 */
export const RELOADER_CHART = { repository: "https://stakater.github.io/stakater-charts", chart: "reloader", version: "2.2.16" } as const;

/** Annotation on a Deployment that rolls it when one of the named Secrets changes. */
export const RELOAD_ON_SECRET_ANNOTATION = "secret.reloader.stakater.com/reload";

export interface ReloaderProps {
  /** The one namespace it watches (its own): it gets a Role there and no cluster-wide rights. */
  readonly namespace: string;
  /** Tolerations of the system node group, where controllers run. */
  readonly tolerations: readonly Toleration[];
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Rolls a Deployment when a Secret it reads changes. MLflow reads its database password once, at start; RDS rotates
 * that password (every 7 days by default) and External Secrets syncs the new value into the Kubernetes Secret within
 * its refresh interval; Reloader then restarts MLflow's pods one at a time, so they connect with the new password.
 * Scoped to one namespace (`watchGlobally: false`): a namespaced Role, no ClusterRole.
 * @see https://github.com/stakater/Reloader
 */
export class Reloader extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: ReloaderProps) {
    super(scope, id);
    this.chart = new HelmChart(this, "chart", {
      chart: RELOADER_CHART,
      releaseName: "reloader",
      namespace: props.namespace,
      createNamespace: false,
      values: {
        reloader: {
          watchGlobally: false,
          // Only what a workload opts into with the annotation; the rollout is marked by a pod-template annotation,
          // which Helm's three-way merge leaves alone on the next upgrade.
          autoReloadAll: false,
          reloadStrategy: "annotations",
          ignoreConfigMaps: true,
          readOnlyRootFileSystem: true,
          deployment: {
            replicas: 1,
            tolerations: props.tolerations.map((t) => ({ ...t })),
            containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
          },
        },
      },
      footprint: { pods: [{ name: "reloader-reloader", kind: "Deployment", requests: { cpu: "10m", memory: "64Mi" }, tolerations: copyTolerations(props.tolerations) }] },
      dependsOn: props.dependsOn,
    });
  }
}
