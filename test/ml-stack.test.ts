import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PIPELINE_ROOT_PREFIX } from "../constructs/ml/kubeflow-pipelines";
import { validateCustomResource } from "./helpers/crd";
import { release, releases, renderedObject, renderedObjects } from "./helpers/ml-helm";
import { allResources, projectEnvironment, resources, stack, synthesizeAll } from "./helpers/synth";
import { exampleEnvironment, exampleStack } from "./helpers/delivery-examples";

const ENVS = ["dev", "staging", "prod"] as const;

/** Paths of non-empty literal strings under keys that name a credential (password, secret key, token). */
function literalSecrets(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalSecrets(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = path ? `${path}.${k}` : k;
    const credential = /(password|passwd|secretkey|secretaccesskey|token)$/i.test(k);
    if (credential && typeof v === "string" && v !== "" && !v.includes("${")) return [p];
    return literalSecrets(v, p);
  });
}

describe("ml stack", () => {
  test.each(ENVS)("%s keeps its state under <env>/ml.tfstate and reaches the cluster with exec auth (bootstrap's outputs only for an OIDC login's client secret)", (env) => {
    const s = stack(`${env}-ml`);
    expect(s.json.terraform.backend.s3).toEqual(expect.objectContaining({ key: `${env}/ml.tfstate`, use_lockfile: true }));
    expect(s.json.provider?.kubernetes?.[0].exec[0].command).toBe("aws");
    const oidc = projectEnvironment(env).ml.ingress.auth?.type === "oidc";
    expect(Object.keys(s.json.data?.terraform_remote_state ?? {})).toEqual([...(oidc ? [`cross-stack-reference-input-${env}-bootstrap`] : []), `cross-stack-reference-input-${env}-foundation`]);
  });

  test.each(ENVS)("%s installs all four services", (env) => {
    const s = stack(`${env}-ml`);
    for (const name of ["mlflow", "feast-feature-server", "kubeflow-trainer", "argo-cd", "kubeflow-pipelines", "triton", "keda"]) expect(release(s, name)).toBeDefined();
  });

  test("every Pod Identity association names the namespace and service account the workload runs as", () => {
    const s = exampleStack("dev-ml");
    const pairs = Object.values(resources(s, "aws_eks_pod_identity_association")).map((a) => `${a.namespace}/${a.service_account}`).sort();
    expect(pairs).toEqual([
      "feast-apply/feast-apply",
      "feast/feast-feature-server",
      "feast/feast-materializer",
      "kubeflow/ml-pipeline",
      "kubeflow/ml-pipeline-ui",
      "kubeflow/pipeline-runner",
      "llm/llm-weights-writer",
      "llm/vllm-qwen-1-5b",
      "ml-delivery/drift-churn",
      "ml-delivery/promote-churn",
      "mlflow-admin/mlflow-db-admin",
      "mlflow/mlflow",
    ]);
    // Triton's AWS SDK for C++ (1.11.60) predates Pod Identity: it reads S3 through IRSA instead.
    const triton = renderedObject(s, "Rollout", "triton-churn", "triton");
    expect(triton.spec.template.spec.serviceAccountName).toBe("triton");
    const sa = renderedObject(s, "ServiceAccount", "triton", "triton");
    const tritonRole = Object.entries(resources(s, "aws_iam_role")).find(([, r]) => r.name === "mlp-dev-triton")!;
    expect(sa.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": `\${aws_iam_role.${tritonRole[0]}.arn}` });
    const trust = JSON.parse(tritonRole[1].assume_role_policy.replace(/\$\{[^{}]*\}/g, (e: string) => e.replace(/"/g, "'"))).Statement[0];
    expect(trust.Action).toEqual(["sts:AssumeRoleWithWebIdentity"]);
    expect(trust.Principal.Federated).toMatch(/aws_iam_openid_connect_provider.*arn\}$/);
    expect(Object.entries(trust.Condition.StringEquals).map(([k, v]) => [k.replace(/^\$\{.*\}/, "<issuer>"), v])).toEqual([
      ["<issuer>:sub", "system:serviceaccount:triton:triton"],
      ["<issuer>:aud", "sts.amazonaws.com"],
    ]);
    expect(release(s, "mlflow").values.serviceAccount.name).toBe("mlflow");
    expect(release(s, "feast-feature-server").values.serviceAccount.name).toBe("feast-feature-server");
    const platform = Object.values(resources(stack("dev-platform"), "aws_eks_pod_identity_association")).map((a) => `${a.namespace}/${a.service_account}`);
    expect(platform).toContain("external-secrets/external-secrets");
    expect(release(stack("dev-platform"), "external-secrets").values.serviceAccount).toEqual({ create: true, name: "external-secrets" });
  });
});

describe("rendered custom resources", () => {
  test.each(ENVS)("%s: every ServiceMonitor and PodMonitor validates against the Prometheus Operator CRDs", (env) => {
    const monitors = renderedObjects(stack(`${env}-ml`)).filter(({ obj }) => obj.apiVersion === "monitoring.coreos.com/v1");
    expect(monitors.length).toBeGreaterThanOrEqual(8);
    for (const { obj } of monitors) expect(validateCustomResource(obj)).toEqual([]);
  });

  test("the CRD check rejects a field the CRD does not define and a wrong type", () => {
    const sm = structuredClone(renderedObject(exampleStack("dev-ml"), "ServiceMonitor", "triton-churn", "triton"));
    sm.spec.endpoints[0].portName = "metrics";
    sm.spec.namespaceSelector.matchNames = "triton";
    expect(validateCustomResource(sm)).toEqual(['/spec/endpoints/0: unknown field "portName"', '/spec/namespaceSelector/matchNames: got "triton"; must be array']);
  });

  test("each ML service is scraped on its real metrics port", () => {
    const s = exampleStack("prod-ml");
    const endpoint = (kind: string, name: string, ns: string) => {
      const m = renderedObject(s, kind, name, ns);
      return { selector: m.spec.selector.matchLabels, endpoint: (m.spec.endpoints ?? m.spec.podMetricsEndpoints)[0] };
    };
    expect(endpoint("ServiceMonitor", "triton-churn", "triton").endpoint).toEqual(expect.objectContaining({ port: "metrics", path: "/metrics" }));
    expect(renderedObject(s, "Service", "triton-churn", "triton").spec.ports).toContainEqual(expect.objectContaining({ name: "metrics", port: 8002 }));
    expect(endpoint("ServiceMonitor", "mlflow", "mlflow").endpoint).toEqual(expect.objectContaining({ port: "http", path: "/metrics" }));
    expect(release(s, "mlflow").values.extraArgs.exposePrometheus).toMatch(/^\/tmp\//);
    expect(endpoint("ServiceMonitor", "feast-feature-server", "feast").endpoint).toEqual(expect.objectContaining({ port: "metrics" }));
    expect(release(s, "feast-feature-server").values.metrics.enabled).toBe(true);
    expect(endpoint("ServiceMonitor", "keda-operator", "keda").endpoint.port).toBe("metrics");
    expect(endpoint("ServiceMonitor", "kubeflow-trainer-controller-manager", "kubeflow-system").endpoint).toEqual(
      expect.objectContaining({ port: "monitoring-port", scheme: "https", bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }),
    );
    expect(endpoint("PodMonitor", "ml-pipeline", "kubeflow")).toEqual({ selector: { app: "ml-pipeline" }, endpoint: expect.objectContaining({ port: "http", path: "/metrics" }) });
    expect(endpoint("PodMonitor", "workflow-controller", "kubeflow").endpoint).toEqual(expect.objectContaining({ port: "metrics", scheme: "https" }));
  });
});

describe("Triton, one Rollout per served model (the example environments: docs/delivery.md)", () => {
  test.each(ENVS)("%s: pinned image, three ports, health probes, GPU scheduling, no static keys, one version's prefix", (env) => {
    const r = renderedObject(exampleStack(`${env}-ml`), "Rollout", "triton-churn", "triton");
    const pod = r.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("nvcr.io/nvidia/tritonserver:26.08-py3");
    expect(c.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`)).toEqual(["http:8000", "grpc:8001", "metrics:8002"]);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/v2/health/ready", port: "http" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/v2/health/live", port: "http" });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.nodeSelector).toEqual({ "node.ml-platform.io/pool": "gpu-inference", "nvidia.com/gpu.present": "true" });
    expect(c.resources.limits["nvidia.com/gpu"]).toBe("1");
    // Only the version the template names: its own prefix, no polling, not ready until that model is.
    expect(c.args).toEqual(
      expect.arrayContaining([`--model-repository=s3://mlp-${env}-triton-models-${exampleEnvironment(env).account.id}/model_repository/churn/v$(MODEL_VERSION)`, "--model-control-mode=none", "--strict-readiness=true"]),
    );
    expect(c.args.filter((a: string) => /poll/.test(a))).toEqual([]);
    expect(c.env).toContainEqual({ name: "MODEL_VERSION", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['ml-platform.io/model-version']" } } });
    expect(JSON.stringify(r)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secretKeyRef/);
    // The autoscaler owns the count; dev's seed version starts at 0 (test/delivery/delivery-stack.test.ts).
    expect(r.spec.replicas).toBe(env === "dev" ? 0 : undefined);
  });

  test.each(ENVS)("%s: KEDA scales the Rollout on its queue time per request with the environment's bounds", (env) => {
    const cfg = exampleEnvironment(env).ml.triton;
    const so = renderedObject(exampleStack(`${env}-ml`), "ScaledObject", "triton-churn", "triton");
    expect(so.spec).toEqual(expect.objectContaining({ minReplicaCount: cfg.minReplicas, maxReplicaCount: cfg.maxReplicas, scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "triton-churn" } }));
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe("prometheus");
    expect(trigger.metricType).toBe("Value");
    expect(trigger.metadata.serverAddress).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
    expect(trigger.metadata.threshold).toBe(String(cfg.targetQueueMicroseconds));
    expect(trigger.metadata.query).toMatch(/^sum\(rate\(nv_inference_queue_duration_us\{namespace="triton",service="triton-churn"\}\[2m\]\)\) \/ \(sum\(rate\(nv_inference_request_success/);
  });

  test("the model's release does not wait for GPU capacity and comes after KEDA and Triton's role and service account", () => {
    const r = release(exampleStack("dev-ml"), "triton-churn").config;
    expect(r.wait).toBe(false);
    expect(r.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^helm_release\.keda_chart_release_/), expect.stringMatching(/^helm_release\.triton_release_/)]));
    expect(release(exampleStack("dev-ml"), "triton").config.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.triton_role_policy-model-repository-read_/)]));
  });
});

describe("Feast", () => {
  test.each(ENVS)("%s: one feature_store.yaml for the server, the S3 object and the stack output", (env) => {
    const s = stack(`${env}-ml`);
    const fromValues = Buffer.from(release(s, "feast-feature-server").values.feature_store_yaml_base64, "base64").toString("utf8");
    const object = Object.values(resources(s, "aws_s3_object")).find((o) => o.key === "config/feature_store.yaml");
    expect(object.content).toBe(fromValues);
    expect(s.json.output?.feast_feature_store_yaml.value).toBe(fromValues);
    const account = projectEnvironment(env).account.id;
    expect(parse(fromValues)).toEqual({
      project: `mlp_${env}`,
      provider: "aws",
      registry: { registry_type: "file", path: `s3://mlp-${env}-feast-${account}/registry/registry.db`, cache_ttl_seconds: 60 },
      online_store: { type: "dynamodb", region: "us-east-1", table_name_template: "{project}.{table_name}", tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: expect.any(String), Environment: env } },
      offline_store: { type: "dask" },
      entity_key_serialization_version: 3,
    });
    expect(s.json.output?.feast_feature_store_yaml_uri.value).toBe(`s3://mlp-${env}-feast-${account}/config/feature_store.yaml`);
  });
});

describe("MLflow credentials", () => {
  test("reach the pod through an ExternalSecret of MLflow's own login secret, read through the namespace's SecretStore", () => {
    const s = stack("staging-ml");
    const es = renderedObject(s, "ExternalSecret", "mlflow-database", "mlflow");
    expect(es.spec.secretStoreRef).toEqual({ kind: "SecretStore", name: "aws-secrets-manager" });
    expect(es.spec.dataFrom).toEqual([{ extract: { key: "mlp-staging/mlflow/database" } }]);
    const store = renderedObject(s, "SecretStore", "aws-secrets-manager", "mlflow");
    expect(store.spec).toEqual({
      provider: { aws: { service: "SecretsManager", region: "us-east-1", role: "arn:aws:iam::111122223333:role/mlp-staging-secrets-mlflow", sessionTagsPolicy: "Simple" } },
    });
    expect(release(s, "mlflow").config.depends_on).toContainEqual(expect.stringMatching(/^helm_release\.mlflow_config_release_/));
    expect(Object.keys(resources(stack("staging-platform"), "helm_release")).some((k) => k.includes("cluster-secret-store"))).toBe(false);
  });

  test("MLflow logs in as its own role over TLS that verifies the RDS certificate against the region's CAs", () => {
    const s = stack("staging-ml");
    const values = release(s, "mlflow").values;
    expect(values.extraEnvVars).toEqual(expect.objectContaining({ PGSSLMODE: "verify-full", PGSSLROOTCERT: "/etc/rds-ca/ca.pem" }));
    expect(values.extraVolumes).toEqual([{ name: "rds-ca", configMap: { name: "rds-ca-bundle" } }]);
    expect(values.extraVolumeMounts).toEqual([{ name: "rds-ca", mountPath: "/etc/rds-ca", readOnly: true }]);
    const bundle = renderedObject(s, "ConfigMap", "rds-ca-bundle", "mlflow").data["ca.pem"] as string;
    const subjects = bundle.split(/(?<=-----END CERTIFICATE-----\n)/).filter(Boolean).map((pem) => /CN=(.*)/.exec(new X509Certificate(pem).subject)?.[1]);
    expect(subjects).toEqual(["Amazon RDS us-east-1 Root CA ECC384 G1", "Amazon RDS us-east-1 Root CA RSA2048 G1", "Amazon RDS us-east-1 Root CA RSA4096 G1"]);
    // The instance's certificate is signed by one of them.
    const db = Object.values(resources(stack("staging-foundation"), "aws_db_instance"))[0];
    expect(db.ca_cert_identifier).toBe("rds-ca-rsa2048-g1");
    expect(JSON.stringify(values)).not.toMatch(/sslmode=(require|prefer|disable)|"PGSSLMODE":"require"/);
  });
});

describe("Kubeflow Pipelines", () => {
  test.each(ENVS)("%s: Argo CD applies the official manifests at 2.17.0 in two steps with sync retries", (env) => {
    const s = stack(`${env}-ml`);
    const cluster = renderedObject(s, "Application", "kubeflow-pipelines-cluster-scoped", "argocd");
    const platform = renderedObject(s, "Application", "kubeflow-pipelines", "argocd");
    for (const [app, path] of [
      [cluster, "manifests/kustomize/cluster-scoped-resources"],
      [platform, "manifests/kustomize/env/platform-agnostic"],
    ] as const) {
      expect(app.spec.source).toEqual(expect.objectContaining({ repoURL: "https://github.com/kubeflow/pipelines.git", targetRevision: "2.17.0", path }));
      expect(app.spec.syncPolicy.retry.limit).toBeGreaterThanOrEqual(5);
      expect(app.spec.project).toBe("kubeflow-pipelines");
    }
    expect(renderedObject(s, "AppProject", "kubeflow-pipelines", "argocd").spec.sourceRepos).toEqual(["https://github.com/kubeflow/pipelines.git"]);
  });

  test("replaces SeaweedFS with the S3 bucket and MySQL's empty root password with a generated one", () => {
    const s = stack("dev-ml");
    const patches = renderedObject(s, "Application", "kubeflow-pipelines", "argocd").spec.source.kustomize.patches as Array<{ target: { kind: string; name: string }; patch: string }>;
    const byTarget = (kind: string, name: string) => parse(patches.find((p) => p.target.kind === kind && p.target.name === name)!.patch);
    for (const kind of ["Deployment", "Service", "PersistentVolumeClaim", "ServiceAccount", "NetworkPolicy"]) {
      expect(byTarget(kind, kind === "PersistentVolumeClaim" ? "seaweedfs-pvc" : "seaweedfs").$patch).toBe("delete");
    }
    expect(byTarget("Secret", "mysql-secret").$patch).toBe("delete");
    expect(byTarget("Secret", "mlpipeline-minio-artifact").stringData).toEqual({ accesskey: "", secretkey: "" });
    const bucket = "mlp-dev-pipelines-111122223333";
    expect(byTarget("ConfigMap", "pipeline-install-config").data).toEqual({ bucketName: bucket, defaultPipelineRoot: `s3://${bucket}/${PIPELINE_ROOT_PREFIX}` });
    expect(parse(byTarget("ConfigMap", "kfp-launcher").data.providers)).toEqual({
      s3: { default: { endpoint: "s3.us-east-1.amazonaws.com", region: "us-east-1", disableSSL: false, forcePathStyle: false, credentials: { fromEnv: true } } },
    });
    const mysqlEnv = byTarget("Deployment", "mysql").spec.template.spec.containers[0].env;
    expect(mysqlEnv).toEqual([{ name: "MYSQL_ALLOW_EMPTY_PASSWORD", $patch: "delete" }, { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-secret", key: "password" } } }]);
    const gen = renderedObject(s, "ExternalSecret", "mysql-secret", "kubeflow");
    expect(gen.spec.dataFrom[0].sourceRef.generatorRef).toEqual({ apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "kfp-mysql-root" });
    expect(gen.spec.refreshPolicy).toBe("CreatedOnce");
  });

  test("Argo's artifact repository survives the upstream replacements that run after the patches", () => {
    // env/platform-agnostic replaces '.'-field 1 with the namespace and '"'-field 3 with pipeline-install-config.bucketName.
    const patches = renderedObject(stack("dev-ml"), "Application", "kubeflow-pipelines", "argocd").spec.source.kustomize.patches as Array<{ target: { name: string }; patch: string }>;
    const text: string = parse(patches.find((p) => p.target.name === "workflow-controller-configmap")!.patch).data.artifactRepository;
    const replace = (t: string, delimiter: string, index: number, value: string) => t.split(delimiter).map((part, i) => (i === index ? value : part)).join(delimiter);
    const after = replace(replace(text, ".", 1, "kubeflow"), '"', 3, "mlp-dev-pipelines-111122223333");
    expect(after).toBe(text);
    expect(parse(text).s3).toEqual(expect.objectContaining({ bucket: "mlp-dev-pipelines-111122223333", endpoint: "s3.us-east-1.amazonaws.com", useSDKCreds: true, region: "us-east-1" }));
  });
});

describe("Kubeflow Trainer", () => {
  const runtime = (env: string, name: string) => renderedObject(stack(`${env}-ml`), "ClusterTrainingRuntime", name).spec.template.spec.replicatedJobs[0].template.spec.template.spec;

  test("runtimes follow the environment's GPU pools", () => {
    expect(stack("dev-ml").json.output?.kubeflow_training_runtimes.value).toBe("torch-distributed");
    expect(stack("staging-ml").json.output?.kubeflow_training_runtimes.value).toBe("torch-distributed,torch-distributed-gpu,torch-distributed-efa");
  });

  test("the GPU runtime targets the training pool with the GPUs its smallest instance type has", () => {
    const spec = runtime("staging", "torch-distributed-gpu");
    // And the FSx zone (test/resilience/resumable-training.test.ts).
    expect(spec.nodeSelector).toEqual({ "node.ml-platform.io/pool": "gpu-training", "nvidia.com/gpu.present": "true", "topology.kubernetes.io/zone": "us-east-1b" });
    expect(spec.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      { key: "node.ml-platform.io/workload", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(spec.containers[0].resources.limits).toEqual({ "nvidia.com/gpu": "4" });
  });

  test("the EFA runtime requests vpc.amazonaws.com/efa for its instance type", () => {
    expect(runtime("staging", "torch-distributed-efa").containers[0].resources.limits).toEqual({ "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4" });
    const prod = runtime("prod", "torch-distributed-efa");
    expect(prod.containers[0].resources.limits).toEqual({ "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "32" });
    expect(prod.nodeSelector).toEqual({ "node.ml-platform.io/pool": "efa-training", "nvidia.com/gpu.present": "true", "node.ml-platform.io/efa": "true", "topology.kubernetes.io/zone": "us-east-1c" });
    // Then the checkpoint environment (test/resilience/resumable-training.test.ts).
    expect(prod.containers[0].env.slice(0, 2)).toEqual([{ name: "HOME", value: "/home/trainer" }, { name: "FI_PROVIDER", value: "efa" }]);
  });

  test.each(["dev", "staging", "prod"])("%s: every runtime runs restricted (UID 1000, RuntimeDefault seccomp, no escalation, no capabilities) with a writable HOME", (env) => {
    // The PyTorch runtimes; nccl-tests-efa keeps its image's HOME (test/resilience/fabric-check.test.ts).
    const runtimes = renderedObjects(stack(`${env}-ml`)).filter(({ obj }) => obj.kind === "ClusterTrainingRuntime" && obj.metadata.labels["trainer.kubeflow.org/framework"] === "torch");
    expect(runtimes.length).toBeGreaterThan(0);
    for (const { obj } of runtimes) {
      const pod = obj.spec.template.spec.replicatedJobs[0].template.spec.template.spec;
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: "home", mountPath: "/home/trainer" });
      expect(pod.volumes).toContainEqual({ name: "home", emptyDir: {} });
    }
  });

  test("the chart installs JobSet and the CRDs but not its own runtimes", () => {
    const v = release(stack("dev-ml"), "kubeflow-trainer").values;
    expect(v).toEqual(expect.objectContaining({ crds: { enabled: true }, jobset: { install: true }, runtimes: { defaultEnabled: false } }));
  });
});

describe("no secret values in the ML configuration", () => {
  test.each(ENVS)("%s: no database password attribute, no generated password resource, no literal Secret data", (env) => {
    for (const part of ["foundation", "platform", "ml"]) {
      const s = stack(`${env}-${part}`);
      for (const db of Object.values(resources(s, "aws_db_instance"))) expect(db.password).toBeUndefined();
      expect(resources(s, "random_password")).toEqual({});
      // Only write-only versions from an ephemeral value (Grafana's admin password): nothing readable in plan or state.
      for (const v of Object.values(resources(s, "aws_secretsmanager_secret_version"))) {
        expect({ secret_string: v.secret_string, secret_binary: v.secret_binary, wo: v.secret_string_wo }).toEqual({ secret_string: undefined, secret_binary: undefined, wo: expect.stringMatching(/\bephemeral\.aws_secretsmanager_random_password\./) });
      }
      for (const { obj } of renderedObjects(s).filter(({ obj }) => obj.kind === "Secret")) {
        for (const v of Object.values({ ...(obj.data ?? {}), ...(obj.stringData ?? {}) })) expect(v).toBe("");
      }
      for (const r of releases(s)) expect({ release: r.name, literals: literalSecrets(r.values) }).toEqual({ release: r.name, literals: [] });
    }
  });

  test("the literal-secret scan finds a password in Helm values", () => {
    expect(literalSecrets({ backendStore: { postgres: { password: "hunter2", host: "${aws_db_instance.x.address}" } }, auth: { adminPassword: "" } })).toEqual(["backendStore.postgres.password"]);
  });
});

describe("cdktf.out", () => {
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));

  test("no file holds key material or a password value", () => {
    for (const f of files(synthesizeAll().outdir)) {
      const text = readFileSync(f, "latin1");
      expect({ f, pem: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text), akid: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/.test(text) }).toEqual({ f, pem: false, akid: false });
      if (f.endsWith("cdk.tf.json")) expect({ f, literals: literalSecrets(JSON.parse(text)) }).toEqual({ f, literals: [] });
    }
  });
});

describe("production data is protected from destroy", () => {
  const STATEFUL = ["aws_db_instance", "aws_s3_bucket", "aws_kms_key", "aws_dynamodb_table", "aws_efs_file_system", "aws_rds_cluster"];
  test("every stateful resource of every prod stack has prevent_destroy or deletion protection", () => {
    const prod = synthesizeAll().stacks.filter((s) => s.id.startsWith("prod-"));
    const stateful = prod.flatMap((s) => allResources(s).filter(([type]) => STATEFUL.includes(type)).map(([type, id, cfg]) => ({ at: `${s.id}/${type}.${id}`, cfg })));
    expect(stateful.length).toBeGreaterThanOrEqual(9);
    for (const { at, cfg } of stateful) {
      expect({ at, protected: cfg.lifecycle?.prevent_destroy === true || cfg.deletion_protection === true }).toEqual({ at, protected: true });
      if (cfg.force_destroy !== undefined) expect({ at, force_destroy: cfg.force_destroy }).toEqual({ at, force_destroy: false });
    }
  });
});
