// What the stacks render for model delivery: the Argo Rollouts controller (platform), and per model the Rollout, its
// Services, analysis, promotion and drift monitor (ml), each checked against what the user relies on and against the
// pinned upstream schemas (Argo Rollouts v1.9.0 CRDs, chart 2.41.0 values.yaml).
import { ARGO_ROLLOUTS_CHART, TARGET_GROUP_VERIFICATION_ACTIONS } from "../../constructs/delivery/argo-rollouts";
import { IMAGE_TAGS } from "../../constructs/delivery/image-tags.generated";
import { validateCustomResource } from "../helpers/crd";
import { unknownValuePaths } from "../helpers/helm-values";
import { release, renderedObject, renderedObjects } from "../helpers/ml-helm";
import { exampleEnvironment as projectEnvironment, exampleStack as stack } from "../helpers/delivery-examples";
import { resources } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENVS = ["dev", "staging", "prod"] as const;
const rollout = (env: string) => renderedObject(stack(`${env}-ml`), "Rollout", "triton-churn", "triton");
const canary = (env: string) => rollout(env).spec.strategy.canary;

describe("the Argo Rollouts controller (platform stack)", () => {
  test.each(ENVS)("%s: chart 2.41.0 on the system nodes, CRDs installed and kept, dashboard off, metrics on", (env) => {
    const r = release(stack(`${env}-platform`), "argo-rollouts");
    expect({ chart: r.chart, repository: r.repository, version: r.version, namespace: r.namespace }).toEqual({ ...ARGO_ROLLOUTS_CHART, namespace: "argo-rollouts" });
    expect(r.values).toEqual(expect.objectContaining({ installCRDs: true, keepCRDs: true, dashboard: { enabled: false } }));
    expect(r.values.controller.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }]);
    expect(r.values.controller.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: false } });
  });

  test.each(ENVS)("%s: every value key exists in the chart's values.yaml", (env) => {
    expect(unknownValuePaths(release(stack(`${env}-platform`), "argo-rollouts").values, "argo-rollouts/values.yaml")).toEqual([]);
  });

  test("the values check fails a misspelt key", () => {
    expect(unknownValuePaths({ controller: { awsVerifyTargetGroups: true }, dashbord: { enabled: false } }, "argo-rollouts/values.yaml")).toEqual(["controller.awsVerifyTargetGroups", "dashbord"]);
  });

  test("verifies target groups only where there is a load balancer, with a Pod Identity role for it", () => {
    for (const env of ["staging", "prod"]) {
      const values = release(stack(`${env}-platform`), "argo-rollouts").values;
      expect(values.controller.awsVerifyTargetGroup).toBe(true);
      expect(values.controller.extraEnv).toEqual([{ name: "AWS_REGION", value: "us-east-1" }]);
      const assoc = Object.values(resources(stack(`${env}-platform`), "aws_eks_pod_identity_association")).find((a: Any) => a.namespace === "argo-rollouts");
      expect(assoc).toEqual(expect.objectContaining({ service_account: "argo-rollouts" }));
    }
    const dev = release(stack("dev-platform"), "argo-rollouts").values;
    expect(dev.controller.awsVerifyTargetGroup).toBe(false);
    expect(Object.values(resources(stack("dev-platform"), "aws_iam_role")).map((r: Any) => r.name)).not.toContain("mlp-dev-argo-rollouts");
    expect([...TARGET_GROUP_VERIFICATION_ACTIONS].every((a) => a.startsWith("elasticloadbalancing:Describe"))).toBe(true);
  });

  test("its metrics Service is scraped by a ServiceMonitor valid against the Prometheus Operator CRD", () => {
    const sm = renderedObject(stack("prod-platform"), "ServiceMonitor", "argo-rollouts", "argo-rollouts");
    expect(sm.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/instance": "argo-rollouts", "app.kubernetes.io/component": "rollouts-controller" });
    expect(sm.spec.endpoints[0].port).toBe("metrics");
    expect(validateCustomResource(sm)).toEqual([]);
  });
});

describe("each model's Rollout (ml stack)", () => {
  test.each(ENVS)("%s: Rollout and AnalysisTemplate validate against the Argo Rollouts v1.9.0 CRDs", (env) => {
    const objects = renderedObjects(stack(`${env}-ml`)).filter(({ obj }) => obj.apiVersion === "argoproj.io/v1alpha1" && ["Rollout", "AnalysisTemplate"].includes(obj.kind));
    expect(objects.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`).sort()).toEqual(["AnalysisTemplate/triton-churn-canary", "Rollout/triton-churn"]);
    for (const { obj } of objects) expect(validateCustomResource(obj)).toEqual([]);
  });

  test("the CRD check fails a misspelt canary field, a weight of the wrong type and an unknown analysis provider", () => {
    const r = structuredClone(rollout("staging"));
    r.spec.strategy.canary.dynamicStableScaling = true;
    r.spec.strategy.canary.steps[1].setWeight = "10%";
    const t = structuredClone(renderedObject(stack("staging-ml"), "AnalysisTemplate", "triton-churn-canary", "triton"));
    t.spec.metrics[0].provider = { promethues: { address: "x", query: "up" } };
    expect(validateCustomResource(r)).toEqual(['/spec/strategy/canary: unknown field "dynamicStableScaling"', '/spec/strategy/canary/steps/1/setWeight: got "10%"; must be integer']);
    expect(validateCustomResource(t)).toEqual(['/spec/metrics/0/provider: unknown field "promethues"']);
  });

  test.each(ENVS)("%s: the environment's canary steps, with the background analysis from the first weight on", (env) => {
    const c = canary(env);
    const weights = projectEnvironment(env).delivery.canary.steps;
    const steps = c.steps.filter((s: Any) => !s.experiment);
    expect(steps).toEqual(weights.flatMap((w) => [{ setWeight: w.weight }, { pause: { duration: `${w.pauseMinutes}m` } }]));
    expect(c.analysis).toEqual({ templates: [{ templateName: "triton-churn-canary" }], startingStep: c.steps.length - steps.length, args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] });
    expect({ canary: c.canaryMetadata, stable: c.stableMetadata }).toEqual({ canary: { labels: { track: "canary" } }, stable: { labels: { track: "stable" } } });
    expect(rollout(env).spec.progressDeadlineAbort).toBe(true);
  });

  test("dev has no load balancer: the split is the ratio of pods behind the root Service, one surge pod at most", () => {
    const c = canary("dev");
    expect(c.trafficRouting).toBeUndefined();
    expect(c.dynamicStableScale).toBeUndefined();
    expect({ maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable }).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(renderedObject(stack("dev-ml"), "Service", "triton-churn", "triton").spec.selector).toEqual({ "app.kubernetes.io/name": "triton-churn" });
  });

  test("staging and prod split through the ALB's weighted target groups, scaling the stable down as the canary grows", () => {
    for (const env of ["staging", "prod"]) {
      const c = canary(env);
      expect(c.trafficRouting).toEqual({ alb: { ingress: "triton-churn-api", rootService: "triton-churn", servicePort: 8000 } });
      expect(c.dynamicStableScale).toBe(true);
      expect({ stable: c.stableService, canary: c.canaryService }).toEqual({ stable: "triton-churn-stable", canary: "triton-churn-canary" });
    }
  });

  test("staging runs an A/B experiment first: baseline and candidate arms, labelled, weighted, held to the canary's analysis", () => {
    const [first] = canary("staging").steps;
    expect(first.experiment).toEqual({
      duration: "60m",
      templates: [
        { name: "baseline", specRef: "stable", replicas: 1, metadata: { labels: { arm: "baseline" } }, weight: 10 },
        { name: "candidate", specRef: "canary", replicas: 1, metadata: { labels: { arm: "candidate" } }, weight: 10 },
      ],
      analyses: [{ name: "candidate", templateName: "triton-churn-canary", args: [{ name: "canary-hash", value: "{{templates.candidate.podTemplateHash}}" }] }],
    });
    expect(canary("prod").steps.some((s: Any) => s.experiment)).toBe(false);
  });

  test("series of canary, stable and experiment pods are told apart: the monitor copies their hash, track and arm labels", () => {
    const sm = renderedObject(stack("prod-ml"), "ServiceMonitor", "triton-churn", "triton");
    expect(sm.spec.podTargetLabels).toEqual(["rollouts-pod-template-hash", "track", "arm"]);
    // Only the root Service is scraped: the stable and canary Services select the same pods.
    expect(sm.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "triton-churn", "ml-platform.io/service-role": "root" });
    for (const svc of ["triton-churn-stable", "triton-churn-canary"]) expect(renderedObject(stack("prod-ml"), "Service", svc, "triton").metadata.labels["ml-platform.io/service-role"]).toBeUndefined();
  });

  test("every pod ships a sample of its requests: Triton traces every Nth request's tensors, the capture sidecar uploads them", () => {
    const pod = rollout("prod").spec.template.spec;
    const [triton, capture] = pod.containers;
    expect(triton.args).toEqual(expect.arrayContaining([`--trace-config=rate=${projectEnvironment("prod").delivery.capture.sampleEvery}`, "--trace-config=level=TENSORS", "--trace-config=triton,file=/traces/trace.json"]));
    expect(capture.image).toBe("burakince/mlflow:3.15.1");
    expect(capture.env).toEqual(expect.arrayContaining([{ name: "BUCKET", value: "mlp-prod-triton-models-444455556666" }, { name: "PREFIX", value: "inference_log" }, { name: "MODEL", value: "churn" }]));
    expect(capture.volumeMounts).toContainEqual({ name: "traces", mountPath: "/traces" });
  });
});

describe("promotion from the registry", () => {
  const promotion = (env: string) => release(stack(`${env}-ml`), "promote-churn");

  test("staging and prod: a Job named after the pinned version stages it, and Helm waits for it before the Rollout names it", () => {
    for (const env of ["staging", "prod"]) {
      const p = promotion(env);
      const job = p.values.manifests.find((o: Any) => o.kind === "Job");
      expect(job.metadata.name).toMatch(/^promote-churn-v7-[0-9a-f]{8}$/);
      const env0 = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
      expect(env0).toEqual(expect.objectContaining({ MODE: "stage", VERSION: "7", MODEL: "churn", REGISTERED_MODEL: "churn", REPOSITORY: `s3://mlp-${env}-triton-models-${projectEnvironment(env).account.id}/model_repository` }));
      expect(p.config.wait_for_jobs).toBe(true);
      expect(p.values.manifests.some((o: Any) => o.kind === "CronJob" || o.kind === "Role")).toBe(false);
      expect(release(stack(`${env}-ml`), "triton-churn").config.depends_on).toContain(`helm_release.${p.address.split(".")[1]}`);
      expect(rollout(env).spec.template.metadata.annotations).toEqual({ "ml-platform.io/model-version": "7" });
    }
  });

  test("dev: a CronJob follows the alias and may get and patch only its model's Rollout", () => {
    const p = promotion("dev");
    const cron = p.values.manifests.find((o: Any) => o.kind === "CronJob");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    // A failed run is no lasting state: it leaves the history after a day (ModelPromotionFailing watches the CronJob).
    expect(cron.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBe(86400);
    const env0 = Object.fromEntries(cron.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
    expect(env0).toEqual(expect.objectContaining({ MODE: "follow", ALIAS: "champion", ROLLOUT_NAMESPACE: "triton", ROLLOUT: "triton-churn" }));
    const role = p.values.manifests.find((o: Any) => o.kind === "Role");
    expect(role.metadata.namespace).toBe("triton");
    expect(role.rules).toEqual([
      { apiGroups: ["argoproj.io"], resources: ["rollouts", "rollouts/status"], resourceNames: ["triton-churn"], verbs: ["get", "patch"] },
      { apiGroups: ["keda.sh"], resources: ["scaledobjects"], resourceNames: ["triton-churn"], verbs: ["get", "patch"] },
    ]);
    expect(p.values.manifests.some((o: Any) => o.kind === "Job")).toBe(false);
    // The CronJob comes after the Rollout it patches; the file's version only seeds the annotation (none yet: 0).
    expect(p.config.depends_on).toContain(`helm_release.${release(stack("dev-ml"), "triton-churn").address.split(".")[1]}`);
    expect(rollout("dev").spec.template.metadata.annotations).toEqual({ "ml-platform.io/model-version": "0" });
  });

  test("dev: no GPU pod runs for the never-staged seed version: the Rollout starts at 0 pods and KEDA holds it there", () => {
    expect(rollout("dev").spec.replicas).toBe(0);
    const so = renderedObject(stack("dev-ml"), "ScaledObject", "triton-churn", "triton");
    expect(so.metadata.annotations).toEqual({ "autoscaling.keda.sh/paused-replicas": "0" });
    expect(validateCustomResource(so)).toEqual([]);
    // A pinned version is staged before the Rollout names it: its pods serve from the start, autoscaled.
    for (const env of ["staging", "prod"]) {
      expect(rollout(env).spec.replicas).toBeUndefined();
      expect(renderedObject(stack(`${env}-ml`), "ScaledObject", "triton-churn", "triton").metadata.annotations).toBeUndefined();
    }
  });
});

describe("drift monitoring", () => {
  test.each(ENVS)("%s: one monitor per model, running the platform's image from the environment's ECR at its content tag", (env) => {
    const e = projectEnvironment(env);
    const d = renderedObject(stack(`${env}-ml`), "Deployment", "drift-churn", "ml-delivery");
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe(`${e.account.id}.dkr.ecr.us-east-1.amazonaws.com/mlp-${env}/drift-monitor:${IMAGE_TAGS["drift-monitor"]}`);
    const vars = Object.fromEntries(c.env.map((x: Any) => [x.name, x.value]));
    expect(vars).toEqual(expect.objectContaining({ MODEL: "churn", PREFIX: "inference_log", THRESHOLD: String(e.delivery.drift.threshold), CURRENT_HOURS: "24", REFERENCE_DAYS: "7" }));
    expect(validateCustomResource(renderedObject(stack(`${env}-ml`), "PodMonitor", "drift-churn", "ml-delivery"))).toEqual([]);
  });

  test("the repository: encrypted with its own key, scanned on push, immutable tags, old images expire", () => {
    for (const env of ENVS) {
      const [repo] = Object.values(resources(stack(`${env}-foundation`), "aws_ecr_repository")) as Any[];
      expect(repo).toEqual(expect.objectContaining({ name: `mlp-${env}/drift-monitor`, image_tag_mutability: "IMMUTABLE", image_scanning_configuration: { scan_on_push: true } }));
      expect(repo.encryption_configuration).toEqual([{ encryption_type: "KMS", kms_key: expect.stringMatching(/^\$\{aws_kms_key\.images_key_\w+\.arn\}$/) }]);
      const [policy] = Object.values(resources(stack(`${env}-foundation`), "aws_ecr_lifecycle_policy")) as Any[];
      expect(JSON.parse(policy.policy).rules.map((r: Any) => r.selection.countType)).toEqual(["sinceImagePushed", "imageCountMoreThan"]);
      expect(repo.lifecycle?.prevent_destroy ?? false).toBe(env === "prod");
    }
  });
});
