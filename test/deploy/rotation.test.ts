import { RELOAD_ON_SECRET_ANNOTATION, RELOADER_CHART } from "../../constructs/kubernetes/reloader";
import { release, renderedObject } from "../helpers/ml-helm";
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
