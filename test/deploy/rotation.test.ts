import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RELOAD_ON_SECRET_ANNOTATION, RELOADER_CHART } from "../../constructs/kubernetes/reloader";
import { MLFLOW_IMAGE } from "../../constructs/ml/mlflow";
import { MLFLOW_DB_LOGIN_SCRIPT } from "../../constructs/ml/mlflow-db-login-script";
import { release, renderedObject, renderedObjects, unknownValueKeys } from "../helpers/ml-helm";
import { projectEnvironments, stack } from "../helpers/synth";

/**
 * MLflow logs in as its own PostgreSQL role, whose password a CronJob rotates (monthly) with the program that created
 * it: a new password from Secrets Manager, ALTER ROLE, then the login secret. MLflow reads the password from its
 * environment once, at start. The chain that keeps it working without a person: External Secrets re-reads the secret
 * every minute and rewrites the Kubernetes Secret; Reloader sees the Secret change and rolls the MLflow Deployment,
 * whose new pods read the new password. RDS's own weekly rotation of the master password no longer touches MLflow.
 */
describe.each(projectEnvironments().map((e) => e.name))("%s: MLflow survives a database password rotation", (env) => {
  const ml = stack(`${env}-ml`);
  const mlflow = release(ml, "mlflow");
  const externalSecret = renderedObject(ml, "ExternalSecret", "mlflow-database", "mlflow");

  test("External Secrets refreshes the database Secret every minute from MLflow's login secret, not the master secret", () => {
    expect(externalSecret.spec.refreshInterval).toBe("1m");
    expect(externalSecret.spec.dataFrom[0].extract.key).toBe(`mlp-${env}/mlflow/database`);
    expect(JSON.stringify(release(ml, "mlflow-config").values)).not.toMatch(/master_user_secret/);
  });

  test("a Job creates the login before MLflow installs, and a CronJob rotates it with the same program", () => {
    const login = release(ml, "mlflow-db-login");
    expect(login.config.wait_for_jobs).toBe(true);
    expect(release(ml, "mlflow-config").config.depends_on).toContainEqual(expect.stringMatching(/^helm_release\.mlflow_login_release_/));
    const [job] = renderedObjects(ml).map((r) => r.obj).filter((o) => o.kind === "Job" && o.metadata.namespace === "mlflow-admin");
    const cron = renderedObject(ml, "CronJob", "mlflow-db-login-rotation", "mlflow-admin");
    expect(job.metadata.name).toMatch(/^mlflow-db-login-[0-9a-f]{8}$/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const container = (spec: Record<string, any>) => spec.template.spec.containers[0];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rotateOf = (spec: Record<string, any>) => container(spec).env.find((e: { name: string }) => e.name === "ROTATE").value;
    expect([rotateOf(job.spec), rotateOf(cron.spec.jobTemplate.spec)]).toEqual(["false", "true"]);
    expect(container(cron.spec.jobTemplate.spec).image).toBe(`${MLFLOW_IMAGE.repository}:${MLFLOW_IMAGE.tag}`);
    expect(container(job.spec).image).toBe(container(cron.spec.jobTemplate.spec).image);
    expect(release(ml, "mlflow").values.image).toEqual({ repository: MLFLOW_IMAGE.repository, tag: MLFLOW_IMAGE.tag });
    expect(cron.spec).toEqual(expect.objectContaining({ schedule: "0 3 1 * *", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid" }));
  });

  test("the program sets the new password in PostgreSQL before storing it, over a verified TLS connection", () => {
    const script = renderedObject(ml, "ConfigMap", "mlflow-db-login", "mlflow-admin").data["mlflow_db_login.py"];
    expect(script).toBe(MLFLOW_DB_LOGIN_SCRIPT);
    const at = (s: string) => script.indexOf(s);
    expect(at("get_random_password(")).toBeGreaterThan(0);
    expect(at("get_random_password(")).toBeLessThan(at("ROLE {} WITH LOGIN"));
    expect(at("ROLE {} WITH LOGIN")).toBeLessThan(at("put_secret_value("));
    expect(script).toMatch(/sslmode="verify-full", sslrootcert=env\["PGSSLROOTCERT"\]/);
    expect(script).toMatch(/NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS/);
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
