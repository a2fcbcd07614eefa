import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import { ManifestsRelease } from "../kubernetes/manifests-release";
import { serviceMonitor } from "../kubernetes/prometheus-monitors";
import { systemTolerations } from "../ml/gpu-scheduling";

/**
 * Argo Rollouts chart 2.41.0 (app v1.9.0) from argoproj/argo-helm (tag argo-rollouts-2.41.0, Chart.yaml appVersion).
 * @see https://argoproj.github.io/argo-helm
 */
export const ARGO_ROLLOUTS_CHART = { repository: "https://argoproj.github.io/argo-helm", chart: "argo-rollouts", version: "2.41.0" } as const;

/** The custom resources of Argo Rollouts v1.9.0 (manifests/crds at tag v1.9.0), which the chart installs. */
export const ARGO_ROLLOUTS_CRDS = ["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"].map((k) => `argoproj.io/${k}`);

/**
 * Elastic Load Balancing reads the controller makes to verify that a weight it wrote into an Ingress reached the
 * load balancer's rules and target groups (`--aws-verify-target-group`), as listed in Argo Rollouts v1.9.0
 * docs/features/traffic-management/alb.md. None of them supports a resource type, so the resource is `*`.
 */
export const TARGET_GROUP_VERIFICATION_ACTIONS = [
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeRules",
  "elasticloadbalancing:DescribeTags",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth",
] as const;

/** Release, namespace and service account (the chart's fullname: the release name contains the chart name). */
export const ARGO_ROLLOUTS = { release: "argo-rollouts", namespace: "argo-rollouts", serviceAccount: "argo-rollouts", metricsPort: "metrics" } as const;

/** The controller's requests; the chart sets none (controller.resources: {}). */
const CONTROLLER_REQUESTS = { cpu: "100m", memory: "256Mi" } as const;
const CONTROLLER_REPLICAS = 2;

export interface ArgoRolloutsProps {
  readonly cluster: PodIdentityCluster;
  readonly region: string;
  /**
   * Verify ALB target groups and weights before each step (environments with the load balancer). The controller then
   * gets a Pod Identity role with the ELB describe permissions; without it, no AWS access at all.
   */
  readonly verifyTargetGroups: boolean;
  readonly roleName: string;
  /** The Prometheus Operator release (ServiceMonitor CRD). */
  readonly monitoringReady: ITerraformDependable[];
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The Argo Rollouts controller on the system nodes (two replicas with leader election), its CRDs kept when the release
 * is removed (deleting them would delete every Rollout and its pods), metrics scraped through a ServiceMonitor
 * authored here, and the dashboard off. With the load balancer, ALB target-group verification through a Pod Identity
 * role limited to the describe calls it makes.
 */
export class ArgoRollouts extends Construct {
  readonly chart: HelmChart;
  readonly monitors: ManifestsRelease;
  readonly role?: PodIdentityRole;
  readonly namespace = ARGO_ROLLOUTS.namespace;

  constructor(scope: Construct, id: string, props: ArgoRolloutsProps) {
    super(scope, id);
    const sa = ARGO_ROLLOUTS.serviceAccount;
    if (props.verifyTargetGroups) {
      this.role = new PodIdentityRole(this, "role", {
        cluster: props.cluster,
        namespace: this.namespace,
        serviceAccount: sa,
        roleName: props.roleName,
        description: "Argo Rollouts controller: read the load balancer's rules and target groups to verify canary weights",
      });
      this.role.addToPolicy({ Sid: "VerifyTargetGroups", Effect: "Allow", Action: [...TARGET_GROUP_VERIFICATION_ACTIONS], Resource: "*" }, "target-group-verification");
    }
    const resources = { requests: { ...CONTROLLER_REQUESTS }, limits: { memory: "512Mi" } };
    this.chart = new HelmChart(this, "chart", {
      chart: ARGO_ROLLOUTS_CHART,
      releaseName: ARGO_ROLLOUTS.release,
      namespace: this.namespace,
      values: {
        installCRDs: true,
        keepCRDs: true,
        controller: {
          replicas: CONTROLLER_REPLICAS,
          tolerations: systemTolerations(),
          resources,
          awsVerifyTargetGroup: props.verifyTargetGroups,
          // aws-sdk-go-v2's default chain: Pod Identity credentials and the region from the environment.
          ...(props.verifyTargetGroups ? { extraEnv: [{ name: "AWS_REGION", value: props.region }] } : {}),
          metrics: { enabled: true, serviceMonitor: { enabled: false } },
          pdb: { enabled: true, minAvailable: 1 },
        },
        dashboard: { enabled: false },
        serviceAccount: { create: true, name: sa },
      },
      footprint: {
        crds: [...ARGO_ROLLOUTS_CRDS],
        serviceAccounts: [sa],
        pods: [{ name: "argo-rollouts", kind: "Deployment", replicas: CONTROLLER_REPLICAS, requests: { ...CONTROLLER_REQUESTS }, tolerations: systemTolerations(), serviceAccount: sa }],
        source: "argo-rollouts chart 2.41.0 templates/controller/deployment.yaml (requests set here; the chart has none)",
      },
      dependsOn: [...(props.dependsOn ?? []), ...(this.role ? [...this.role.dependables(), this.role.association] : [])],
    });
    this.monitors = new ManifestsRelease(this, "monitors", { releaseName: "argo-rollouts-monitoring", namespace: this.namespace, dependsOn: [this.chart.release, ...props.monitoringReady] });
    // Service `<fullname>-metrics`, labelled like the controller (templates/controller/metrics-service.yaml).
    this.monitors.add(
      serviceMonitor({
        name: "argo-rollouts",
        namespace: this.namespace,
        matchLabels: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/instance": ARGO_ROLLOUTS.release, "app.kubernetes.io/component": "rollouts-controller" },
        endpoints: [{ port: ARGO_ROLLOUTS.metricsPort, interval: "30s" }],
      }),
    );
  }
}
