import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { loginAnnotations, oidcClientObjects, type IngressLogin } from "./ingress-auth";

/** TLS 1.3 and 1.2 with forward-secret ciphers only (the controller's default policy still allows TLS 1.0). */
export const INGRESS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** The load balancer's rules are ordered by this: API paths first, so the UI's catch-all does not take them. */
const ORDER = { api: "10", ui: "20" } as const;

/** One in-cluster HTTP service published as `https://<host>.<domain>`. */
export interface IngressService {
  /** First DNS label of its host. */
  readonly host: string;
  readonly namespace: string;
  readonly serviceName: string;
  readonly servicePort: number;
  /** Path the load balancer's health check requests on the pods. */
  readonly healthCheckPath: string;
  /** A browser UI: everything on the host not matched by `apiPaths` asks for the login. */
  readonly ui: boolean;
  /**
   * Path patterns programmatic clients use (`/api/*`), or `["/"]` for the whole host: they skip the login, which SDKs
   * cannot follow, and answer only clients from the API networks. @default - none
   */
  readonly apiPaths?: readonly string[];
  /**
   * The backend is an Argo Rollouts traffic split: rules name the Service with port `use-annotation`, and the Rollout
   * writes `actions.<serviceName>` (weighted target groups of its stable and canary Services). @default false
   */
  readonly weighted?: boolean;
}

/** A UI namespace's SecretStore for the OIDC client Secret. */
export interface OidcClientStore {
  readonly store: { readonly namespace: string; readonly name: string; readonly manifest: KubernetesObject; dependables(): ITerraformDependable[] };
  /** The store's manifest belongs in this construct's release (no other release renders it). */
  readonly render: boolean;
}

export interface MlIngressProps {
  /** IngressGroup and load balancer name (at most 32 characters). */
  readonly groupName: string;
  readonly ingressClassName: string;
  readonly scheme: "internal" | "internet-facing";
  readonly domain: string;
  readonly certificateArn: string;
  /** Source CIDRs of the load balancer's security group. */
  readonly allowedCidrs: readonly string[];
  /** Networks whose clients reach the API paths without the login (at most 3: ALB rules hold 5 condition values). */
  readonly apiCidrs: readonly string[];
  readonly login: IngressLogin;
  /**
   * With an OIDC login: where External Secrets reads its client secret, the SecretStore of each UI namespace (a store
   * not rendered elsewhere is rendered here), and the controller that must read the Secret.
   */
  readonly oidcClient?: {
    readonly secretsManagerName: string;
    readonly stores: readonly OidcClientStore[];
    readonly controller: { readonly namespace: string; readonly serviceAccount: string };
  };
  readonly services: readonly IngressService[];
  /** A CNAME per host to the load balancer in this zone. @default - no records (DNS is managed elsewhere) */
  readonly hostedZoneId?: string;
  /** The controller release and the releases that create the target namespaces and Services. */
  readonly dependsOn: ITerraformDependable[];
  /**
   * The releases that create the weighted services' Services (the model Rollouts). Only the weighted Ingresses wait
   * for them, in a release of their own: a model that cannot be deployed never holds back the load balancer, and the
   * controller never sees an Ingress whose Services are missing. @default - none
   */
  readonly weightedDependsOn?: ITerraformDependable[];
}

/**
 * One Application Load Balancer (an IngressGroup) in front of the ML services, HTTPS only: port 443 with the certificate
 * and a TLS 1.2+ policy, port 80 redirecting to it. A service's UI host asks browsers to sign in (ALB OIDC or Cognito);
 * its API paths, and API-only hosts, are open without the login to the API networks only (a source-ip condition), so
 * clients elsewhere get a login redirect or the default 404. A last Ingress, managed by Terraform, holds the listener's
 * default action and waits for the load balancer, whose DNS name the host records point at.
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
 */
export class MlIngress extends Construct {
  readonly release: ManifestsRelease;
  /** The weighted (model) Ingresses, after their Rollouts' releases; absent without weighted services. */
  readonly weightedRelease?: ManifestsRelease;
  /** The OIDC client Secrets and their RBAC, applied before the Ingresses that name them. */
  readonly auth?: ManifestsRelease;
  readonly defaultBackend: IngressV1;
  /** `https://<host>.<domain>` per service host. */
  readonly urls: Record<string, string>;

  constructor(scope: Construct, id: string, props: MlIngressProps) {
    super(scope, id);
    if (props.groupName.length > 32) throw new Error(`ingress group name must be at most 32 characters (load balancer name limit), got "${props.groupName}"`);
    const hosts = props.services.map((s) => s.host);
    if (new Set(hosts).size !== hosts.length) throw new Error(`ingress hosts must be unique, got ${hosts.join(", ")}`);
    if (props.apiCidrs.length > 3) throw new Error(`at most 3 API CIDRs fit a load balancer rule (host, path and source IPs share 5 condition values), got ${props.apiCidrs.length}`);
    if (props.login.type === "oidc" && !props.oidcClient) throw new Error("an OIDC login needs oidcClient: where its client secret comes from");
    this.urls = Object.fromEntries(props.services.map((s) => [s.host, `https://${s.host}.${props.domain}`]));

    const common = {
      "alb.ingress.kubernetes.io/group.name": props.groupName,
      "alb.ingress.kubernetes.io/load-balancer-name": props.groupName,
      "alb.ingress.kubernetes.io/scheme": props.scheme,
      "alb.ingress.kubernetes.io/target-type": "ip",
      "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
      "alb.ingress.kubernetes.io/ssl-redirect": "443",
      "alb.ingress.kubernetes.io/certificate-arn": props.certificateArn,
      "alb.ingress.kubernetes.io/ssl-policy": INGRESS_SSL_POLICY,
      // Every member names the same networks: the controller rejects members of one port that differ.
      "alb.ingress.kubernetes.io/inbound-cidrs": props.allowedCidrs.join(","),
    };

    let authReady: ITerraformDependable[] = [];
    if (props.login.type === "oidc" && props.oidcClient) {
      const oidc = props.oidcClient;
      const login = props.login;
      const uiNamespaces = [...new Set(props.services.filter((s) => s.ui).map((s) => s.namespace))].sort();
      const stores = new Map(oidc.stores.map((s) => [s.store.namespace, s]));
      const missing = uiNamespaces.filter((ns) => !stores.has(ns));
      if (missing.length > 0) throw new Error(`an OIDC login needs a SecretStore in every UI namespace; none given for ${missing.join(", ")}`);
      const rendered = uiNamespaces.map((ns) => stores.get(ns)!).filter((s) => s.render);
      // The roles of stores rendered here, with their grants, exist before the stores use them.
      this.auth = new ManifestsRelease(this, "auth", { releaseName: "ml-ingress-auth", namespace: "kube-system", dependsOn: [...props.dependsOn, ...rendered.flatMap((s) => s.store.dependables())] });
      for (const s of rendered) this.auth.add(s.store.manifest);
      for (const namespace of uiNamespaces) {
        for (const o of oidcClientObjects({ store: stores.get(namespace)!.store, clientId: login.clientId, secretsManagerName: oidc.secretsManagerName, controller: oidc.controller })) this.auth.add(o);
      }
      authReady = [this.auth.release];
    }

    this.release = new ManifestsRelease(this, "release", { releaseName: "ml-ingress", namespace: "kube-system", dependsOn: [...props.dependsOn, ...authReady] });
    const rule = (s: IngressService, paths: Array<{ path: string; pathType: string }>) => ({
      host: `${s.host}.${props.domain}`,
      http: { paths: paths.map((p) => ({ ...p, backend: { service: { name: s.serviceName, port: s.weighted ? { name: "use-annotation" } : { number: s.servicePort } } } })) },
    });
    const ingress = (name: string, s: IngressService, annotations: Record<string, string>, paths: Array<{ path: string; pathType: string }>): KubernetesObject => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name, namespace: s.namespace, annotations: { ...common, "alb.ingress.kubernetes.io/healthcheck-path": s.healthCheckPath, ...annotations } },
      spec: { ingressClassName: props.ingressClassName, rules: [rule(s, paths)] },
    });
    const sourceIps = JSON.stringify([{ field: "source-ip", sourceIpConfig: { values: [...props.apiCidrs] } }]);
    if (props.services.some((s) => s.weighted)) {
      this.weightedRelease = new ManifestsRelease(this, "weighted", { releaseName: "ml-ingress-models", namespace: "kube-system", dependsOn: [this.release.release, ...(props.weightedDependsOn ?? [])] });
    }
    for (const s of props.services) {
      const api = s.apiPaths ?? [];
      if (api.length) {
        const paths = api.map((p) => (p === "/" ? { path: "/", pathType: "Prefix" } : { path: p, pathType: "ImplementationSpecific" }));
        (s.weighted ? this.weightedRelease! : this.release).add(
          ingress(`${s.host}-api`, s, { "alb.ingress.kubernetes.io/group.order": ORDER.api, [`alb.ingress.kubernetes.io/conditions.${s.serviceName}`]: sourceIps }, paths),
        );
      }
      if (s.ui) {
        this.release.add(ingress(`${s.host}-ui`, s, { "alb.ingress.kubernetes.io/group.order": ORDER.ui, ...loginAnnotations(props.login) }, [{ path: "/", pathType: "Prefix" }]));
      }
    }

    // Typed rather than in the chart: Terraform waits until the controller reports the load balancer's DNS name.
    this.defaultBackend = new IngressV1(this, "default-backend", {
      metadata: {
        name: "ml-ingress-default",
        namespace: "kube-system",
        annotations: {
          ...common,
          "alb.ingress.kubernetes.io/actions.not-found": JSON.stringify({ type: "fixed-response", fixedResponseConfig: { contentType: "text/plain", statusCode: "404", messageBody: "not found" } }),
        },
      },
      spec: { ingressClassName: props.ingressClassName, defaultBackend: { service: { name: "not-found", port: { name: "use-annotation" } } } },
      waitForLoadBalancer: true,
      dependsOn: [this.release.release],
    });
    const hostname = this.defaultBackend.status.get(0).loadBalancer.get(0).ingress.get(0).hostname;
    if (props.hostedZoneId) {
      for (const s of props.services) {
        new Route53Record(this, `record-${s.host}`, { zoneId: props.hostedZoneId, name: `${s.host}.${props.domain}`, type: "CNAME", ttl: 300, records: [hostname] });
      }
    }
  }
}
