import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RELOAD_ON_SECRET_ANNOTATION, RELOADER_CHART } from "../../constructs/kubernetes/reloader";
import { release, renderedObject, unknownValueKeys } from "../helpers/ml-helm";
import { projectEnvironments, stack } from "../helpers/synth";

/**
 * RDS rotates MLflow's database password (the RDS-managed master secret, every 7 days by default). MLflow reads the
 * password from its environment once, at start. The chain that keeps it working without a person: External Secrets
 * re-reads the secret every minute and rewrites the Kubernetes Secret; Reloader sees the Secret change and rolls the
 * MLflow Deployment, whose new pods read the new password.
 */
describe.each(projectEnvironments().map((e) => e.name))("%s: MLflow survives a database password rotation", (env) => {
  const ml = stack(`${env}-ml`);
  const mlflow = release(ml, "mlflow");
  const externalSecret = renderedObject(ml, "ExternalSecret", "mlflow-database", "mlflow");

  test("External Secrets refreshes the database Secret every minute from the RDS-managed secret", () => {
    expect(externalSecret.spec.refreshInterval).toBe("1m");
    expect(externalSecret.spec.dataFrom[0].extract.key).toMatch(/master_user_secret0secret_arn\}$/);
  });

  test("the MLflow Deployment asks Reloader to roll it when exactly that Secret changes", () => {
    const secret = externalSecret.spec.target.name;
    expect(mlflow.values.backendStore.existingDatabaseSecret.name).toBe(secret);
    expect(mlflow.values.deploymentAnnotations).toEqual({ [RELOAD_ON_SECRET_ANNOTATION]: secret });
  });

  test("Reloader runs in MLflow's namespace, watches only it, and restarts only annotated workloads", () => {
    const reloader = release(ml, "reloader");
    expect({ namespace: reloader.namespace, chart: reloader.chart, version: reloader.version, repository: reloader.repository }).toEqual({
      namespace: mlflow.namespace,
      chart: RELOADER_CHART.chart,
      version: RELOADER_CHART.version,
      repository: RELOADER_CHART.repository,
    });
    expect(reloader.values.reloader).toEqual(expect.objectContaining({ watchGlobally: false, autoReloadAll: false, ignoreConfigMaps: true, reloadStrategy: "annotations" }));
    expect(reloader.config.depends_on).toContainEqual(expect.stringMatching(/^helm_release\.mlflow_config_release_/));
  });

  test("the roll keeps MLflow serving where it runs two replicas (production)", () => {
    const production = projectEnvironments().find((e) => e.name === env)!.tier === "production";
    expect(mlflow.values.replicaCount).toBe(production ? 2 : 1);
  });
});

describe("Reloader's values exist in the pinned chart (reloader 2.2.16 values.yaml)", () => {
  const upstream = JSON.parse(readFileSync(join(__dirname, "../fixtures/upstream/reloader-values.json"), "utf8"));

  test("the fixture is the chart's values at chart-v2.2.16, unedited (its hash matches)", () => {
    expect(upstream.source).toEqual(expect.objectContaining({ repository: "github.com/stakater/Reloader", ref: "chart-v2.2.16", commit: expect.stringMatching(/^[0-9a-f]{40}$/), blob: expect.stringMatching(/^[0-9a-f]{40}$/) }));
    expect(createHash("sha256").update(JSON.stringify(upstream.data)).digest("hex")).toBe(upstream.sha256);
  });

  test.each(projectEnvironments().map((e) => e.name))("%s: every key set is a key of the chart", (env) => {
    const values = release(stack(`${env}-ml`), "reloader").values;
    expect(unknownValueKeys(values, upstream.data)).toEqual([]);
    expect(unknownValueKeys({ reloader: { watchGlobaly: false } }, upstream.data)).toEqual(["reloader.watchGlobaly"]);
  });
});
