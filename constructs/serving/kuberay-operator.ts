import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { copyTolerations } from "../kubernetes/footprint";
import { HelmChart, type ChartRef } from "../kubernetes/helm-chart";
import type { PodToleration } from "../karpenter/pool-labels";

/** KubeRay operator chart 1.7.0 (image `quay.io/kuberay/operator:v1.7.0`). @see https://github.com/ray-project/kuberay/tree/v1.7.0/helm-chart/kuberay-operator */
export const KUBERAY_OPERATOR_CHART: ChartRef = { repository: "https://ray-project.github.io/kuberay-helm/", chart: "kuberay-operator", version: "1.7.0" };

/** The operator image the chart's values.yaml names at v1.7.0, pinned explicitly. */
export const KUBERAY_OPERATOR_IMAGE = { repository: "quay.io/kuberay/operator", tag: "v1.7.0" } as const;

/** Custom resources of the `crds/` directory of chart 1.7.0 (ray.io/v1). */
export const KUBERAY_CRDS = ["ray.io/RayCluster", "ray.io/RayJob", "ray.io/RayService", "ray.io/RayCronJob"] as const;

/** Requests of the operator: the chart's limits (100m, 512Mi), which Kubernetes would copy into requests anyway. */
const OPERATOR_REQUESTS = { cpu: "100m", memory: "512Mi" } as const;

export interface KuberayOperatorProps {
  /** @default "kuberay" */
  readonly namespace?: string;
  /** Where the operator runs (the general pool). */
  readonly placement: { readonly nodeSelector: Readonly<Record<string, string>>; readonly tolerations: readonly PodToleration[] };
  /** Labels the Prometheus Operator needs on the ServiceMonitor. @default - none (every monitor is selected) */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /** kube-prometheus-stack (ServiceMonitor CRD) and anything else that must exist first. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The KubeRay operator, which turns RayCluster, RayJob and RayService objects into Ray head and worker pods.
 *
 * CRDs: the chart ships them in `crds/`. Helm installs that directory before the templates with a plain create
 * (pkg/action/install.go `installCRDs` at Helm v3: `KubeClient.Create`, already-existing CRDs are skipped), not with
 * client-side apply, so no `last-applied-configuration` annotation is written and the 0.9-1.4 MB RayJob/RayService
 * CRDs do not hit the 256 KiB annotation limit that breaks `kubectl apply`. The CRDs are not part of the release
 * manifest either (no Helm release Secret size problem), which also means `helm upgrade` never updates them: a
 * KubeRay upgrade applies the new chart's `crds/` with `kubectl apply --server-side` first (docs/serving.md).
 * Everything is a plan-time Helm release, so a plan works before the cluster exists.
 */
export class KuberayOperator extends Construct {
  readonly chart: HelmChart;
  readonly namespace: string;
  readonly serviceAccount = "kuberay-operator";

  constructor(scope: Construct, id: string, props: KuberayOperatorProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "kuberay";
    const tolerations = copyTolerations(props.placement.tolerations);
    this.chart = new HelmChart(this, "chart", {
      chart: KUBERAY_OPERATOR_CHART,
      releaseName: "kuberay-operator",
      namespace: this.namespace,
      values: {
        image: { ...KUBERAY_OPERATOR_IMAGE, pullPolicy: "IfNotPresent" },
        nodeSelector: { ...props.placement.nodeSelector },
        tolerations,
        serviceAccount: { create: true, name: this.serviceAccount },
        resources: { requests: { ...OPERATOR_REQUESTS }, limits: { ...OPERATOR_REQUESTS } },
        metrics: { enabled: true, serviceMonitor: { enabled: true, interval: "30s", additionalLabels: { ...(props.serviceMonitorLabels ?? {}) } } },
      },
      footprint: {
        crds: [...KUBERAY_CRDS],
        customResources: ["monitoring.coreos.com/ServiceMonitor"],
        serviceAccounts: [this.serviceAccount],
        pods: [
          {
            name: "kuberay-operator",
            kind: "Deployment",
            requests: { ...OPERATOR_REQUESTS },
            nodeSelector: { ...props.placement.nodeSelector },
            tolerations: copyTolerations(tolerations),
            serviceAccount: this.serviceAccount,
          },
        ],
        source: "kuberay-operator 1.7.0 values.yaml: resources.limits 100m/512Mi (set as requests here too)",
      },
      dependsOn: props.dependsOn,
    });
  }
}
