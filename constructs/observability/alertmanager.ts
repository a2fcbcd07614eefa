import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import type { NamespaceSecretStore } from "../secrets/secret-store";

/** One Alertmanager receiver (the environment's `observability.alertmanager.receivers[]`). */
export type AlertReceiver =
  | { readonly type: "slack"; readonly name: string; readonly channel: string; readonly severities: readonly string[] }
  | { readonly type: "pagerduty" | "webhook"; readonly name: string; readonly severities: readonly string[] };

/** Where each receiver's Secret is mounted in the Alertmanager pods: `<dir>/<receiver>/<key>`. */
export const RECEIVER_MOUNT_DIR = "/etc/alertmanager/receivers";
/** Key of the endpoint (Slack webhook URL, PagerDuty routing key, webhook URL) in each receiver's Secret. */
export const RECEIVER_SECRET_KEY = "endpoint";
/** What each receiver type's endpoint is. */
export const ENDPOINT_DESCRIPTION: Readonly<Record<AlertReceiver["type"], string>> = {
  slack: "Slack incoming webhook URL",
  pagerduty: "PagerDuty Events API v2 routing key",
  webhook: "webhook URL",
};

/** The receiver that drops what it gets (Watchdog, and alerts no receiver wants). */
export const NULL_RECEIVER = "null";

/** Kubernetes Secret (and volume) name of a receiver's endpoint. */
export function receiverSecretName(receiver: Pick<AlertReceiver, "name">): string {
  return `alertmanager-receiver-${receiver.name}`;
}

function endpointFile(receiver: AlertReceiver): string {
  return `${RECEIVER_MOUNT_DIR}/${receiver.name}/${RECEIVER_SECRET_KEY}`;
}

function receiverConfig(r: AlertReceiver): Record<string, unknown> {
  switch (r.type) {
    case "slack":
      return {
        name: r.name,
        slack_configs: [
          {
            api_url_file: endpointFile(r),
            channel: r.channel,
            send_resolved: true,
            title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
            text: "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n{{ end }}",
          },
        ],
      };
    case "pagerduty":
      return { name: r.name, pagerduty_configs: [{ routing_key_file: endpointFile(r), send_resolved: true }] };
    case "webhook":
      return { name: r.name, webhook_configs: [{ url_file: endpointFile(r), send_resolved: true }] };
  }
}

/**
 * The Alertmanager configuration (chart value `alertmanager.config`): every receiver gets the alerts of its
 * severities (`continue`, so several receivers can share one), Watchdog goes nowhere, and endpoints are read from
 * mounted files (`api_url_file`, `routing_key_file`, `url_file`), so the rendered config holds no secret.
 * The inhibition rules are the chart's defaults.
 */
export function alertmanagerConfig(receivers: readonly AlertReceiver[]): Record<string, unknown> {
  return {
    global: { resolve_timeout: "5m" },
    inhibit_rules: [
      { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
      { target_matchers: ["alertname = InfoInhibitor"] },
    ],
    route: {
      receiver: NULL_RECEIVER,
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [
        { receiver: NULL_RECEIVER, matchers: ['alertname = "Watchdog"'] },
        ...receivers.map((r) => ({ receiver: r.name, matchers: [`severity =~ "${r.severities.join("|")}"`], continue: true })),
      ],
    },
    receivers: [{ name: NULL_RECEIVER }, ...receivers.map(receiverConfig)],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}

/**
 * Volumes for `alertmanager.alertmanagerSpec`: one optional Secret volume per receiver, so Alertmanager starts
 * before an endpoint has been filled in (notifications to that receiver fail until it is, and say so in its log).
 */
export function receiverVolumes(receivers: readonly AlertReceiver[]): { volumes: unknown[]; volumeMounts: unknown[] } {
  return {
    volumes: receivers.map((r) => ({ name: receiverSecretName(r), secret: { secretName: receiverSecretName(r), optional: true } })),
    volumeMounts: receivers.map((r) => ({ name: receiverSecretName(r), mountPath: `${RECEIVER_MOUNT_DIR}/${r.name}`, readOnly: true })),
  };
}

/** Secrets Manager name of a receiver's endpoint secret: `<prefix>/alertmanager/<receiver>`. */
export function receiverSecretsManagerName(prefix: string, receiver: Pick<AlertReceiver, "name">): string {
  return `${prefix}/alertmanager/${receiver.name}`;
}

export interface AlertmanagerReceiverSecretsProps {
  readonly receivers: readonly AlertReceiver[];
  /** Secrets Manager names are `<prefix>/alertmanager/<receiver>`. */
  readonly secretNamePrefix: string;
  /** @default 7 */
  readonly recoveryWindowInDays?: number;
  /** @default false */
  readonly protect?: boolean;
  /** Customer managed key encrypting the secrets (readers need kms:Decrypt through Secrets Manager). */
  readonly kmsKeyArn: string;
}

/**
 * A Secrets Manager secret per receiver, created empty: its value, JSON `{"endpoint": "<Slack webhook URL or
 * PagerDuty routing key>"}`, comes from whoever owns the integration, with `aws secretsmanager put-secret-value`, so
 * it never passes through Terraform. These live in the bootstrap stack, which an environment's destroy keeps: a value
 * a person set by hand survives tearing the environment down and building it again under the same name.
 */
export class AlertmanagerReceiverSecrets extends Construct {
  readonly secrets: Record<string, SecretsmanagerSecret> = {};
  /** The key that encrypts every receiver secret. */
  readonly kmsKeyArn: string;

  constructor(scope: Construct, id: string, props: AlertmanagerReceiverSecretsProps) {
    super(scope, id);
    for (const r of props.receivers) {
      this.secrets[r.name] = new SecretsmanagerSecret(this, r.name, {
        name: receiverSecretsManagerName(props.secretNamePrefix, r),
        description: `Alertmanager ${r.type} receiver ${r.name}: JSON {"${RECEIVER_SECRET_KEY}": "<${ENDPOINT_DESCRIPTION[r.type]}>"}, set out of band`,
        recoveryWindowInDays: props.recoveryWindowInDays ?? 7,
        kmsKeyId: props.kmsKeyArn,
        lifecycle: props.protect ? { preventDestroy: true } : undefined,
      });
    }
    this.kmsKeyArn = props.kmsKeyArn;
  }

  /** Secret ARN per receiver name. */
  arns(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.secrets).map(([name, secret]) => [name, secret.arn]));
  }
}

/**
 * The ExternalSecret that syncs one receiver's endpoint into the Kubernetes Secret Alertmanager mounts. The secret is
 * JSON {"endpoint": ...}: extract turns its keys into the Secret's keys.
 */
export function receiverExternalSecret(receiver: AlertReceiver, secretNamePrefix: string, store: NamespaceSecretStore): KubernetesObject {
  return store.externalSecret({ name: receiverSecretName(receiver), key: receiverSecretsManagerName(secretNamePrefix, receiver), refreshInterval: "1h" });
}
