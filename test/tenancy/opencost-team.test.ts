// What OpenCost needs to allocate cost by team (docs/tenancy.md "Cost per team", read in OpenCost's source): the
// `team` label on kube_namespace_labels, and OpenCost's own KSM v1 exporter left on so pods' `team` labels reach it
// as kube_pod_labels (kube-state-metrics exports no pod labels here).
import { openCostValues } from "../../constructs/observability/opencost";

describe("OpenCost can aggregate by label:team", () => {
  const values = openCostValues({ clusterId: "mlp-staging", prometheusNamespace: "monitoring" }) as { opencost: { metrics?: { kubeStateMetrics?: Record<string, unknown> } } };

  test("its exporter still writes kube_pod_labels and kube_namespace_labels", () => {
    // pkg/metrics/kubemetrics.go (v1.112.0) InitKubeMetrics: both are registered with EMIT_KSM_V1_METRICS (default
    // true, pkg/env/costmodelenv.go) or EMIT_KSM_V1_METRICS_ONLY; with neither, OpenCost exports no label series.
    const ksm = values.opencost.metrics?.kubeStateMetrics ?? {};
    expect((ksm.emitKsmV1Metrics ?? true) === true || ksm.emitKsmV1MetricsOnly === true).toBe(true);
  });
});
