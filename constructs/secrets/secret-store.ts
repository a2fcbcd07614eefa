import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { policyJson } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/** Name of the SecretStore in every namespace that syncs secrets (one store per namespace). */
export const SECRET_STORE_NAME = "aws-secrets-manager";

/** The External Secrets Operator's own identity: the role its controller gets through Pod Identity. */
export interface SecretStoreOperator {
  readonly accountId: string;
  readonly region: string;
  readonly clusterName: string;
  /** ARN of the controller's Pod Identity role (built from its name: no cross-stack reference). */
  readonly roleArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface NamespaceSecretStoreProps {
  readonly operator: SecretStoreOperator;
  /** The namespace whose ExternalSecrets may use the store (and only they). */
  readonly namespace: string;
  /** Physical name of the store's role; ARN patterns of the admission policy assume `<prefix>-secrets-<namespace>`. */
  readonly roleName: string;
}

/** The rendered ExternalSecret of one Secrets Manager secret (JSON object; `extract` maps its keys one to one). */
export interface ExternalSecretSpec {
  /** Name of the ExternalSecret and of the Kubernetes Secret it writes. */
  readonly name: string;
  /** Secrets Manager secret name (or ARN). */
  readonly key: string;
  readonly refreshInterval: string;
  /** Keep the Kubernetes Secret when the ExternalSecret is deleted. @default "Delete" (the operator's default) */
  readonly deletionPolicy?: "Retain" | "Delete";
}

/**
 * A namespace's own SecretStore and the IAM role it reads with. ExternalSecrets of other namespaces cannot reference a
 * namespaced store, and the operator's Pod Identity role reads no secret itself: it may only assume the store roles.
 * Each store role trusts only the operator's session (its role ARN and Pod Identity session tags) and only when the
 * operator says, with ESO's `sessionTagsPolicy: Simple` tags, that it acts for an ExternalSecret of this namespace
 * through a SecretStore. Those tags are set by the operator, but a SecretStore's author could add the same tags by
 * hand; the admission policy of ExternalSecrets (`secretStoreRolesPolicy`) keeps every platform store role out of
 * every store but the one of its own namespace.
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class NamespaceSecretStore extends Construct {
  readonly namespace: string;
  readonly name = SECRET_STORE_NAME;
  readonly role: WorkloadRole;
  /** Literal ARN of the store's role (what the SecretStore names and the operator may assume). */
  readonly roleArn: string;
  /** The SecretStore object; render it in the release of this namespace's ExternalSecrets. */
  readonly manifest: KubernetesObject;
  private readonly region: string;
  private readonly secrets = new Set<string>();
  private readonly keys = new Set<string>();

  constructor(scope: Construct, id: string, props: NamespaceSecretStoreProps) {
    super(scope, id);
    const op = props.operator;
    this.namespace = props.namespace;
    this.region = op.region;
    this.roleArn = `arn:aws:iam::${op.accountId}:role/${props.roleName}`;
    this.role = new WorkloadRole(this, "role", {
      roleName: props.roleName,
      description: `External Secrets SecretStore ${props.namespace}/${SECRET_STORE_NAME}: the secrets of namespace ${props.namespace} only`,
      // The account root with a PrincipalArn condition, not the operator role as principal: a recreated operator role
      // keeps its ARN but not its unique id, which a role principal would be pinned to.
      assumeRolePolicy: policyJson([
        {
          Sid: "ExternalSecretsOperatorForOneNamespace",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${op.accountId}:root` },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: {
            ArnEquals: { "aws:PrincipalArn": op.roleArn },
            StringEquals: {
              "aws:PrincipalTag/eks-cluster-name": op.clusterName,
              "aws:PrincipalTag/kubernetes-namespace": op.namespace,
              "aws:PrincipalTag/kubernetes-service-account": op.serviceAccount,
              "aws:RequestTag/esoNamespace": props.namespace,
              "aws:RequestTag/esoStoreKind": "SecretStore",
            },
          },
        },
      ]),
    });
    this.manifest = {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: SECRET_STORE_NAME, namespace: props.namespace },
      spec: {
        provider: {
          // No auth block: the controller's Pod Identity credentials assume `role` (serviceAccountRef cannot be
          // combined with Pod Identity). Simple session tags name the ExternalSecret's namespace for the trust policy.
          aws: { service: "SecretsManager", region: op.region, role: this.roleArn, sessionTagsPolicy: "Simple" },
        },
      },
    };
  }

  /** Lets this namespace read one secret (GetSecretValue, DescribeSecret), decrypting with `kmsKeyArn` through Secrets Manager. */
  allowSecret(secretArn: string, kmsKeyArn?: string): void {
    if (!this.secrets.has(secretArn)) {
      this.secrets.add(secretArn);
      this.role.addToPolicy({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secretArn }, "secrets");
    }
    if (kmsKeyArn && !this.keys.has(kmsKeyArn)) {
      this.keys.add(kmsKeyArn);
      this.role.addToPolicy(
        { Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${this.region}.amazonaws.com` } } },
        "secrets",
      );
    }
  }

  /** An ExternalSecret of this namespace reading through this store. */
  externalSecret(spec: ExternalSecretSpec): KubernetesObject {
    return {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: spec.name, namespace: this.namespace },
      spec: {
        refreshInterval: spec.refreshInterval,
        secretStoreRef: { kind: "SecretStore", name: this.name },
        target: { name: spec.name, creationPolicy: "Owner", ...(spec.deletionPolicy ? { deletionPolicy: spec.deletionPolicy } : {}) },
        dataFrom: [{ extract: { key: spec.key } }],
      },
    };
  }

  /** The role and its policies: the ExternalSecrets of the namespace must be applied after them. */
  dependables(): ITerraformDependable[] {
    return this.role.dependables();
  }
}
