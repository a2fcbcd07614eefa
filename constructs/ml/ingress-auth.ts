import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import type { KubernetesObject } from "../kubernetes/manifests-release";

/** How browsers sign in to the UIs behind the load balancer (the environment's `ml.ingress.auth`). */
export type IngressLogin =
  | {
      readonly type: "oidc";
      readonly issuer: string;
      readonly authorizationEndpoint: string;
      readonly tokenEndpoint: string;
      readonly userInfoEndpoint: string;
      readonly clientId: string;
      readonly scope: string;
    }
  | { readonly type: "cognito"; readonly userPoolArn: string; readonly userPoolClientId: string; readonly userPoolDomain: string };

/** Kubernetes Secret (in each UI's namespace) holding `clientID` and `clientSecret`, as the controller reads them. */
export const OIDC_CLIENT_SECRET = "alb-oidc-client";

/** Key of the client secret in the Secrets Manager secret's JSON. */
export const OIDC_CLIENT_SECRET_KEY = "clientSecret";

export interface OidcClientSecretProps {
  /** Secrets Manager name, `<prefix>/ingress/oidc-client`. */
  readonly secretName: string;
  readonly kmsKeyArn: string;
  /** @default 7 */
  readonly recoveryWindowInDays?: number;
  /** @default false */
  readonly protect?: boolean;
}

/**
 * The OIDC client secret of the load balancer's login, created empty in the bootstrap stack: the identity provider's
 * administrator sets JSON `{"clientSecret": "..."}` with `aws secretsmanager put-secret-value`, so the value never passes
 * through Terraform, and it survives tearing the environment down (like the Alertmanager receivers' secrets).
 */
export class OidcClientSecret extends Construct {
  readonly secret: SecretsmanagerSecret;
  readonly secretName: string;
  readonly kmsKeyArn: string;

  constructor(scope: Construct, id: string, props: OidcClientSecretProps) {
    super(scope, id);
    this.secretName = props.secretName;
    this.kmsKeyArn = props.kmsKeyArn;
    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.secretName,
      description: `OIDC client secret of the ML load balancer's login: JSON {"${OIDC_CLIENT_SECRET_KEY}": "<secret>"}, set out of band`,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.recoveryWindowInDays ?? 7,
      lifecycle: props.protect ? { preventDestroy: true } : undefined,
    });
  }
}

/**
 * What the controller needs to read the OIDC client in one UI namespace: the Secret (synced by External Secrets, the
 * client id from the environment file merged in) and read access to that Secret alone for the controller's service
 * account, instead of the chart's all-Secrets option.
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/examples/secrets_access/
 */
export function oidcClientObjects(p: {
  /** The SecretStore of the UI's namespace (the Secret is written there). */
  store: { readonly namespace: string; readonly name: string };
  clientId: string;
  secretsManagerName: string;
  controller: { namespace: string; serviceAccount: string };
}): KubernetesObject[] {
  const reader = `${OIDC_CLIENT_SECRET}-reader`;
  const namespace = p.store.namespace;
  return [
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: OIDC_CLIENT_SECRET, namespace },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "SecretStore", name: p.store.name },
        target: { name: OIDC_CLIENT_SECRET, creationPolicy: "Owner", template: { engineVersion: "v2", mergePolicy: "Merge", data: { clientID: p.clientId } } },
        // The secret is JSON {"clientSecret": ...}: extract maps its keys one to one; the template adds clientID.
        dataFrom: [{ extract: { key: p.secretsManagerName } }],
      },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: reader, namespace },
      // The controller lists and watches the one Secret by a metadata.name field selector, which resourceNames permits.
      rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [OIDC_CLIENT_SECRET], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: reader, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: reader },
      subjects: [{ kind: "ServiceAccount", name: p.controller.serviceAccount, namespace: p.controller.namespace }],
    },
  ];
}

/** The controller's annotations that put a login in front of an Ingress's rules. */
export function loginAnnotations(login: IngressLogin): Record<string, string> {
  const common = { "alb.ingress.kubernetes.io/auth-on-unauthenticated-request": "authenticate" };
  if (login.type === "cognito") {
    return {
      ...common,
      "alb.ingress.kubernetes.io/auth-type": "cognito",
      "alb.ingress.kubernetes.io/auth-idp-cognito": JSON.stringify({ userPoolARN: login.userPoolArn, userPoolClientID: login.userPoolClientId, userPoolDomain: login.userPoolDomain }),
      "alb.ingress.kubernetes.io/auth-scope": "openid",
    };
  }
  const idp = { issuer: login.issuer, authorizationEndpoint: login.authorizationEndpoint, tokenEndpoint: login.tokenEndpoint, userInfoEndpoint: login.userInfoEndpoint, secretName: OIDC_CLIENT_SECRET };
  return { ...common, "alb.ingress.kubernetes.io/auth-type": "oidc", "alb.ingress.kubernetes.io/auth-idp-oidc": JSON.stringify(idp), "alb.ingress.kubernetes.io/auth-scope": login.scope };
}
