// The monitoring stack as synthesized into every environment's platform stack: kube-prometheus-stack for EKS, secrets
// that never pass through Terraform, monitors, optional AMP remote write and OpenCost, and cost-allocation labels.
import { nonGpuPlacement } from "../../constructs/observability/placement";
import { PROMETHEUS_URL, TRITON } from "../../constructs/observability/targets";
import { validateCustomResource } from "../helpers/crd";
import { unknownValuePaths } from "../helpers/helm-values";
import { release, renderedObject, renderedObjects } from "../helpers/ml-helm";
import { keyPolicyFor, rolePolicies, simulate, TokenResolver, type PolicyDoc } from "../helpers/ml-iam";
import { projectEnvironment, resources, stack, synthesizeAll } from "../helpers/synth";
import { exampleStack } from "../helpers/delivery-examples";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ENVS = ["dev", "staging", "prod"] as const;
const platform = (env: string) => stack(`${env}-platform`);
const kps = (env: string) => release(platform(env), "kube-prometheus-stack");
const account = (env: string) => projectEnvironment(env).account.id;
const addressOf = (env: string, type: string, prefix: string) => {
  const id = Object.keys(resources(platform(env), type)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`${env}-platform has no ${type} ${prefix}*`);
  return `${type}.${id}`;
};

let resolver: TokenResolver;
beforeAll(() => {
  resolver = new TokenResolver(synthesizeAll().stacks);
});

describe.each(ENVS)("%s: kube-prometheus-stack", (env) => {
  const r = kps(env);
  const v = r.values;
  const settings = projectEnvironment(env).observability;

  test("is chart 88.5.3 from the prometheus-community repository, in the labelled monitoring namespace", () => {
    expect({ chart: r.chart, repository: r.repository, version: r.version, namespace: r.namespace, create: r.config.create_namespace }).toEqual({
      chart: "kube-prometheus-stack",
      repository: "https://prometheus-community.github.io/helm-charts",
      version: "88.5.3",
      namespace: "monitoring",
      create: false,
    });
    const ns = Object.values(resources(platform(env), "kubernetes_namespace_v1")).find((n: Any) => n.metadata.name === "monitoring") as Any;
    expect(ns.metadata.labels).toEqual({ team: "ml-platform", "cost-center": projectEnvironment(env).tags.CostCenter, "app.kubernetes.io/part-of": "ml-platform" });
  });

  test("is configured for EKS: every monitor and rule selected, hidden control-plane components not scraped", () => {
    expect(v.prometheus.prometheusSpec).toEqual(
      expect.objectContaining({
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
      }),
    );
    expect([v.kubeControllerManager, v.kubeScheduler, v.kubeEtcd]).toEqual([{ enabled: false }, { enabled: false }, { enabled: false }]);
    expect(v.defaultRules.rules).toEqual(expect.objectContaining({ etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false }));
  });

  test("keeps Prometheus on an encrypted gp3 volume sized, retained and replicated as the environment says", () => {
    const p = v.prometheus.prometheusSpec;
    const size = settings.prometheus.volumeSizeGiB;
    expect({ retention: p.retention, retentionSize: p.retentionSize, replicas: p.replicas, storage: p.storageSpec }).toEqual({
      retention: settings.prometheus.retention,
      retentionSize: `${Math.floor(size * 0.85)}GB`,
      replicas: settings.prometheus.replicas,
      storage: { volumeClaimTemplate: { spec: { storageClassName: "gp3-encrypted", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${size}Gi` } } } } },
    });
    expect(v.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName).toBe("gp3-encrypted");
    const sc = Object.values(resources(platform(env), "kubernetes_storage_class_v1"))[0] as Any;
    expect(sc).toEqual(
      expect.objectContaining({
        metadata: { name: "gp3-encrypted", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        storage_provisioner: "ebs.csi.aws.com",
        reclaim_policy: env === "prod" ? "Retain" : "Delete",
        volume_binding_mode: "WaitForFirstConsumer",
        allow_volume_expansion: true,
      }),
    );
    expect(sc.parameters).toEqual({
      type: "gp3",
      encrypted: "true",
      // The foundation's volumes key (customer managed), not aws/ebs.
      kmsKeyId: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-[a-z]+-foundation\.outputs\.cross-stack-output-aws_kms_keynode-volumes-key_[0-9A-F]{8}arn\}$/),
      "csi.storage.k8s.io/fstype": "ext4",
      tagSpecification_1: `CostCenter=${projectEnvironment(env).tags.CostCenter}`,
      tagSpecification_2: `Environment=${env}`,
      tagSpecification_3: "Project=ml-platform",
      tagSpecification_4: "Team=ml-platform",
    });
    expect(r.config.depends_on).toEqual(expect.arrayContaining([addressOf(env, "kubernetes_storage_class_v1", "observability_storage-class")]));
  });

  test("never schedules a component on GPU nodes; only the node exporter (a per-node agent) runs everywhere", () => {
    const placed = [
      v.prometheusOperator,
      v.prometheusOperator.admissionWebhooks.patch,
      v.prometheus.prometheusSpec,
      v.alertmanager.alertmanagerSpec,
      v.grafana,
      v["kube-state-metrics"],
    ];
    const expected = nonGpuPlacement();
    for (const c of placed) expect({ tolerations: c.tolerations, affinity: c.affinity }).toEqual(expected);
    const required = expected.affinity as Any;
    expect(required.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: "nvidia.com/gpu.present", operator: "DoesNotExist" },
          { key: "node.ml-platform.io/pool", operator: "NotIn", values: ["gpu-inference", "gpu-training", "efa-training"] },
        ],
      },
    ]);
    expect(expected.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }]);
    expect(v["prometheus-node-exporter"]).toBeUndefined();
  });

  test("exports the team namespace label and the Karpenter node labels the cost rules join on", () => {
    expect(v["kube-state-metrics"].metricLabelsAllowlist).toEqual([
      "namespaces=[team,cost-center]",
      "nodes=[node.ml-platform.io/pool,karpenter.sh/nodepool,karpenter.sh/capacity-type,eks.amazonaws.com/capacityType,node.kubernetes.io/instance-type,topology.kubernetes.io/zone]",
    ]);
  });

  test("takes Grafana's admin from the External Secrets-synced Secret; no password anywhere in values", () => {
    expect(v.grafana.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(v.grafana.sidecar.dashboards).toEqual(expect.objectContaining({ enabled: true, label: "grafana_dashboard", labelValue: "1" }));
    expect(JSON.stringify(v)).not.toMatch(/adminPassword|"password"/i);
    const es = renderedObject(platform(env), "ExternalSecret", "grafana-admin", "monitoring");
    expect(es.spec).toEqual({
      refreshInterval: "1h",
      secretStoreRef: { kind: "SecretStore", name: "aws-secrets-manager" },
      target: { name: "grafana-admin", creationPolicy: "Owner" },
      dataFrom: [{ extract: { key: `mlp-${env}/grafana/admin` } }],
    });
    // Grafana starts only after the ExternalSecret (and the store it needs) are applied.
    const secretsRelease = addressOf(env, "helm_release", "observability_secrets_release");
    expect(r.config.depends_on).toContain(secretsRelease);
    // ... and after the store's role may read the secrets and the operator may assume it, or ESO's first sync fails and backs off.
    expect(resources(platform(env), "helm_release")[secretsRelease.split(".")[1]].depends_on).toEqual(
      expect.arrayContaining([
        addressOf(env, "helm_release", "external-secrets_chart_release"),
        addressOf(env, "aws_iam_role_policy", "observability_secret-store-monitoring_role_policy-secrets"),
        addressOf(env, "aws_iam_role_policy", "external-secrets_role_policy-secret-stores"),
      ]),
    );
  });

  test("generates the password at apply time: an ephemeral GetRandomPassword written only through secret_string_wo", () => {
    const json = platform(env).json as Any;
    const [id, cfg] = Object.entries(json.ephemeral.aws_secretsmanager_random_password)[0] as [string, Any];
    expect(cfg).toEqual({ password_length: 32, exclude_punctuation: true, require_each_included_type: true });
    const versions = Object.values(resources(platform(env), "aws_secretsmanager_secret_version")) as Any[];
    expect(versions).toHaveLength(1);
    expect(versions[0]).toEqual(
      expect.objectContaining({
        secret_id: `\${${addressOf(env, "aws_secretsmanager_secret", "observability_grafana-admin_secret")}.id}`,
        secret_string_wo: `\${jsonencode({"admin-user" = "admin", "admin-password" = ephemeral.aws_secretsmanager_random_password.${id}.random_password})}`,
        secret_string_wo_version: 1,
      }),
    );
    expect(versions[0].secret_string).toBeUndefined();
    expect(json.terraform.required_version).toBe(">= 1.11.0");
    // Every stack shares the same floor (S3 native locking needs 1.10 already), so the toolchain is uniform.
    expect(stack(`${env}-foundation`).json.terraform.required_version).toBe(">= 1.11.0");
  });

  test("lets the monitoring namespace's SecretStore read the Grafana and receiver secrets, each by ARN, and the operator none", async () => {
    const operator: PolicyDoc[] = rolePolicies(platform(env), `mlp-${env}-external-secrets`, resolver);
    const p: PolicyDoc[] = rolePolicies(platform(env), `mlp-${env}-secrets-monitoring`, resolver);
    const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:${account(env)}:secret:${name}-AbCdEf`;
    expect(await simulate(account(env), p, { action: "secretsmanager:GetSecretValue", resource: arn(`mlp-${env}/grafana/admin`) })).toBe("Allowed");
    for (const rcv of settings.alertmanager.receivers) {
      expect(await simulate(account(env), p, { action: "secretsmanager:GetSecretValue", resource: arn(`mlp-${env}/alertmanager/${rcv.name}`) })).toBe("Allowed");
    }
    expect(await simulate(account(env), p, { action: "secretsmanager:GetSecretValue", resource: arn(`mlp-${env}/alertmanager/someone-else`) })).toBe("ImplicitlyDenied");
    expect(await simulate(account(env), operator, { action: "secretsmanager:GetSecretValue", resource: arn(`mlp-${env}/grafana/admin`) })).toBe("ImplicitlyDenied");
  });
});

describe("Alertmanager receivers", () => {
  test("prod pages PagerDuty for critical and posts critical and warning to Slack, endpoints read from files", () => {
    const config = kps("prod").values.alertmanager.config;
    expect(config.route.routes).toEqual([
      { receiver: "null", matchers: ['alertname = "Watchdog"'] },
      { receiver: "ml-platform-oncall", matchers: ['severity =~ "critical"'], continue: true },
      { receiver: "ml-platform-alerts", matchers: ['severity =~ "critical|warning"'], continue: true },
    ]);
    expect(config.receivers).toEqual([
      { name: "null" },
      { name: "ml-platform-oncall", pagerduty_configs: [{ routing_key_file: "/etc/alertmanager/receivers/ml-platform-oncall/endpoint", send_resolved: true }] },
      {
        name: "ml-platform-alerts",
        slack_configs: [expect.objectContaining({ api_url_file: "/etc/alertmanager/receivers/ml-platform-alerts/endpoint", channel: "#ml-platform-alerts", send_resolved: true })],
      },
    ]);
    const spec = kps("prod").values.alertmanager.alertmanagerSpec;
    expect(spec.volumes).toEqual([
      { name: "alertmanager-receiver-ml-platform-oncall", secret: { secretName: "alertmanager-receiver-ml-platform-oncall", optional: true } },
      { name: "alertmanager-receiver-ml-platform-alerts", secret: { secretName: "alertmanager-receiver-ml-platform-alerts", optional: true } },
    ]);
    expect(spec.volumeMounts).toEqual([
      { name: "alertmanager-receiver-ml-platform-oncall", mountPath: "/etc/alertmanager/receivers/ml-platform-oncall", readOnly: true },
      { name: "alertmanager-receiver-ml-platform-alerts", mountPath: "/etc/alertmanager/receivers/ml-platform-alerts", readOnly: true },
    ]);
    expect(spec.replicas).toBe(2);
  });

  test("each receiver's endpoint lives in a Secrets Manager secret the bootstrap stack creates empty (kept on destroy) and protects in prod", () => {
    const receivers = (Object.values(resources(stack("prod-bootstrap"), "aws_secretsmanager_secret")) as Any[]).filter((s) => s.name.includes("/alertmanager/"));
    expect(receivers.map((s) => s.name).sort()).toEqual(["mlp-prod/alertmanager/ml-platform-alerts", "mlp-prod/alertmanager/ml-platform-oncall"]);
    for (const s of receivers) expect({ name: s.name, lifecycle: s.lifecycle, window: s.recovery_window_in_days }).toEqual({ name: s.name, lifecycle: { prevent_destroy: true }, window: 30 });
    const staging = Object.values(resources(stack("staging-bootstrap"), "aws_secretsmanager_secret")) as Any[];
    expect(staging.map((s) => [s.name, s.recovery_window_in_days, s.lifecycle])).toEqual([["mlp-staging/alertmanager/ml-platform-alerts", 7, undefined]]);
    const platformSecrets = Object.values(resources(platform("prod"), "aws_secretsmanager_secret")) as Any[];
    expect(platformSecrets.map((s) => s.name)).toEqual(["mlp-prod/grafana/admin"]);
    const es = renderedObject(platform("prod"), "ExternalSecret", "alertmanager-receiver-ml-platform-oncall", "monitoring");
    expect(es.spec.dataFrom).toEqual([{ extract: { key: "mlp-prod/alertmanager/ml-platform-oncall" } }]);
    expect(es.spec.target).toEqual({ name: "alertmanager-receiver-ml-platform-oncall", creationPolicy: "Owner" });
  });

  test("Grafana's generated admin secret has no recovery window outside production, so the environment can be rebuilt at once", () => {
    const grafana = (env: string) => (Object.values(resources(platform(env), "aws_secretsmanager_secret")) as Any[]).find((s) => s.name === `mlp-${env}/grafana/admin`);
    expect(grafana("dev").recovery_window_in_days).toBe(0);
    expect(grafana("staging").recovery_window_in_days).toBe(0);
    expect(grafana("prod")).toEqual(expect.objectContaining({ recovery_window_in_days: 30, lifecycle: { prevent_destroy: true } }));
  });

  test("dev has no receivers: alerts stay in Alertmanager and Grafana, no volumes are mounted", () => {
    const v = kps("dev").values.alertmanager;
    expect(v.config.receivers).toEqual([{ name: "null" }]);
    expect(v.alertmanagerSpec.volumes).toEqual([]);
    expect((Object.values(resources(platform("dev"), "aws_secretsmanager_secret")) as Any[]).map((s) => s.name)).toEqual(["mlp-dev/grafana/admin"]);
  });
});

describe("AMP remote write", () => {
  test("staging writes to its own workspace with a Pod Identity role that can write there and nowhere else", async () => {
    const ws = Object.values(resources(platform("staging"), "aws_prometheus_workspace")) as Any[];
    // Encrypted with the foundation's telemetry key (the same key as the CloudWatch log groups).
    expect(ws).toEqual([expect.objectContaining({ alias: "mlp-staging", kms_key_arn: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-staging-foundation\.outputs\.cross-stack-output-aws_kms_keylogs-key_\w+arn\}$/) })]);
    const wsAddress = addressOf("staging", "aws_prometheus_workspace", "observability_amp_workspace");
    expect(kps("staging").values.prometheus.prometheusSpec.remoteWrite).toEqual([
      { url: `\${${wsAddress}.prometheus_endpoint}api/v1/remote_write`, sigv4: { region: "us-east-1" }, queueConfig: { capacity: 2500, maxSamplesPerSend: 1000, maxShards: 200 } },
    ]);
    expect(kps("staging").values.prometheus.serviceAccount).toEqual({ create: true, name: "kube-prometheus-stack-prometheus" });
    const assoc = Object.values(resources(platform("staging"), "aws_eks_pod_identity_association")).find((a: Any) => a.namespace === "monitoring") as Any;
    expect(assoc).toEqual(expect.objectContaining({ namespace: "monitoring", service_account: "kube-prometheus-stack-prometheus" }));
    const p = rolePolicies(platform("staging"), "mlp-staging-prometheus-amp", resolver);
    const own = resolver.resolve(`\${${wsAddress}.arn}`, "staging-platform");
    expect(await simulate(account("staging"), p, { action: "aps:RemoteWrite", resource: own })).toBe("Allowed");
    expect(await simulate(account("staging"), p, { action: "aps:RemoteWrite", resource: `arn:aws:aps:us-east-1:${account("staging")}:workspace/ws-other` })).toBe("ImplicitlyDenied");
    expect(await simulate(account("staging"), p, { action: "aps:QueryMetrics", resource: own })).toBe("ImplicitlyDenied");
    const key = resolver.resolve(ws[0].kms_key_arn, "staging-platform");
    const keyPolicy = keyPolicyFor(synthesizeAll().stacks, resolver, key);
    const through = (service: string) => ({ action: "kms:GenerateDataKey", resource: key, context: { "kms:ViaService": `${service}.us-east-1.amazonaws.com` }, resourcePolicy: keyPolicy });
    expect(await simulate(account("staging"), p, through("aps"))).toBe("Allowed");
    expect(await simulate(account("staging"), p, through("s3"))).toBe("ImplicitlyDenied");
    expect(kps("staging").config.depends_on).toEqual(expect.arrayContaining([`aws_eks_pod_identity_association.${Object.keys(resources(platform("staging"), "aws_eks_pod_identity_association")).find((k) => k.startsWith("observability_amp"))}`]));
  });

  test("dev and prod do not write remotely", () => {
    for (const env of ["dev", "prod"]) {
      expect(resources(platform(env), "aws_prometheus_workspace")).toEqual({});
      expect(kps(env).values.prometheus.prometheusSpec.remoteWrite).toBeUndefined();
    }
  });
});

describe("OpenCost", () => {
  test("staging and prod run OpenCost 2.5.17 against this Prometheus, off GPU nodes; dev does not", () => {
    for (const env of ["staging", "prod"]) {
      const r = release(platform(env), "opencost");
      expect({ chart: r.chart, repository: r.repository, version: r.version, namespace: r.namespace }).toEqual({ chart: "opencost", repository: "https://opencost.github.io/opencost-helm-chart", version: "2.5.17", namespace: "opencost" });
      expect(r.values.opencost.prometheus.internal).toEqual({ enabled: true, serviceName: "kube-prometheus-stack-prometheus", namespaceName: "monitoring", port: 9090 });
      expect(r.values.opencost.exporter.defaultClusterId).toBe(`mlp-${env}`);
      expect({ tolerations: r.values.opencost.tolerations, affinity: r.values.opencost.affinity }).toEqual(nonGpuPlacement());
      expect(r.config.depends_on).toContain(addressOf(env, "helm_release", "observability_kube-prometheus-stack"));
    }
    expect(() => release(platform("dev"), "opencost")).toThrow(/has no helm release opencost/);
  });
});

describe.each(ENVS)("%s: monitors", (env) => {
  // The observability stack's own and Kueue's (platform tenancy); Argo Rollouts brings its monitor with it (test/delivery).
  const monitors = renderedObjects(platform(env)).filter(({ obj, release: r }) => obj.kind === "ServiceMonitor" && (r === "ml-platform-monitoring" || r === "kueue-monitoring"));

  test("scrape the DCGM exporter and Karpenter where the GPU compute installs them, by their charts' Service port names", () => {
    expect(monitors.map(({ release: r, obj }) => ({ r, name: obj.metadata.name, ns: obj.metadata.namespace, target: obj.spec.namespaceSelector.matchNames, selector: obj.spec.selector.matchLabels, port: obj.spec.endpoints[0].port, path: obj.spec.endpoints[0].path }))).toEqual([
      { r: "ml-platform-monitoring", name: "dcgm-exporter", ns: "monitoring", target: ["kube-system"], selector: { "app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "dcgm-exporter" }, port: "metrics", path: "/metrics" },
      { r: "ml-platform-monitoring", name: "karpenter", ns: "monitoring", target: ["kube-system"], selector: { "app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter" }, port: "http-metrics", path: "/metrics" },
      { r: "kueue-monitoring", name: "kueue", ns: "kueue-system", target: ["kueue-system"], selector: { "app.kubernetes.io/name": "kueue", "app.kubernetes.io/instance": "kueue", "app.kubernetes.io/component": "metrics-service" }, port: "https", path: "/metrics" },
    ]);
    expect(monitors[0].obj.spec.endpoints[0].relabelings).toEqual([{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node", action: "replace" }]);
  });

  test("are applied after kube-prometheus-stack installed the Prometheus Operator CRDs", () => {
    const monitoring = addressOf(env, "helm_release", "observability_monitors_release");
    expect(resources(platform(env), "helm_release")[monitoring.split(".")[1]].depends_on).toEqual([addressOf(env, "helm_release", "observability_kube-prometheus-stack")]);
  });
});

describe("chart values against the charts' values.yaml", () => {
  /**
   * Keys of the Grafana 12.11.1 and kube-state-metrics 8.4.0 subcharts, which the parent chart's values.yaml does not
   * repeat: `resources`, `tolerations`, `affinity` at the top of charts/grafana/values.yaml
   * (github.com/grafana-community/helm-charts, commit 864f7794) and `metricLabelsAllowlist`, `resources`,
   * `tolerations`, `affinity` in charts/kube-state-metrics/values.yaml (prometheus-community/helm-charts, cf408a29).
   */
  const SUBCHART_KEYS = [
    "grafana.resources",
    "grafana.tolerations",
    "grafana.affinity",
    "kube-state-metrics.metricLabelsAllowlist",
    "kube-state-metrics.resources",
    "kube-state-metrics.tolerations",
    "kube-state-metrics.affinity",
  ];

  test.each(ENVS)("%s: every kube-prometheus-stack key exists in values.yaml 88.5.3 (or is a documented subchart key)", (env) => {
    expect(unknownValuePaths(kps(env).values, "kube-prometheus-stack/values.yaml")).toEqual(SUBCHART_KEYS);
  });

  test("every OpenCost key exists in values.yaml 2.5.17", () => {
    expect(unknownValuePaths(release(platform("prod"), "opencost").values, "opencost/values.yaml")).toEqual([]);
  });

  test("the check fails a misspelt key", () => {
    expect(unknownValuePaths({ prometheus: { prometheusSpec: { serviceMonitorSelectorNilUsesHelmValue: false } } }, "kube-prometheus-stack/values.yaml")).toEqual(["prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValue"]);
  });
});

describe("ServiceMonitors against the Prometheus Operator CRD", () => {
  test.each(ENVS)("%s: every rendered ServiceMonitor is valid", (env) => {
    const monitors = renderedObjects(platform(env)).filter(({ obj }) => obj.kind === "ServiceMonitor");
    expect(monitors.map(({ obj }) => obj.metadata.name).sort()).toEqual(["argo-rollouts", "dcgm-exporter", "karpenter", "kueue"]);
    for (const { obj } of monitors) expect(validateCustomResource(obj)).toEqual([]);
  });
});

describe("integration with the ML services", () => {
  test.each(ENVS)("%s: KEDA queries this Prometheus, and Triton publishes the latency summaries the SLO alert reads", (env) => {
    expect(PROMETHEUS_URL).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
    // A served model's (the example environments: the shipped ones serve none).
    expect(JSON.stringify(renderedObjects(exampleStack(`${env}-ml`)).find(({ obj }) => obj.kind === "ScaledObject")?.obj)).toContain(PROMETHEUS_URL);
    const args = renderedObject(exampleStack(`${env}-ml`), "Rollout", "triton-churn", "triton").spec.template.spec.containers[0].args;
    expect(args).toEqual(expect.arrayContaining([...TRITON.metricsArgs]));
  });
});
