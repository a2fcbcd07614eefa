import { z } from "zod";
import { cidr } from "./fields";

/**
 * The `ml.ingress` section: one Application Load Balancer in front of the ML services, HTTPS only. It needs a name:
 * services are `https://<service>.<env>.<domain>` (mlflow, pipelines, grafana, feast, triton) under one certificate
 * for `*.<env>.<domain>`; the environment's name is part of every host, so a copied file cannot claim its parent's. Browsers reach the UIs (MLflow, Pipelines, Grafana) after signing in at the organisation's identity
 * provider (ALB OIDC) or a Cognito user pool; programmatic paths (the MLflow and KFP APIs, Feast, Triton) skip the
 * login, which SDKs cannot follow, and answer only clients from `apiCidrs`. Without a domain there is no load
 * balancer: the services stay in the cluster, reached with `kubectl port-forward`.
 */

/** A DNS name of at least two labels, lowercase (ACM and Route 53 compare names case-insensitively). */
const dnsName = z
  .string()
  .max(200)
  .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase DNS name like ml.example.com");

const httpsUrl = z.string().regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an https:// URL");

/** ACM certificate and AWS Private CA ARNs (the region is checked against the environment's below). */
const acmCertificateArn = z.string().regex(/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, "must be an ACM certificate ARN like arn:aws:acm:us-east-1:123456789012:certificate/<uuid>");
const privateCaArn = z
  .string()
  .regex(/^arn:aws:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/, "must be an AWS Private CA ARN like arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<uuid>");

const oidcAuth = z.strictObject({
  type: z.literal("oidc"),
  /** The IdP's issuer and endpoints, as in its `/.well-known/openid-configuration`. */
  issuer: httpsUrl,
  authorizationEndpoint: httpsUrl,
  tokenEndpoint: httpsUrl,
  userInfoEndpoint: httpsUrl,
  /** The client registered for `https://<ui host>/oauth2/idpresponse`; its secret is set in Secrets Manager by hand. */
  clientId: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
  /** @default "openid email" */
  scope: z.string().regex(/^openid( [\w:./-]+)*$/, "must start with openid, scopes separated by single spaces").default("openid email"),
});

const cognitoAuth = z.strictObject({
  type: z.literal("cognito"),
  userPoolArn: z.string().regex(/^arn:aws:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[a-z0-9-]+_[A-Za-z0-9]+$/, "must be a Cognito user pool ARN"),
  userPoolClientId: z.string().regex(/^[a-z0-9]{1,128}$/, "must be a Cognito app client id"),
  /** The user pool's domain prefix (not the full URL). */
  userPoolDomain: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be the domain prefix, like my-org (not the full URL)"),
});

export const ingressSettings = z
  .strictObject({
    enabled: z.boolean().default(false),
    scheme: z.enum(["internal", "internet-facing"]).default("internal"),
    /** Source CIDRs the load balancer's security group admits (browsers and API clients). @default - the VPC CIDR */
    allowedCidrs: z.array(cidr).min(1).optional(),
    /**
     * Networks whose clients may call the APIs without the browser login (the VPC, a VPN); at most 3, because a load
     * balancer rule holds 5 condition values and host and path take two. @default - the VPC CIDR
     */
    apiCidrs: z.array(cidr).min(1).max(3, "must list at most 3 networks: a load balancer rule holds 5 condition values, and its host and path take two").optional(),
    /** Hosts are `<service>.<env>.<domain>`; required when enabled. */
    domain: dnsName.optional(),
    /** Route 53 hosted zone for `<env>.<domain>`: a record per host, and the validation of a new certificate (public zone). */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id like Z1D633PJN98FT9").optional(),
    /**
     * An existing ACM certificate covering `*.<env>.<domain>`, or an AWS Private CA that issues one (its monthly fee counts
     * in `npm run cost`). @default - a public ACM certificate for `*.<env>.<domain>`, validated in `hostedZoneId`
     */
    certificate: z.union([z.strictObject({ arn: acmCertificateArn }), z.strictObject({ privateCertificateAuthorityArn: privateCaArn })]).optional(),
    /** How browsers sign in to the UIs; required when enabled. */
    auth: z.discriminatedUnion("type", [oidcAuth, cognitoAuth]).optional(),
  })
  .prefault({});

export type IngressSettings = z.output<typeof ingressSettings>;

/** The region in an ARN (`arn:aws:<service>:<region>:...`). */
const arnRegion = (arn: string) => arn.split(":")[3];

/** What an enabled ingress needs: a name, a certificate for it, and a login for browsers. */
export function refineIngress(env: { readonly account: { readonly region: string }; readonly ml: { readonly ingress: IngressSettings } }, ctx: z.RefinementCtx): void {
  const ingress = env.ml.ingress;
  const issue = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["ml", "ingress", ...path], input, message });
  if (!ingress.enabled) return;
  if (!ingress.domain) {
    issue(["domain"], ingress.domain, "is required with enabled: the load balancer serves HTTPS only and a certificate needs a name; without a domain leave ingress disabled and use kubectl port-forward");
  }
  if (!ingress.certificate && !ingress.hostedZoneId) {
    issue(["hostedZoneId"], ingress.hostedZoneId, "is required unless certificate is set: a new ACM certificate is validated through DNS records in this zone");
  }
  if (!ingress.auth) issue(["auth"], ingress.auth, "is required with enabled: the UIs have no login of their own (set type oidc with your identity provider, or cognito)");
  const region = env.account.region;
  const cert = ingress.certificate;
  if (cert && "arn" in cert && arnRegion(cert.arn) !== region) issue(["certificate", "arn"], cert.arn, `must be a certificate in ${region}: a load balancer uses certificates of its own region only`);
}
