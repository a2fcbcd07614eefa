import { crdIndex, findCrd, isKnownCrdGroup, re2Pattern, validateCustomResource } from "./crd";

/** A NodePool as the Karpenter 1.14 docs write it (v1 API). */
function nodePool(): Record<string, any> {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "gpu-inference" },
    spec: {
      template: {
        metadata: { labels: { "node.ml-platform.io/pool": "gpu-inference" } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" },
          requirements: [
            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["g6", "g5"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
          ],
          taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
          expireAfter: "720h",
        },
      },
      limits: { cpu: 64, "nvidia.com/gpu": 4 },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5m", budgets: [{ nodes: "10%" }] },
    },
  };
}

describe("CRD validator", () => {
  test("indexes the Karpenter and Prometheus Operator CRDs by group and kind", () => {
    const kinds = crdIndex().map((e) => `${e.group}/${e.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(["karpenter.sh/NodePool", "karpenter.k8s.aws/EC2NodeClass", "monitoring.coreos.com/ServiceMonitor", "monitoring.coreos.com/PrometheusRule"]));
    expect(findCrd("karpenter.sh/v1", "NodePool")?.scope).toBe("Cluster");
    expect(isKnownCrdGroup("karpenter.sh/v1")).toBe(true);
    expect(isKnownCrdGroup("v1")).toBe(false);
  });

  test("accepts a valid NodePool", () => {
    expect(validateCustomResource(nodePool())).toEqual([]);
  });

  test("skips pattern checks only for values that are a Terraform reference resolved at apply time", () => {
    const nodeClass = (id: string) => ({
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: "general" },
      spec: {
        role: "mlp-dev-karpenter-node",
        amiSelectorTerms: [{ alias: "al2023@latest" }],
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "mlp-dev" } }],
        securityGroupSelectorTerms: [{ id }],
      },
    });
    expect(validateCustomResource(nodeClass("${aws_eks_cluster.eks.vpc_config[0].cluster_security_group_id}"))).toEqual([]);
    expect(validateCustomResource(nodeClass("eks-cluster-sg"))).toEqual(['/spec/securityGroupSelectorTerms/0/id: got "eks-cluster-sg"; must match pattern "sg-[0-9a-z]+"']);
  });

  test("fails a NodePool with an unknown field", () => {
    const np = nodePool();
    np.spec.disruption.consolidateAftr = "5m";
    expect(validateCustomResource(np)).toEqual(['/spec/disruption: unknown field "consolidateAftr"']);
  });

  test("fails a NodePool with a consolidation policy outside the enum", () => {
    const np = nodePool();
    np.spec.disruption.consolidationPolicy = "WhenIdle";
    expect(validateCustomResource(np)).toEqual(['/spec/disruption/consolidationPolicy: got "WhenIdle"; must be one of "WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"']);
  });

  test("fails a NodePool with a malformed duration and a missing required field", () => {
    const np = nodePool();
    np.spec.disruption.consolidateAfter = "5 minutes";
    delete np.spec.template.spec.nodeClassRef;
    expect(validateCustomResource(np)).toEqual([
      '/spec/disruption/consolidateAfter: got "5 minutes"; must match pattern "^(([0-9]+(s|m|h))+|Never)$"',
      '/spec/template/spec: missing required field "nodeClassRef"',
    ]);
  });

  test("fails a requirement operator outside the enum (nested in a list)", () => {
    const np = nodePool();
    np.spec.template.spec.requirements[0].operator = "in";
    expect(validateCustomResource(np)).toEqual(['/spec/template/spec/requirements/0/operator: got "in"; must be one of "Gte", "Lte", "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"']);
  });

  test("applies CRD defaults before validating, as the API server does (a budget without nodes gets 10%)", () => {
    const np = nodePool();
    np.spec.disruption.budgets = [{ reasons: ["Empty"] }];
    expect(validateCustomResource(np)).toEqual([]);
    expect(np.spec.disruption.budgets).toEqual([{ reasons: ["Empty"] }]);
  });

  test("fails a version the CRD does not serve and a kind the group does not define", () => {
    expect(validateCustomResource({ ...nodePool(), apiVersion: "karpenter.sh/v1beta1" })).toEqual(["NodePool: version v1beta1 is not served by the CRD (served: v1)"]);
    expect(validateCustomResource({ ...nodePool(), kind: "NodePol" })).toEqual([
      "no CRD for NodePol in karpenter.sh/v1 in the reference data (the group defines NodeOverlay, NodeClaim, NodePool)",
    ]);
  });

  test("fails a missing or invalid metadata.name", () => {
    expect(validateCustomResource({ ...nodePool(), metadata: {} })).toEqual(["/metadata/name: missing"]);
    expect(validateCustomResource({ ...nodePool(), metadata: { name: "GPU_Pool" } })).toEqual([
      '/metadata/name: got "GPU_Pool"; must be a lowercase DNS subdomain (a-z, 0-9, \'-\', \'.\', at most 253 characters)',
    ]);
  });

  test("accepts a valid EC2NodeClass and fails a wrong httpTokens value", () => {
    const nc: Record<string, any> = {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: "gpu" },
      spec: {
        amiSelectorTerms: [{ alias: "al2023@v20260801" }],
        role: "mlp-dev-karpenter-node",
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "mlp-dev" } }],
        securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "mlp-dev" } }],
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true } }],
        tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-dev-4100", Environment: "dev" },
      },
    };
    expect(validateCustomResource(nc)).toEqual([]);
    nc.spec.metadataOptions.httpTokens = "mandatory";
    expect(validateCustomResource(nc)).toEqual(['/spec/metadataOptions/httpTokens: got "mandatory"; must be one of "required", "optional"']);
  });

  test("accepts a valid ServiceMonitor and fails an endpoint with an unknown field", () => {
    const sm: Record<string, any> = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "dcgm-exporter", namespace: "gpu-operator" },
      spec: { selector: { matchLabels: { app: "dcgm-exporter" } }, endpoints: [{ port: "metrics", interval: "30s" }] },
    };
    expect(validateCustomResource(sm)).toEqual([]);
    sm.spec.endpoints[0].intervall = "30s";
    expect(validateCustomResource(sm)).toEqual(['/spec/endpoints/0: unknown field "intervall"']);
  });
});

describe("CRD validator (Feast operator, 1.3 MB CRD loaded on first use)", () => {
  test("accepts a minimal FeatureStore and fails an unknown spec field", () => {
    const fs: Record<string, any> = { apiVersion: "feast.dev/v1", kind: "FeatureStore", metadata: { name: "ml", namespace: "feast" }, spec: { feastProject: "ml_platform" } };
    expect(validateCustomResource(fs)).toEqual([]);
    fs.spec.onlineStore = { server: {} };
    expect(validateCustomResource(fs)).toEqual(['/spec: unknown field "onlineStore"']);
  });
});

describe("re2Pattern", () => {
  test("turns a Go case-insensitive flag group into letter classes, leaving escapes and classes alone", () => {
    expect(re2Pattern("^(?i)(abort|warn)?$")).toBe("^([aA][bB][oO][rR][tT]|[wW][aA][rR][nN])?$");
    expect(re2Pattern("^(?i)a\\db[x-z]$")).toBe("^[aA]\\d[bB][x-z]$");
    expect(re2Pattern("^[a-z]+$")).toBe("^[a-z]+$");
  });
});

describe("CRD validator (PrometheusRule, whose CRD has a Go-only regex flag)", () => {
  test("accepts a rule with a case-insensitive enum-like field and fails a bad one", () => {
    const rule: Record<string, any> = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "r", namespace: "monitoring" },
      spec: { groups: [{ name: "g", partial_response_strategy: "WARN", rules: [{ alert: "A", expr: "up == 0", for: "5m" }] }] },
    };
    expect(validateCustomResource(rule)).toEqual([]);
    rule.spec.groups[0].partial_response_strategy = "ignore";
    expect(validateCustomResource(rule)).toEqual(['/spec/groups/0/partial_response_strategy: got "ignore"; must match pattern "^([aA][bB][oO][rR][tT]|[wW][aA][rR][nN])?$"']);
  });
});
