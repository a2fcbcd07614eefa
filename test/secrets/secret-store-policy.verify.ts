import { cel } from "../helpers/cel";
import { renderedObject } from "../helpers/ml-helm";
import { projectEnvironments, stack } from "../helpers/synth";

/** The admission request for a store in `namespace` (empty for a ClusterSecretStore) naming `role`. */
function store(kind: "SecretStore" | "ClusterSecretStore", namespace: string, provider: Record<string, unknown>) {
  return { request: { kind: { group: "external-secrets.io", version: "v1", kind }, namespace }, object: { kind, spec: { provider } } };
}

/**
 * The ValidatingAdmissionPolicy that keeps each platform SecretStore role in its own namespace's store, evaluated
 * as rendered for every environment. Kubernetes runs cel-go; this is @marcbachmann/cel-js 8.0.0 on the same
 * expression (it avoids RE2-only syntax for that reason), so differences between the two dialects are not covered.
 */
describe.each(projectEnvironments().map((e) => [e.name, e.account.id] as const))("%s: the SecretStore role admission rule", (env, account) => {
  const policy = renderedObject(stack(`${env}-platform`), "ValidatingAdmissionPolicy", "ml-platform-secret-store-roles");
  const [validation] = policy.spec.validations;
  const role = (ns: string) => `arn:aws:iam::${account}:role/mlp-${env}-secrets-${ns}`;
  const aws = (r?: string) => ({ aws: { service: "SecretsManager", region: "us-east-1", ...(r ? { role: r } : {}) } });

  test.each([
    ["the platform's own store of namespace mlflow", store("SecretStore", "mlflow", aws(role("mlflow")))],
    ["a team's store with a role of its own", store("SecretStore", "team-a", aws(`arn:aws:iam::${account}:role/team-a-secrets`))],
    ["a store without a role", store("SecretStore", "team-a", aws())],
    ["a store of another provider", store("SecretStore", "team-a", { vault: { server: "https://vault.example.com" } })],
  ])("admits %s", (_what, request) => {
    expect(cel(validation.expression, request)).toBe(true);
  });

  test.each([
    ["another namespace's store naming mlflow's role", store("SecretStore", "team-a", aws(role("mlflow")))],
    ["a ClusterSecretStore naming a platform store role", store("ClusterSecretStore", "", aws(role("monitoring")))],
    ["the role in other letter case (IAM role names are case-insensitive)", store("SecretStore", "team-a", aws(role("mlflow").toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam")))],
    ["the role behind an IAM path", store("SecretStore", "team-a", aws(`arn:aws:iam::${account}:role/x/mlp-${env}-secrets-mlflow`))],
    ["mlflow's own namespace naming monitoring's role", store("SecretStore", "mlflow", aws(role("monitoring")))],
  ])("denies %s", (_what, request) => {
    expect(cel(validation.expression, request)).toBe(false);
  });
});
