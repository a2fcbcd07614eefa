import { Construct } from "constructs";
import { ManifestsRelease } from "../../constructs/kubernetes/manifests-release";
import { serviceMonitor } from "../../constructs/kubernetes/prometheus-monitors";
import { dashboardConfigMap } from "../../constructs/observability/grafana";
import { prometheusRule } from "../../constructs/observability/rules";
import { GRAFANA_DASHBOARD_LABEL, MONITORING_NAMESPACE } from "../../constructs/observability/targets";
import { Kueue } from "../../constructs/tenancy/kueue";
import { queueRuleGroups } from "../../constructs/tenancy/queue-rules";
import { teamsDashboard } from "../../constructs/tenancy/teams-dashboard";
import type { Environment } from "../../environments/lib/schema";
import type { Observability } from "../../constructs/observability/observability";

export interface PlatformTenancyProps {
  readonly env: Environment;
  readonly observability: Observability;
}

const PART_OF = { "app.kubernetes.io/part-of": "ml-platform" };

/**
 * The platform's part of tenancy: the Kueue controller (the teams' queues themselves are in `<env>-teams`), its
 * ServiceMonitor, the queue recording rules and alerts, and the teams dashboard. Two Kueue replicas in production:
 * its webhooks sit on every pod created in a team namespace.
 */
export class PlatformTenancy extends Construct {
  readonly kueue: Kueue;
  /** ServiceMonitor, PrometheusRule and dashboard (after the Prometheus Operator CRDs and Kueue). */
  readonly monitoring: ManifestsRelease;

  constructor(scope: Construct, id: string, props: PlatformTenancyProps) {
    super(scope, id);
    const { env, observability } = props;
    this.kueue = new Kueue(this, "kueue", { replicas: env.tier === "production" ? 2 : 1 });
    this.monitoring = new ManifestsRelease(this, "monitoring", {
      releaseName: "kueue-monitoring",
      namespace: MONITORING_NAMESPACE,
      dependsOn: [this.kueue.chart.release, observability.stack.chart.release],
    });
    this.monitoring.add(
      serviceMonitor({
        name: "kueue",
        namespace: this.kueue.namespace,
        // The chart's metrics Service (templates/manager/auth_proxy_service.yaml, labels kueue.metricsService.labels).
        matchLabels: { "app.kubernetes.io/name": "kueue", "app.kubernetes.io/instance": "kueue", "app.kubernetes.io/component": "metrics-service" },
        // controller-runtime secure serving with Kueue's self-signed certificate; Prometheus's token is authorized on /metrics.
        endpoints: [{ port: "https", kubernetesAuth: true }],
        labels: PART_OF,
      }),
    );
    const alerts = { ...env.teams.alerts, gpuIdle: env.observability.alerts.gpuIdle };
    this.monitoring.add(prometheusRule("ml-platform-queues", MONITORING_NAMESPACE, queueRuleGroups(alerts), PART_OF));
    this.monitoring.add(dashboardConfigMap("ml-platform-dashboard-teams", MONITORING_NAMESPACE, teamsDashboard(), GRAFANA_DASHBOARD_LABEL, PART_OF));
  }
}
