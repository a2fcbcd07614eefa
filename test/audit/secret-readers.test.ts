import { renderedObjects } from "../helpers/ml-helm";
import { secretReaders } from "../helpers/secret-readers";
import type { Environment } from "../../environments/lib/schema";
import { projectEnvironment, projectEnvironments, synthesizeAll, type SynthesizedStack } from "../helpers/synth";

const stacksOf = (env: string) => synthesizeAll().stacks.filter((s) => s.id.startsWith(`${env}-`));

/** Every secret and who may read it: the platform's answer to "where can this secret go?". */
const EXPECTED: Record<string, Record<string, string[]>> = {
  dev: {
    "RDS master secret of mlp-dev-mlflow": ["pods of mlflow-admin/mlflow-db-admin"],
    "mlp-dev/grafana/admin": ["CI role mlp-dev-ci-plan", "ExternalSecrets of namespace monitoring"],
    "mlp-dev/mlflow/database": ["ExternalSecrets of namespace mlflow", "pods of mlflow-admin/mlflow-db-admin"],
  },
  staging: {
    "RDS master secret of mlp-staging-mlflow": ["pods of mlflow-admin/mlflow-db-admin"],
    "mlp-staging/alertmanager/ml-platform-alerts": ["ExternalSecrets of namespace monitoring"],
    "mlp-staging/grafana/admin": ["CI role mlp-staging-ci-plan", "ExternalSecrets of namespace monitoring"],
    "mlp-staging/mlflow/database": ["ExternalSecrets of namespace mlflow", "pods of mlflow-admin/mlflow-db-admin"],
  },
  prod: {
    "RDS master secret of mlp-prod-mlflow": ["pods of mlflow-admin/mlflow-db-admin"],
    "mlp-prod/alertmanager/ml-platform-alerts": ["ExternalSecrets of namespace monitoring"],
    "mlp-prod/alertmanager/ml-platform-oncall": ["ExternalSecrets of namespace monitoring"],
    "mlp-prod/grafana/admin": ["CI role mlp-prod-ci-plan", "ExternalSecrets of namespace monitoring"],
    // The load balancer's OIDC client: the controller reads it in each UI's namespace.
    "mlp-prod/ingress/oidc-client": ["ExternalSecrets of namespace kubeflow", "ExternalSecrets of namespace mlflow", "ExternalSecrets of namespace monitoring"],
    "mlp-prod/mlflow/database": ["ExternalSecrets of namespace mlflow", "pods of mlflow-admin/mlflow-db-admin"],
  },
};

/** The same rule for any environment (a fork included): from its receivers and its load balancer's login. */
function expectedReaders(env: Environment): Record<string, string[]> {
  const p = `mlp-${env.name}`;
  const only = (ns: string) => [`ExternalSecrets of namespace ${ns}`];
  const login = ["pods of mlflow-admin/mlflow-db-admin"];
  return {
    [`RDS master secret of ${p}-mlflow`]: login,
    ...Object.fromEntries(env.observability.alertmanager.receivers.map((r) => [`${p}/alertmanager/${r.name}`, only("monitoring")])),
    // Terraform manages its version, so a plan from the deploy branch refreshes (reads) it.
    [`${p}/grafana/admin`]: [`CI role ${p}-ci-plan`, ...only("monitoring")],
    ...(env.ml.ingress.enabled && env.ml.ingress.auth?.type === "oidc" ? { [`${p}/ingress/oidc-client`]: ["kubeflow", "mlflow", "monitoring"].flatMap(only) } : {}),
    [`${p}/mlflow/database`]: [...only("mlflow"), ...login],
  };
}

describe("who can read each secret (IAM policy evaluation of every role, through Pod Identity and SecretStores)", () => {
  test.each(projectEnvironments().map((e) => e.name))("%s: every secret reaches only the namespace that owns it", async (env) => {
    expect(await secretReaders(stacksOf(env))).toEqual(expectedReaders(projectEnvironment(env)));
  });

  test("the rule above, written out for the shipped environments", () => {
    for (const env of ["dev", "staging", "prod"]) expect([env, expectedReaders(projectEnvironment(env))]).toEqual([env, EXPECTED[env]]);
  });

  test.each(projectEnvironments().map((e) => e.name))("%s: every ExternalSecret reads through its own namespace's SecretStore, never a ClusterSecretStore", (env) => {
    const refs = stacksOf(env).flatMap((s) =>
      renderedObjects(s)
        .map((r) => r.obj)
        .filter((o) => o.kind === "ExternalSecret" && o.spec.secretStoreRef)
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}: ${o.spec.secretStoreRef.kind}`),
    );
    expect(refs.length).toBeGreaterThanOrEqual(2);
    expect(refs.filter((r) => !r.endsWith(": SecretStore"))).toEqual([]);
    const clusterStores = stacksOf(env).flatMap((s) => renderedObjects(s).filter((r) => r.obj.kind === "ClusterSecretStore"));
    expect(clusterStores).toEqual([]);
  });
});

test.each(projectEnvironments().map((e) => e.name))("%s: every secret an ExternalSecret syncs is readable by its namespace (else the sync fails at run time)", async (env) => {
  const readers = await secretReaders(stacksOf(env));
  const synced = stacksOf(env).flatMap((s) => renderedObjects(s).map((r) => r.obj).filter((o) => o.kind === "ExternalSecret" && o.spec.secretStoreRef));
  const unreadable = synced.flatMap((o) =>
    (o.spec.dataFrom as Array<{ extract?: { key: string } }>)
      .filter((d) => d.extract && !(readers[d.extract.key] ?? []).includes(`ExternalSecrets of namespace ${o.metadata.namespace}`))
      .map((d) => `${o.metadata.namespace}/${o.metadata.name}: ${d.extract!.key}`),
  );
  expect(unreadable).toEqual([]);
});

describe("the reader list can fail", () => {
  /** One stack as the platform had it before: a ClusterSecretStore read with the operator's own role. */
  function oldStyle(store: Record<string, unknown>): SynthesizedStack {
    const manifests = [{ apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: "aws-secrets-manager" }, spec: { provider: { aws: { service: "SecretsManager", region: "us-east-1" } }, ...store } }];
    const json = {
      provider: { aws: [{ region: "us-east-1", allowed_account_ids: ["111122223333"] }] },
      resource: {
        aws_iam_role: { operator: { name: "mlp-dev-external-secrets", assume_role_policy: "{}" } },
        aws_iam_role_policy: {
          secrets: {
            name: "secrets",
            role: "${aws_iam_role.operator.id}",
            policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "${aws_secretsmanager_secret.rds.arn}" }] }),
          },
        },
        aws_eks_pod_identity_association: { operator: { namespace: "external-secrets", service_account: "external-secrets", role_arn: "${aws_iam_role.operator.arn}" } },
        aws_secretsmanager_secret: { rds: { name: "mlp-dev/rds/master" } },
        helm_release: { store: { name: "cluster-secret-store", namespace: "external-secrets", chart: "./manifests", values: [JSON.stringify({ manifests })] } },
      },
    };
    return { id: "dev-fixture", json: json as SynthesizedStack["json"], text: JSON.stringify(json) };
  }

  test("fails (reports every namespace) for a ClusterSecretStore without conditions, as the platform had it", async () => {
    expect(await secretReaders([oldStyle({})])).toEqual({ "mlp-dev/rds/master": ["ExternalSecrets of every namespace", "pods of external-secrets/external-secrets"] });
  });

  test("narrows to the namespaces a ClusterSecretStore's conditions name", async () => {
    expect(await secretReaders([oldStyle({ conditions: [{ namespaces: ["mlflow", "monitoring"] }] })])).toEqual({
      "mlp-dev/rds/master": ["ExternalSecrets of namespaces mlflow, monitoring", "pods of external-secrets/external-secrets"],
    });
  });
});
