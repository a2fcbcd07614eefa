import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { EphemeralRandomPassword } from "../secrets/ephemeral-random-password";
import type { NamespaceSecretStore } from "../secrets/secret-store";

/** Keys of the Kubernetes Secret, as the Grafana chart reads them (`admin.userKey`, `admin.passwordKey`). */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

export interface GrafanaAdminCredentialProps {
  /** Name of the Secrets Manager secret, for example `mlp-prod/grafana/admin`. */
  readonly secretName: string;
  /** Kubernetes Secret that External Secrets keeps in sync. */
  readonly kubernetesSecretName: string;
  /** The SecretStore of the namespace Grafana runs in (the ExternalSecret is rendered there). */
  readonly store: NamespaceSecretStore;
  /** Grafana's admin login (not secret, but stored with the password so both come from one place). @default "admin" */
  readonly adminUser?: string;
  /** Days Secrets Manager keeps a deleted secret recoverable. @default 7 */
  readonly recoveryWindowInDays?: number;
  /** prevent_destroy on the secret. @default false */
  readonly protect?: boolean;
  /** Customer managed key encrypting the secret (External Secrets decrypts it through Secrets Manager). */
  readonly kmsKeyArn: string;
}

/**
 * Grafana's admin credential without a password in values, plan or state: Terraform creates the Secrets Manager
 * secret and writes its first version, JSON `{"admin-user", "admin-password"}`, through the write-only
 * `secret_string_wo` from an ephemeral GetRandomPassword; External Secrets syncs it into the Kubernetes Secret the
 * chart's `admin.existingSecret` names. Rotating it is `aws secretsmanager put-secret-value` with new JSON (or bumping
 * `secret_string_wo_version`); ESO picks the new value up within its refresh interval and Grafana on its next restart.
 */
export class GrafanaAdminCredential extends Construct {
  readonly secret: SecretsmanagerSecret;
  readonly version: SecretsmanagerSecretVersion;
  readonly kubernetesSecretName: string;
  /** The ExternalSecret to apply in the store's namespace (after the SecretStore exists). */
  readonly externalSecret: KubernetesObject;

  constructor(scope: Construct, id: string, props: GrafanaAdminCredentialProps) {
    super(scope, id);
    this.kubernetesSecretName = props.kubernetesSecretName;
    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.secretName,
      description: "Grafana admin password (generated at apply time, never in Terraform state)",
      recoveryWindowInDays: props.recoveryWindowInDays ?? 7,
      kmsKeyId: props.kmsKeyArn,
      lifecycle: props.protect ? { preventDestroy: true } : undefined,
    });
    const password = new EphemeralRandomPassword(this, "password", { passwordLength: 32 });
    this.version = new SecretsmanagerSecretVersion(this, "version", {
      secretId: this.secret.id,
      // JSON with both keys the chart reads; jsonencode of an ephemeral value is ephemeral too, so it stays write-only.
      secretStringWo: Fn.jsonencode({ [GRAFANA_ADMIN_KEYS.user]: props.adminUser ?? "admin", [GRAFANA_ADMIN_KEYS.password]: password.value }),
      // Write-only values are not compared on plan: the value is written when this number changes, never read back.
      secretStringWoVersion: 1,
    });
    props.store.allowSecret(this.secret.arn, props.kmsKeyArn);
    // The secret is JSON {"admin-user": ..., "admin-password": ...}; extract maps its keys one to one.
    this.externalSecret = props.store.externalSecret({ name: props.kubernetesSecretName, key: props.secretName, refreshInterval: "1h" });
  }
}
