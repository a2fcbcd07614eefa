import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";

/** One in-cluster HTTP service published on its own listener port of the shared load balancer. */
export interface IngressRoute {
  /** Ingress name (also used in the plan). */
  readonly name: string;
  readonly namespace: string;
  readonly serviceName: string;
  readonly servicePort: number;
  /** Listener port on the load balancer (unique per route). */
  readonly listenPort: number;
  /** Path the load balancer's health check requests on the pods. */
  readonly healthCheckPath: string;
}

export interface MlIngressProps {
  /** IngressGroup and load balancer name (at most 32 characters). */
  readonly groupName: string;
  readonly ingressClassName: string;
  readonly scheme: "internal" | "internet-facing";
  /** Source CIDRs of the load balancer's security group. */
  readonly allowedCidrs: readonly string[];
  readonly routes: readonly IngressRoute[];
  /** The controller release and the releases that create the target namespaces and Services. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * One Application Load Balancer (an IngressGroup) in front of the ML services, one listener port per service, so
 * no host names or path rewriting are needed. HTTP only and internal by default: the UIs have no authentication of
 * their own, and TLS needs a certificate and DNS name this repository does not manage.
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
 */
export class MlIngress extends Construct {
  readonly release: ManifestsRelease;

  constructor(scope: Construct, id: string, props: MlIngressProps) {
    super(scope, id);
    if (props.groupName.length > 32) throw new Error(`ingress group name must be at most 32 characters (load balancer name limit), got "${props.groupName}"`);
    const ports = props.routes.map((r) => r.listenPort);
    if (new Set(ports).size !== ports.length) throw new Error(`ingress listener ports must be unique, got ${ports.join(", ")}`);
    this.release = new ManifestsRelease(this, "release", { releaseName: "ml-ingress", namespace: "kube-system", dependsOn: props.dependsOn });
    for (const r of props.routes) {
      const ingress: KubernetesObject = {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: {
          name: r.name,
          namespace: r.namespace,
          annotations: {
            "alb.ingress.kubernetes.io/group.name": props.groupName,
            "alb.ingress.kubernetes.io/load-balancer-name": props.groupName,
            "alb.ingress.kubernetes.io/scheme": props.scheme,
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([{ HTTP: r.listenPort }]),
            "alb.ingress.kubernetes.io/inbound-cidrs": props.allowedCidrs.join(","),
            "alb.ingress.kubernetes.io/healthcheck-path": r.healthCheckPath,
          },
        },
        spec: {
          ingressClassName: props.ingressClassName,
          rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: r.serviceName, port: { number: r.servicePort } } } }] } }],
        },
      };
      this.release.add(ingress);
    }
  }
}
