// What the platform and ML stacks render for LLM serving, Ray and GPU sharing, checked against the pinned upstream
// data (chart values, CRDs) and against what a user relies on: pinned images, weights from S3, the GPU resource each
// replica requests, autoscaling that can wake a model from zero only in development, MIG capacity Karpenter knows.
import { parse } from "yaml";
import { GPU_OPERATOR_CHART } from "../../constructs/serving/gpu-operator";
import { KUBERAY_OPERATOR_CHART } from "../../constructs/serving/kuberay-operator";
import { validateCustomResource } from "../helpers/crd";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { unknownValuePaths } from "../helpers/helm-values";
import { release, renderedObject, renderedObjects } from "../helpers/ml-helm";
import { oracle } from "../helpers/oracles";
import { projectEnvironment, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ENVS = ["dev", "staging", "prod"] as const;

/** Every container image of a pod spec. */
const images = (spec: Any): string[] => [...(spec.initContainers ?? []), ...spec.containers].map((c: Any) => c.image);

describe.each(ENVS)("%s: vLLM", (env) => {
  const ml = stack(`${env}-ml`);
  const models = projectEnvironment(env).ml.llm.models;

  test("every engine and the router run pinned images, pulled only when absent", () => {
    const pods = renderedObjects(ml).filter(({ release: r, obj }) => r === "llm" && obj.kind === "Deployment").map(({ obj }) => obj.spec.template.spec);
    expect(pods).toHaveLength(models.length + 1);
    for (const spec of pods) {
      for (const image of images(spec)) expect(image).toMatch(/^(vllm\/vllm-openai:v0\.13\.0|ghcr\.io\/vllm-project\/production-stack\/router:66b60661aa3052810859a417559e9e830772a091)$/);
      for (const c of spec.containers) expect(c.imagePullPolicy).toBe("IfNotPresent");
      // EKS AL2023 NVIDIA AMIs define no RuntimeClass `nvidia` (the chart's default).
      expect(spec.runtimeClassName).toBeUndefined();
    }
  });

  test.each(models.map((m) => [m.name, m] as const))("%s streams its weights from S3 and requests its GPUs on its pool", (name, m) => {
    const d = renderedObject(ml, "Deployment", name, "llm");
    const spec = d.spec.template.spec;
    const args: string[] = spec.containers[0].args;
    expect(args[0]).toMatch(new RegExp(`^s3://mlp-${env}-triton-models-\\d{12}/llm-weights/${m.weights.replace(/\./g, "\\.")}$`));
    expect(args.join(" ")).toContain(`--served-model-name ${m.modelId} --load-format runai_streamer --tensor-parallel-size ${m.tensorParallelSize} --max-model-len ${m.maxModelLen}`);
    const resource = m.gpu.migProfile ? `nvidia.com/mig-${m.gpu.migProfile}` : "nvidia.com/gpu";
    expect(spec.containers[0].resources.limits[resource]).toBe(String(m.gpu.count ?? m.tensorParallelSize));
    expect(spec.nodeSelector["node.kubernetes.io/instance-type"]).toBe(m.gpu.instanceType);
    expect(spec.nodeSelector["node.ml-platform.io/pool"]).toBe(m.gpu.migProfile ? "shared-gpu" : "gpu-inference");
    expect(spec.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    expect(spec.serviceAccountName).toBe(`vllm-${name}`);
  });

  test.each(models.map((m) => [m.name, m] as const))("%s scales on waiting requests and KV cache; only a scale-to-zero model wakes on the router's counter", (name, m) => {
    const so = renderedObject(ml, "ScaledObject", name, "llm");
    expect(validateCustomResource(so)).toEqual([]);
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([m.replicas.min, m.replicas.max]);
    const triggers = so.spec.triggers.map((t: Any) => [t.name, t.metadata.query.match(/vllm:[a-z_]+/)[0]]);
    const formula: string = so.spec.advanced.scalingModifiers.formula;
    expect(formula).toContain(`waiting / ${m.autoscaling.waitingPerReplica}`);
    expect(formula).toContain(`kvcache / ${m.autoscaling.kvCacheUsagePercent / 100}`);
    if (m.replicas.min === 0) {
      expect(env).toBe("dev");
      expect(triggers).toEqual([["waiting", "vllm:num_requests_waiting"], ["kvcache", "vllm:kv_cache_usage_perc"], ["incoming", "vllm:num_incoming_requests_total"]]);
      expect(formula).toContain("incoming > 0 ? 1 : 0");
    } else {
      expect(triggers).toEqual([["waiting", "vllm:num_requests_waiting"], ["kvcache", "vllm:kv_cache_usage_perc"]]);
    }
  });

  test("the router finds engines by the labels they carry and may read (and label) pods only in its namespace", () => {
    const router = renderedObject(ml, "Deployment", "vllm-router", "llm").spec.template.spec.containers[0];
    const selector: string = router.args[router.args.indexOf("--k8s-label-selector") + 1];
    for (const m of models) {
      const labels = renderedObject(ml, "Deployment", m.name, "llm").spec.template.metadata.labels;
      for (const pair of selector.split(",")) expect(`${pair.split("=")[0]}=${labels[pair.split("=")[0]]}`).toBe(pair);
    }
    expect(renderedObject(ml, "Role", "vllm-router-pod-reader", "llm").rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "watch", "list", "patch"] }]);
  });
});

describe("the in-repo router and engines against the vllm-stack 0.1.12 chart defaults (test/oracles/vllm-production-stack)", () => {
  const chart = oracle<Any>("vllm-production-stack/values.yaml");
  const ml = stack("prod-ml");
  const router = renderedObject(ml, "Deployment", "vllm-router", "llm").spec.template.spec.containers[0];
  const engine = renderedObject(ml, "Deployment", "llama-8b", "llm").spec.template.spec;
  const arg = (name: string) => router.args[router.args.indexOf(name) + 1];

  test("keep the chart's router image, resources, ports and scrape settings", () => {
    // The chart's lmcache/lmstack-router:v<version> and GHCR's router:<commit> are tags of one build (helm-release.yml);
    // only the commit tag is never re-pushed with other code.
    expect(chart.routerSpec.repository).toBe("lmcache/lmstack-router");
    expect(router.image).toMatch(/^ghcr\.io\/vllm-project\/production-stack\/router:[0-9a-f]{40}$/);
    expect(router.resources).toEqual(chart.routerSpec.resources);
    expect([router.ports[0].containerPort, engine.containers[0].ports[0].containerPort]).toEqual([chart.routerSpec.containerPort, chart.servingEngineSpec.containerPort]);
    expect([arg("--engine-stats-interval"), arg("--request-stats-window"), arg("--routing-logic")]).toEqual([String(chart.routerSpec.engineScrapeInterval), String(chart.routerSpec.requestStatsWindow), chart.routerSpec.routingLogic]);
  });

  test("override what the chart's defaults get wrong on EKS: latest tags pulled Always, the nvidia RuntimeClass, root engines", () => {
    expect([chart.routerSpec.tag, chart.routerSpec.imagePullPolicy, chart.servingEngineSpec.imagePullPolicy]).toEqual(["latest", "Always", "Always"]);
    expect(router.image).not.toMatch(/:latest$/);
    expect(router.imagePullPolicy).toBe("IfNotPresent");
    expect(chart.servingEngineSpec.modelSpec[0].runtimeClassName).toBe("nvidia");
    expect(engine.runtimeClassName).toBeUndefined();
    expect(chart.servingEngineSpec.containerSecurityContext).toEqual({ runAsNonRoot: false });
    expect(engine.securityContext.runAsNonRoot).toBe(true);
  });
});

// The Ray templates themselves: ray-templates.test.ts.

describe.each(ENVS)("%s: KubeRay operator and GPU sharing", (env) => {
  const platform = stack(`${env}-platform`);

  test("KubeRay 1.7.0: pinned image, ServiceMonitor on, CRDs from the chart, values the chart defines", () => {
    const r = release(platform, "kuberay-operator");
    expect([r.repository, r.config.chart, r.version]).toEqual([KUBERAY_OPERATOR_CHART.repository, "kuberay-operator", "1.7.0"]);
    expect(r.values.image).toEqual({ repository: "quay.io/kuberay/operator", tag: "v1.7.0", pullPolicy: "IfNotPresent" });
    expect(r.values.metrics).toMatchObject({ enabled: true, serviceMonitor: { enabled: true } });
    // Helm creates crds/ on install (no client-side apply, so no 256 KiB annotation); skip_crds would lose them.
    expect(r.config.skip_crds ?? false).toBe(false);
    expect(unknownValuePaths(r.values, "kuberay/values.yaml")).toEqual([]);
  });

  test("the GPU Operator runs only with MIG pools, as mig-manager alone beside the standalone plugin and exporter", () => {
    const shared = projectEnvironment(env).compute.sharedGpuPool;
    const names = [...new Set(Object.values(platform.json.resource?.helm_release ?? {}).map((r: Any) => r.name))];
    if (shared?.sharing.mode !== "mig") {
      expect(names).not.toContain("gpu-operator");
      return;
    }
    const r = release(platform, "gpu-operator");
    expect([r.repository, r.version]).toEqual([GPU_OPERATOR_CHART.repository, "v26.7.0"]);
    for (const operand of ["driver", "toolkit", "devicePlugin", "dcgm", "dcgmExporter", "gfd", "nodeStatusExporter", "vgpuDeviceManager", "vfioManager", "sandboxDevicePlugin"]) {
      expect([operand, (r.values[operand] as Any).enabled]).toEqual([operand, false]);
    }
    expect(r.values.migManager).toMatchObject({ enabled: true, repository: "nvcr.io/nvidia/cloud-native", image: "k8s-mig-manager", version: "v0.15.0" });
    const { "node-feature-discovery": nfd, ...operator } = r.values as Any;
    expect(unknownValuePaths(operator, "nvidia-gpu-operator/values.yaml")).toEqual([]);
    // Our NFD subchart values against the subchart's own schema (draft 2020-12).
    const schema = oracle<Any>("nvidia-gpu-operator/subcharts/node-feature-discovery/values.schema.json");
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    // The subchart's schema uses OpenAPI's int32 (NodeFeatureRule weights): checked, not ignored.
    ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    const validate = ajv.compile(structuredClone(schema));
    expect([validate(nfd), validate.errors ?? []]).toEqual([true, []]);
    const parted = parse(r.values.migManager.config.data["config.yaml"]);
    expect(Object.keys(parted["mig-configs"])).toEqual(["all-disabled", "shared-gpu"]);
    expect(parted["mig-configs"]["shared-gpu"]).toEqual([{ "device-filter": ["0x233010DE"], devices: "all", "mig-enabled": true, "mig-devices": { "1g.10gb": 7 } }]);
  });
});
