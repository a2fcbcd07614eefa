import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { EksCluster } from "../../constructs/eks/cluster";
import { AwsLoadBalancerController } from "../../constructs/ml/aws-load-balancer-controller";
import type { IngressLogin } from "../../constructs/ml/ingress-auth";
import { IngressCertificate, type CertificateSource } from "../../constructs/ml/ingress-certificate";
import { MlIngress, type IngressService, type OidcClientStore } from "../../constructs/ml/ml-ingress";
import type { IExternalSecrets } from "../../constructs/secrets/external-secrets-api";
import type { Environment } from "../../environments/lib/schema";
import type { BootstrapStack } from "../bootstrap-stack";
import { clusterName, costTags, namePrefix } from "../naming";

export interface MlEdgeProps {
  readonly env: Environment;
  readonly cluster: EksCluster;
  readonly vpcId: string;
  readonly bootstrap: BootstrapStack;
  /** The platform stack's External Secrets (applied before this stack: its store and the grant made here). */
  readonly externalSecrets: IExternalSecrets;
  readonly services: readonly IngressService[];
  /** The releases that create the services' namespaces and Services. */
  readonly dependsOn: ITerraformDependable[];
  /** The model Rollouts' releases: only their own Ingresses wait for them. */
  readonly modelReleases: ITerraformDependable[];
}

/** The environment's host suffix: `<env>.<domain>`, so a fork's hosts and records never collide with its parent's. */
export function ingressDomain(env: Environment): string {
  return `${env.name}.${env.ml.ingress.domain}`;
}

/** Where the ingress certificate comes from: the environment's certificate, or a new one validated in its zone. */
export function certificateSource(env: Environment): CertificateSource {
  const { certificate, hostedZoneId } = env.ml.ingress;
  if (certificate && "arn" in certificate) return { type: "existing", arn: certificate.arn };
  if (certificate) return { type: "private-ca", certificateAuthorityArn: certificate.privateCertificateAuthorityArn };
  if (!hostedZoneId) throw new Error(`environment "${env.name}": ml.ingress needs certificate or hostedZoneId (validation should have said so)`);
  return { type: "acm-dns", hostedZoneId };
}

/**
 * The ML stack's network edge, when the environment enables it: the AWS Load Balancer Controller, the certificate for
 * `*.<domain>`, and the HTTPS load balancer with its login for the UIs and network-restricted API paths. With an OIDC
 * login, External Secrets may read the client secret the bootstrap stack holds.
 */
export class MlEdge extends Construct {
  readonly controller: AwsLoadBalancerController;
  readonly certificate: IngressCertificate;
  readonly ingress: MlIngress;

  constructor(scope: Construct, id: string, props: MlEdgeProps) {
    super(scope, id);
    const { env } = props;
    const settings = env.ml.ingress;
    const prefix = namePrefix(env);
    if (!settings.domain || !settings.auth) throw new Error(`environment "${env.name}": ml.ingress needs domain and auth (validation should have said so)`);
    this.controller = new AwsLoadBalancerController(this, "aws-load-balancer-controller", {
      cluster: props.cluster,
      clusterName: clusterName(env),
      accountId: env.account.id,
      region: env.account.region,
      vpcId: props.vpcId,
      roleName: `${prefix}-aws-load-balancer-controller`,
      defaultTags: costTags(env),
    });
    const domain = ingressDomain(env);
    this.certificate = new IngressCertificate(this, "certificate", { domain, source: certificateSource(env) });
    const login: IngressLogin = settings.auth;
    const oidcSecret = props.bootstrap.ingressOidcClient;
    // Each UI namespace reads the client secret through its own SecretStore: the one it already has (MLflow's,
    // monitoring's), or one made here (kubeflow's).
    const stores: OidcClientStore[] = [];
    if (login.type === "oidc" && oidcSecret) {
      for (const namespace of [...new Set(props.services.filter((s) => s.ui).map((s) => s.namespace))].sort()) {
        const existing = props.externalSecrets.existingStore(namespace);
        const store = existing ?? props.externalSecrets.secretStore(this, namespace);
        store.allowSecret(oidcSecret.secret.arn, oidcSecret.kmsKeyArn);
        stores.push({ store, render: !existing });
      }
    }
    const apiCidrs = settings.apiCidrs ?? [env.network.vpcCidr];
    this.ingress = new MlIngress(this, "ingress", {
      groupName: `${prefix}-ml`,
      ingressClassName: this.controller.ingressClassName,
      scheme: settings.scheme,
      domain,
      certificateArn: this.certificate.certificateArn,
      // The security group admits API clients too: a network listed only in apiCidrs could not connect otherwise.
      allowedCidrs: [...new Set([...(settings.allowedCidrs ?? [env.network.vpcCidr]), ...apiCidrs])],
      apiCidrs,
      login,
      oidcClient: login.type === "oidc" && oidcSecret
        ? { secretsManagerName: oidcSecret.secretName, stores, controller: { namespace: this.controller.namespace, serviceAccount: this.controller.serviceAccount } }
        : undefined,
      services: props.services,
      hostedZoneId: settings.hostedZoneId,
      dependsOn: [this.controller.chart.release, ...props.dependsOn],
      weightedDependsOn: props.modelReleases,
    });
  }
}

/** The services the edge publishes, from the ML stack's constructs (namespaces, Service names, ports, health paths). */
export function edgeServices(s: {
  mlflow: { namespace: string; serviceName: string };
  pipelinesNamespace: string;
  feastNamespace: string;
  /** One host per served model, `triton-<model>`, split between its stable and canary by Argo Rollouts. */
  tritonModels: ReadonlyArray<{ namespace: string; serviceName: string }>;
  grafana: { namespace: string; serviceName: string };
}): IngressService[] {
  return [
    // The MLflow SDK calls /api/2.0/... and /api/3.0/...; the UI's own calls go to /ajax-api behind the login.
    { host: "mlflow", namespace: s.mlflow.namespace, serviceName: s.mlflow.serviceName, servicePort: 80, healthCheckPath: "/health", ui: true, apiPaths: ["/api/*"] },
    // kfp.Client(host=...) calls /apis/v2beta1/...; the UI's Service proxies /apis to the API server.
    { host: "pipelines", namespace: s.pipelinesNamespace, serviceName: "ml-pipeline-ui", servicePort: 80, healthCheckPath: "/apis/v1beta1/healthz", ui: true, apiPaths: ["/apis/*"] },
    { host: "grafana", namespace: s.grafana.namespace, serviceName: s.grafana.serviceName, servicePort: 80, healthCheckPath: "/api/health", ui: true },
    { host: "feast", namespace: s.feastNamespace, serviceName: "feast-feature-server", servicePort: 80, healthCheckPath: "/health", ui: false, apiPaths: ["/"] },
    ...s.tritonModels.map((t) => ({ host: t.serviceName, namespace: t.namespace, serviceName: t.serviceName, servicePort: 8000, healthCheckPath: "/v2/health/ready", ui: false, apiPaths: ["/"], weighted: true })),
  ];
}
