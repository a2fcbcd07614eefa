import { dashboard, type DashboardSpec } from "../observability/grafana";
import { RECORDED } from "../observability/rules";
import { AGENT_CONDITIONS, RESILIENCE_RECORDED } from "./alert-rules";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * "ML platform / Node health and capacity": the node conditions the node monitoring agent sets (through
 * kube-state-metrics), unhealthy nodes per pool against node repair's threshold, repairs, the agent's problem reports
 * (EFA counters among them), GPU XIDs, and Karpenter's launch failures by capacity type with the reserved offerings.
 */
export function nodeHealthDashboard(): Json {
  const agent = `condition=~"${AGENT_CONDITIONS.join("|")}"`;
  const spec: DashboardSpec = {
    uid: "ml-platform-node-health",
    title: "ML platform / Node health and capacity",
    description: "Node conditions from the EKS node monitoring agent, node repair, EFA and GPU faults, and Karpenter's launch failures by capacity type.",
    tags: ["ml-platform", "node-health", "capacity"],
    rows: [
      {
        title: "Node conditions",
        panels: [
          { title: "Unhealthy nodes", type: "stat", width: 6, queries: [{ expr: `sum(${RESILIENCE_RECORDED.unhealthyNodes}) or vector(0)`, instant: true }] },
          {
            title: "Conditions that are not healthy, per node",
            type: "table",
            width: 10,
            description: "Ready not True, or an agent condition (AcceleratedHardwareReady, KernelReady, NetworkingReady, StorageReady, ContainerRuntimeReady) False.",
            queries: [
              {
                expr: `max by (node, condition, status) (kube_node_status_condition{${agent}, status="false"} == 1 or kube_node_status_condition{condition="Ready", status!="true"} == 1)`,
                instant: true,
              },
            ],
          },
          {
            title: "Unhealthy nodes per NodePool",
            type: "timeseries",
            width: 8,
            description: "Node repair stops in a pool above 20% unhealthy (rounded up).",
            queries: [
              { expr: RESILIENCE_RECORDED.unhealthyNodes, legend: "{{nodepool}}" },
              { expr: `ceil(0.2 * ${RESILIENCE_RECORDED.nodes})`, legend: "{{nodepool}} repair limit" },
            ],
          },
        ],
      },
      {
        title: "Repairs and faults",
        panels: [
          { title: "Nodes Karpenter repaired", type: "timeseries", queries: [{ expr: "sum by (nodepool, condition) (increase(karpenter_nodeclaims_unhealthy_disrupted_total[$__rate_interval]))", legend: "{{nodepool}} {{condition}}" }] },
          { title: "Problems the node monitoring agent reports", type: "timeseries", queries: [{ expr: "sum by (reason, severity) (increase(problem_condition_count[$__rate_interval]))", legend: "{{reason}} ({{severity}})" }] },
          { title: "EFA error reports per node", type: "timeseries", queries: [{ expr: 'sum by (node) (increase(problem_condition_count{reason="EFAErrorMetric"}[$__rate_interval]))', legend: "{{node}}" }] },
          { title: "GPU XIDs per node", type: "timeseries", queries: [{ expr: "max by (node, err_code) (DCGM_FI_DEV_XID_ERRORS > 0)", legend: "{{node}} XID {{err_code}}" }] },
        ],
      },
      {
        title: "Capacity",
        panels: [
          {
            title: "Launch failures by capacity type",
            type: "timeseries",
            description: "Per offering CreateFleet failures; reserved ones mean a Capacity Block or ODCR is used up or not active, and Karpenter falls back.",
            queries: [{ expr: "sum by (capacity_type, zone, reason) (increase(karpenter_cloudprovider_instance_launch_failures_total[$__rate_interval]))", legend: "{{capacity_type}} {{zone}} {{reason}}" }],
          },
          { title: "Insufficient capacity errors", type: "timeseries", queries: [{ expr: 'sum by (controller) (increase(karpenter_cloudprovider_errors_total{error="InsufficientCapacityError"}[$__rate_interval]))', legend: "{{controller}}" }] },
          { title: "Reserved offerings Karpenter can launch", type: "table", queries: [{ expr: 'max by (instance_type, zone) (karpenter_cloudprovider_instance_type_offering_available{capacity_type="reserved"})', instant: true }] },
          { title: "GPUs by NodePool and capacity type", type: "timeseries", queries: [{ expr: `sum by (nodepool, capacity_type) (${RECORDED.nodepoolGpuCapacity})`, legend: "{{nodepool}} {{capacity_type}}" }] },
        ],
      },
    ],
  };
  return dashboard(spec);
}
