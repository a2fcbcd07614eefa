// The platform's Mountpoint for S3 driver (IAM against Mountpoint's documented policy), and how node health reaches
// Prometheus and Grafana: the agent's PodMonitor, the resilience rules and the node health dashboard.
import { mountpointStatements } from "../../constructs/storage/csi-drivers";
import { renderedManifests } from "../helpers/manifests";
import { oracle } from "../helpers/oracles";
import { resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const addonOf = (env: string): Any => Object.values(resources(stack(`${env}-platform`), "aws_eks_addon")).find((a: Any) => a.addon_name === "aws-mountpoint-s3-csi-driver");
const policyOf = (env: string): Any[] => {
  const p = Object.values(resources(stack(`${env}-platform`), "aws_iam_role_policy")).find((x: Any) => String(x.role).includes("resilience_mountpoint-role")) as Any;
  return JSON.parse(p.policy).Statement;
};
const documented = new Set<string>(oracle<Any>("aws-mountpoint-s3-csi-driver/iam/mountpoint-general-purpose-bucket-policy.json").Statement.flatMap((s: Any) => [s.Action].flat()));

describe("Mountpoint for S3 CSI driver v2", () => {
  test.each(["dev", "staging", "prod"])("%s: pinned add-on with the node plugin on every taint and Pod Identity for s3-csi-driver-sa, after the node pools", (env) => {
    const a = addonOf(env);
    expect([a.addon_version, JSON.parse(a.configuration_values)]).toEqual(["v2.7.0-eksbuild.1", { node: { tolerateAllTaints: true } }]);
    expect(a.pod_identity_association).toEqual([{ service_account: "s3-csi-driver-sa", role_arn: expect.stringMatching(/^\$\{aws_iam_role\.resilience_mountpoint-role_/) }]);
    // Its controller tolerates nothing: it needs the general pool, which exists once the node pools do.
    expect(a.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^helm_release\.compute_node-pools_release_/)]));
  });

  test("S3 actions are a subset of Mountpoint's documented least-privilege policy; the data key only through S3", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const actions = policyOf(env).flatMap((s) => [s.Action].flat()) as string[];
      expect([env, actions.filter((a) => a.startsWith("s3:") && !documented.has(a))]).toEqual([env, []]);
      const key = policyOf(env).find((s) => s.Sid === "MountpointBucketKey");
      expect(key.Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
    }
  });

  test("datasets/ is read-only everywhere; checkpoints/ is writable only where there is no FSx (dev)", () => {
    const sids = (env: string) => Object.fromEntries(policyOf(env).map((s) => [s.Sid, s]));
    expect(sids("dev").MountpointReadObjects.Resource).toEqual(["arn:aws:s3:::mlp-dev-training-111122223333/datasets/*"]);
    expect(sids("dev").MountpointWriteObjects.Resource).toEqual(["arn:aws:s3:::mlp-dev-training-111122223333/checkpoints/*"]);
    for (const env of ["staging", "prod"]) {
      expect(sids(env).MountpointWriteObjects).toBeUndefined();
      expect(sids(env).MountpointBucketKey.Action).toEqual(["kms:Decrypt"]);
    }
    expect(sids("prod").MountpointListPrefixes.Condition).toEqual({ StringLike: { "s3:prefix": ["datasets/*", "datasets/"] } });
  });

  test("a write prefix adds write actions on that prefix only, and GenerateDataKey", () => {
    const s = mountpointStatements("arn:aws:s3:::b", "arn:aws:kms:us-east-1:1:key/k", "us-east-1", [{ prefix: "checkpoints/", write: true }]);
    expect(s.map((x) => x.Sid)).toEqual(["MountpointListPrefixes", "MountpointWriteObjects", "MountpointBucketKey"]);
    expect(s[1].Resource).toEqual(["arn:aws:s3:::b/checkpoints/*"]);
    expect(s[2].Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
  });
});

describe("node health in Prometheus and Grafana", () => {
  const objects = (env: string) => renderedManifests(stack(`${env}-platform`)).map((m) => m.manifest as Any);

  test.each(["dev", "staging", "prod"])("%s: the agent's metrics are scraped on the node's port 8003, labelled with the node", (env) => {
    const monitor = objects(env).find((o) => o.kind === "PodMonitor" && o.metadata.name === "eks-node-monitoring-agent");
    expect(monitor.spec).toEqual({
      namespaceSelector: { matchNames: ["kube-system"] },
      selector: { matchLabels: { "app.kubernetes.io/name": "eks-node-monitoring-agent" } },
      podMetricsEndpoints: [{ portNumber: 8003, path: "/metrics", scheme: "http", interval: "30s", relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node", action: "replace" }] }],
    });
  });

  test("the resilience rules and the node health dashboard are deployed with the platform's monitoring", () => {
    const rule = objects("prod").find((o) => o.kind === "PrometheusRule" && o.metadata.name === "ml-platform-resilience");
    expect(rule.spec.groups.map((g: Any) => [g.name, g.rules.map((r: Any) => r.alert ?? r.record)])).toEqual([
      ["ml-platform.resilience.recording", ["nodepool:unhealthy_nodes:count", "nodepool:nodes:count"]],
      ["ml-platform.resilience", ["NodeConditionUnhealthy", "NodePoolUnhealthyNodes", "NodeRepairBlocked", "KarpenterNodeRepaired", "EfaErrorsReported", "ReservedCapacityLaunchFailing"]],
    ]);
    const board = objects("prod").find((o) => o.kind === "ConfigMap" && o.metadata.name === "ml-platform-dashboard-node-health");
    const model = JSON.parse(board.data["ml-platform-node-health.json"]);
    const exprs = model.panels.flatMap((p: Any) => (p.targets ?? []).map((t: Any) => t.expr)).join("\n");
    for (const condition of ["AcceleratedHardwareReady", "KernelReady", "NetworkingReady", "StorageReady", "ContainerRuntimeReady"]) expect(exprs).toContain(condition);
    expect(exprs).toContain("karpenter_nodeclaims_unhealthy_disrupted_total");
    expect(exprs).toContain('karpenter_cloudprovider_instance_type_offering_available{capacity_type="reserved"}');
  });
});
