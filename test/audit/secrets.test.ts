import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, manifestsRelease } from "../helpers/audit-fixtures";
import { auditSecretsInDir, auditSecretsInJson, isLiteralSecretValue, isSecretKeyName } from "../helpers/secrets-audit";
import { synthesizeAll } from "../helpers/synth";

describe("secrets audit (every file cdktf writes for every environment)", () => {
  test("no literal secret in any synthesized file, stack or asset", () => {
    expect(auditSecretsInDir(synthesizeAll().outdir)).toEqual([]);
  });
});

describe("secret key names and values", () => {
  test.each(["password", "master_password", "db_password", "aws_secret_access_key", "access_key", "private_key", "privateKey", "clientSecret", "authToken", "token", "api_key", "secret_string", "secret"])(
    "%s names a credential",
    (key) => expect(isSecretKeyName(key)).toBe(true),
  );

  test.each(["secretsEncryption", "secret_arn", "secret_id", "secretName", "existingSecret", "passwordKey", "http_tokens", "kms_key_id", "secrets", "token_ttl", "manageMasterUserPassword", "useSecret"])(
    "%s does not name a credential",
    (key) => expect(isSecretKeyName(key)).toBe(false),
  );

  test("references, ARNs, booleans and empty strings are not literal secrets", () => {
    for (const v of ["${random_password.db.result}", "${aws_secretsmanager_secret.db.arn}", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db", "", "true", true, 12, "$(DB_PASSWORD)"]) {
      expect(isLiteralSecretValue(v)).toBe(false);
    }
    expect(isLiteralSecretValue("hunter2")).toBe(true);
  });
});

describe("secrets audit can fail", () => {
  test("fails a database password set at all, and a literal one twice over; passes manage_master_user_password", () => {
    const t = fixture({
      resource: {
        aws_db_instance: {
          literal: { engine: "postgres", username: "mlflow", password: "hunter2" },
          generated: { engine: "postgres", username: "mlflow", password: "${random_password.db.result}" },
          managed: { engine: "postgres", username: "mlflow", manage_master_user_password: true, storage_encrypted: true },
        },
      },
    });
    expect(auditSecretsInJson(t.id, t.json)).toEqual([
      "dev-fixture aws_db_instance.literal: literal-secret: password holds a literal value; reference a managed secret instead",
      "dev-fixture aws_db_instance.literal: managed-password: password is set, which puts the password in plan and state; use manage_master_user_password = true",
      "dev-fixture aws_db_instance.generated: managed-password: password is set, which puts the password in plan and state; use manage_master_user_password = true",
    ]);
  });

  test("fails a literal Secrets Manager secret string and a generated password kept in state", () => {
    const t = fixture({
      resource: {
        aws_secretsmanager_secret_version: { v: { secret_id: "${aws_secretsmanager_secret.s.id}", secret_string: '{"user":"a","pass":"b"}' } },
        random_password: { db: { length: 32 } },
      },
    });
    expect(auditSecretsInJson(t.id, t.json)).toEqual([
      "dev-fixture aws_secretsmanager_secret_version.v: literal-secret: secret_string holds a literal value; reference a managed secret instead",
      "dev-fixture aws_secretsmanager_secret_version.v: literal-secret: secret_string is a literal; create the secret value outside Terraform or with secret_string_wo",
      "dev-fixture random_password.db: secret-in-state: random_password keeps its result in Terraform state; let the service generate the secret (RDS manage_master_user_password, Secrets Manager rotation)",
    ]);
  });

  test("fails literal secrets inside Helm values, set entries and rendered Secret objects, not references to existing secrets", () => {
    const t = fixture({
      resource: {
        helm_release: {
          mlflow: {
            name: "mlflow",
            chart: "mlflow",
            values: ["backendStore:\n  postgres:\n    password: hunter2\n    existingSecret: mlflow-db\n    passwordKey: password\n"],
            set: [{ name: "auth.adminPassword", value: "hunter3" }, { name: "auth.enabled", value: "true" }],
            set_sensitive: [{ name: "auth.apiKey", value: "hunter4" }],
          },
          capacity: manifestsRelease({ apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, stringData: { url: "postgres://u:p@h/db" } }),
        },
      },
    });
    expect(auditSecretsInJson(t.id, t.json)).toEqual([
      "dev-fixture helm_release.mlflow: literal-secret: values[0] backendStore.postgres.password holds a literal value; use an existing Kubernetes secret synced by External Secrets",
      "dev-fixture helm_release.mlflow: literal-secret: set auth.adminPassword holds a literal value",
      "dev-fixture helm_release.mlflow: literal-secret: set_sensitive auth.apiKey holds a literal value (sensitive values still land in state)",
      "dev-fixture helm_release.capacity: literal-secret: values[0] manifests Secret/db: stringData.url is a literal; sync it with External Secrets",
    ]);
  });

  test("fails literal Kubernetes Secret data", () => {
    const t = fixture({ resource: { kubernetes_secret_v1: { db: { metadata: { name: "db" }, data: { url: "postgres://u:p@h/db", host: "${aws_db_instance.x.address}" } } } } });
    expect(auditSecretsInJson(t.id, t.json)).toEqual(["dev-fixture kubernetes_secret_v1.db: literal-secret: data.url is a literal; sync it with External Secrets"]);
  });

  test("passes names that only mention secrets", () => {
    const t = fixture({
      resource: {
        aws_eks_cluster: { c: { name: "c", encryption_config: { resources: ["secrets"], provider: { key_arn: "${aws_kms_key.k.arn}" } } } },
        aws_launch_template: { lt: { metadata_options: { http_tokens: "required" } } },
        aws_secretsmanager_secret: { s: { name: "mlp-dev/mlflow/db", kms_key_id: "${aws_kms_key.k.arn}" } },
        helm_release: { eso: { name: "eso", chart: "external-secrets", values: ['{"secretsEncryption":{"enabled":true},"tokenSecretRef":{"name":"x"}}'] } },
      },
    });
    expect(auditSecretsInJson(t.id, t.json)).toEqual([]);
  });

  test("fails PEM private keys and AWS access key ids in any file, including assets", () => {
    const dir = mkdtempSync(join(tmpdir(), "mlp-secrets-"));
    mkdirSync(join(dir, "stacks", "dev-x", "assets", "chart"), { recursive: true });
    writeFileSync(join(dir, "manifest.json"), "{}");
    writeFileSync(join(dir, "stacks", "dev-x", "cdk.tf.json"), JSON.stringify({ resource: { aws_iam_access_key: { k: { user: "u" } } }, locals: { key_id: "AKIAABCDEFGHIJKLMNOP" } }));
    writeFileSync(join(dir, "stacks", "dev-x", "assets", "chart", "tls.key"), "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
    writeFileSync(join(dir, "stacks", "dev-x", "assets", "chart", "values.yaml"), "auth:\n  token: abc123\n");
    expect(auditSecretsInDir(dir)).toEqual([
      "stacks/dev-x/assets/chart/tls.key (file): secret-pattern: PEM private key (-----BEGIN RSA PRIVATE KEY-----)",
      "stacks/dev-x/assets/chart/values.yaml (file): literal-secret: auth.token holds a literal value",
      "stacks/dev-x/cdk.tf.json (file): secret-pattern: AWS access key id AKIA…MNOP",
    ]);
  });
});
