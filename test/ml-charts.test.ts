import Ajv from "ajv";
import addFormats from "ajv-formats";
import { mergeValues, release, releases, unknownValueKeys } from "./helpers/ml-helm";
import { oracle } from "./helpers/oracles";
import { stack } from "./helpers/synth";

const ENVS = ["dev", "staging", "prod"] as const;
const chartDefaults = (rel: string) => oracle<Record<string, unknown>>(rel);

/** Charts whose values.yaml has an oracle, by release name. */
const CHECKED = [
  { release: "mlflow", values: "mlflow/values.yaml", chart: "mlflow", version: "1.11.5", repository: "https://community-charts.github.io/helm-charts" },
  { release: "feast-feature-server", values: "feast/feast-feature-server/values.yaml", chart: "feast-feature-server", version: "0.66.0", repository: "https://feast-helm-charts.storage.googleapis.com" },
  { release: "kubeflow-trainer", values: "kubeflow-trainer/values.yaml", chart: "kubeflow-trainer", version: "2.3.0", repository: "oci://ghcr.io/kubeflow/charts" },
  { release: "aws-load-balancer-controller", values: "aws-load-balancer-controller/values.yaml", chart: "aws-load-balancer-controller", version: "3.5.0", repository: "https://aws.github.io/eks-charts" },
] as const;

describe("chart values exist in the charts' values.yaml", () => {
  for (const c of CHECKED) {
    test.each(ENVS.filter((e) => c.release !== "aws-load-balancer-controller" || e !== "dev"))(`${c.release} (%s) uses only keys the chart defines, at the pinned version`, (env) => {
      const r = release(stack(`${env}-ml`), c.release);
      expect({ chart: r.chart, version: r.version, repository: r.repository }).toEqual({ chart: c.chart, version: c.version, repository: c.repository });
      expect(unknownValueKeys(r.values, chartDefaults(c.values))).toEqual([]);
    });
  }

  test("the key check reports a misspelt key", () => {
    expect(unknownValueKeys({ backendStore: { postgress: { enabled: true } }, replicaCount: 1 }, chartDefaults("mlflow/values.yaml"))).toEqual(["backendStore.postgress"]);
  });
});

describe("MLflow values", () => {
  const schema = oracle<object>("mlflow/values.schema.json");
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const merged = (values: Record<string, unknown>) => mergeValues(chartDefaults("mlflow/values.yaml"), values);

  test.each(ENVS)("%s: merged over the chart defaults, they validate against the chart's values.schema.json", (env) => {
    const ok = validate(merged(release(stack(`${env}-ml`), "mlflow").values));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test("the schema check rejects values the chart forbids (bundled PostgreSQL next to an external one)", () => {
    const values = release(stack("dev-ml"), "mlflow").values;
    expect(validate(merged({ ...values, postgresql: { enabled: true } }))).toBe(false);
  });

  test("the database is RDS through an existing secret; no password and no static AWS keys in values", () => {
    for (const env of ENVS) {
      const v = release(stack(`${env}-ml`), "mlflow").values;
      expect(v.backendStore.postgres).toEqual(expect.objectContaining({ enabled: true, port: 5432, database: "mlflow", user: "", password: "" }));
      expect(v.backendStore.postgres.host).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-[a-z]+-foundation\.outputs\.cross-stack-output-aws_db_instance.*address\}$/);
      expect(v.backendStore.existingDatabaseSecret).toEqual({ name: "mlflow-database", usernameKey: "username", passwordKey: "password" });
      expect(v.artifactRoot.s3).toEqual(expect.objectContaining({ enabled: true, awsAccessKeyId: "", awsSecretAccessKey: "" }));
      expect(v.artifactRoot.proxiedArtifactStorage).toBe(true);
      expect(v.postgresql).toBeUndefined();
    }
  });
});

describe("pinned charts without reference values", () => {
  test.each(ENVS)("%s pins External Secrets, KEDA and Argo CD to exact versions", (env) => {
    const pins = (stackId: string) => Object.fromEntries(releases(stack(stackId)).filter((r) => r.version).map((r) => [r.name, `${r.repository} ${r.chart} ${r.version}`]));
    expect(pins(`${env}-platform`)).toEqual(expect.objectContaining({ "external-secrets": "https://charts.external-secrets.io external-secrets 2.9.0" }));
    expect(pins(`${env}-ml`)).toEqual(
      expect.objectContaining({ keda: "https://kedacore.github.io/charts keda 2.20.2", "argo-cd": "https://argoproj.github.io/argo-helm argo-cd 10.1.1" }),
    );
  });
});
