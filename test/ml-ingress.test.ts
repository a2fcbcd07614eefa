import { IngressCertificate } from "../constructs/ml/ingress-certificate";
import { synthConstruct } from "./helpers/construct";
import { brokenStaging, problemsOf } from "./helpers/environments";
import { release, releases, renderedObject, renderedObjects } from "./helpers/ml-helm";
import { exampleStack } from "./helpers/delivery-examples";
import { projectEnvironment, resources, stack, type SynthesizedStack } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const A = "alb.ingress.kubernetes.io";
const STG = 'environment "staging"';
// The example environments (docs/delivery.md's model churn added) for staging and prod: they publish a model too.
const mlStack = (env: string): SynthesizedStack => (env === "dev" ? stack("dev-ml") : exampleStack(`${env}-ml`));
const ingresses = (env: string): Any[] => renderedObjects(mlStack(env)).filter(({ obj }) => obj.kind === "Ingress").map(({ obj }) => obj);
const byName = (env: string, name: string): Any => ingresses(env).find((i) => i.metadata.name === name);
const only = (env: string, type: string): Any[] => Object.values(resources(mlStack(env), type));

describe("dev has no domain: no load balancer", () => {
  test("no controller, Ingress, certificate or DNS record; the services stay ClusterIP (kubectl port-forward)", () => {
    expect(releases(stack("dev-ml")).map((r) => r.name)).not.toEqual(expect.arrayContaining(["aws-load-balancer-controller"]));
    expect(releases(stack("dev-ml")).some((r) => r.name.startsWith("ml-ingress"))).toBe(false);
    expect(ingresses("dev")).toEqual([]);
    for (const type of ["aws_acm_certificate", "aws_route53_record", "kubernetes_ingress_v1"]) expect([type, only("dev", type)]).toEqual([type, []]);
    expect(stack("dev-ml").json.output?.mlflow_url).toBeUndefined();
  });
});

describe.each(["staging", "prod"])("%s: every UI and API over HTTPS", (env) => {
  const e = projectEnvironment(env);
  const domain = `${env}.${e.ml.ingress.domain}`;

  test("port 443 with the certificate and a TLS 1.2+ policy; port 80 only redirects; one internal ALB from the VPC", () => {
    const all = ingresses(env);
    // Three UIs (MLflow, Pipelines, Grafana) and four API Ingresses (MLflow, Pipelines, Feast, Triton's model churn).
    expect(all.length).toBe(7);
    for (const i of all) {
      const a = i.metadata.annotations;
      expect([i.metadata.name, JSON.parse(a[`${A}/listen-ports`])]).toEqual([i.metadata.name, [{ HTTP: 80 }, { HTTPS: 443 }]]);
      expect(a).toEqual(
        expect.objectContaining({
          [`${A}/ssl-redirect`]: "443",
          [`${A}/ssl-policy`]: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          [`${A}/scheme`]: "internal",
          [`${A}/group.name`]: `mlp-${env}-ml`,
          [`${A}/inbound-cidrs`]: e.network.vpcCidr,
          [`${A}/certificate-arn`]: expect.any(String),
        }),
      );
    }
    expect(new Set(all.map((i) => i.metadata.annotations[`${A}/certificate-arn`])).size).toBe(1);
  });

  test("hosts are <service>.<env>.<domain>: MLflow, Pipelines and Grafana UIs; Feast and one Triton API per model", () => {
    const hosts = (kind: string) => ingresses(env).filter((i) => i.metadata.name.endsWith(`-${kind}`)).map((i) => i.spec.rules[0].host).sort();
    expect(hosts("ui")).toEqual(["grafana", "mlflow", "pipelines"].map((h) => `${h}.${domain}`));
    expect(hosts("api")).toEqual(["feast", "mlflow", "pipelines", "triton-churn"].map((h) => `${h}.${domain}`));
    expect(mlStack(env).json.output?.mlflow_url?.value).toBe(`https://mlflow.${domain}`);
    expect(release(mlStack(env), "mlflow").values.serverAllowedHosts).toContain(`mlflow.${domain}`);
  });

  test("UI hosts ask browsers to sign in; API paths skip the login but answer only the API networks, and match first", () => {
    const login = e.ml.ingress.auth!.type;
    for (const ui of ingresses(env).filter((i) => i.metadata.name.endsWith("-ui"))) {
      const a = ui.metadata.annotations;
      expect([ui.metadata.name, a[`${A}/auth-type`], a[`${A}/auth-on-unauthenticated-request`], a[`${A}/group.order`]]).toEqual([ui.metadata.name, login, "authenticate", "20"]);
      expect(ui.spec.rules[0].http.paths).toEqual([expect.objectContaining({ path: "/", pathType: "Prefix" })]);
    }
    for (const api of ingresses(env).filter((i) => i.metadata.name.endsWith("-api"))) {
      const a = api.metadata.annotations;
      const service = api.spec.rules[0].http.paths[0].backend.service.name;
      expect(a[`${A}/auth-type`]).toBeUndefined();
      expect(a[`${A}/group.order`]).toBe("10");
      expect(JSON.parse(a[`${A}/conditions.${service}`])).toEqual([{ field: "source-ip", sourceIpConfig: { values: [e.network.vpcCidr] } }]);
    }
    expect(byName(env, "mlflow-api").spec.rules[0].http.paths.map((p: Any) => p.path)).toEqual(["/api/*"]);
    expect(byName(env, "pipelines-api").spec.rules[0].http.paths.map((p: Any) => p.path)).toEqual(["/apis/*"]);
    // The model's traffic split is Argo Rollouts' `actions.triton-churn` annotation (weighted target groups), which it
    // writes itself: the rule names the root Service with `use-annotation`, and the Rollout names this Ingress.
    const split = byName(env, "triton-churn-api");
    expect(split.metadata.namespace).toBe("triton");
    expect(split.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "triton-churn", port: { name: "use-annotation" } });
    expect(Object.keys(split.metadata.annotations).filter((k) => k.startsWith(`${A}/actions.`))).toEqual([]);
    const rollout = renderedObject(mlStack(env), "Rollout", "triton-churn", "triton");
    expect(rollout.spec.strategy.canary.trafficRouting).toEqual({ alb: { ingress: "triton-churn-api", rootService: "triton-churn", servicePort: 8000 } });
  });

  test("the load balancer waits for no model: each model's Ingress is in its own release, after that model's Rollout", () => {
    const s = mlStack(env);
    const id = (name: string) => `helm_release.${release(s, name).address.split(".")[1]}`;
    const main = release(s, "ml-ingress");
    expect(main.values.manifests.map((o: Any) => o.metadata.name)).not.toContain("triton-churn-api");
    expect(main.config.depends_on).toContain(id("triton"));
    expect(main.config.depends_on).not.toContain(id("triton-churn"));
    const models = release(s, "ml-ingress-models");
    expect(models.values.manifests.map((o: Any) => `${o.kind}/${o.metadata.name}`)).toEqual(["Ingress/triton-churn-api"]);
    expect(models.config.depends_on).toEqual(expect.arrayContaining([id("ml-ingress"), id("triton-churn")]));
    // The shipped file serves no model: no model release for the load balancer to wait on.
    expect(releases(stack(`${env}-ml`)).map((r) => r.name)).not.toContain("ml-ingress-models");
    expect(release(stack(`${env}-ml`), "ml-ingress").config.depends_on).toContain(`helm_release.${release(stack(`${env}-ml`), "triton").address.split(".")[1]}`);
  });

  test("a CNAME per host points at the load balancer, whose name Terraform waits for on the default-backend Ingress", () => {
    const [anchorId, anchor] = Object.entries(resources(mlStack(env), "kubernetes_ingress_v1"))[0] as [string, Any];
    expect(anchor.wait_for_load_balancer).toBe(true);
    expect(anchor.spec.default_backend).toEqual({ service: { name: "not-found", port: { name: "use-annotation" } } });
    expect(JSON.parse(anchor.metadata.annotations[`${A}/actions.not-found`]).fixedResponseConfig.statusCode).toBe("404");
    const records = only(env, "aws_route53_record").filter((r) => r.type === "CNAME");
    expect(records.map((r) => r.name).sort()).toEqual(["feast", "grafana", "mlflow", "pipelines", "triton-churn"].map((h) => `${h}.${domain}`));
    for (const r of records) {
      expect(r.zone_id).toBe(e.ml.ingress.hostedZoneId);
      expect(r.records).toEqual([`\${kubernetes_ingress_v1.${anchorId}.status[0].load_balancer[0].ingress[0].hostname}`]);
    }
  });
});

describe("certificates", () => {
  test("staging: a public ACM certificate for *.staging.<domain>, validated in its zone before any Ingress names it", () => {
    const [cert] = Object.entries(resources(stack("staging-ml"), "aws_acm_certificate")) as Array<[string, Any]>;
    expect({ ...cert[1], "//": undefined }).toEqual({ "//": undefined, domain_name: "*.staging.ml.example.com", validation_method: "DNS", lifecycle: { create_before_destroy: true } });
    const [validationId, validation] = Object.entries(resources(stack("staging-ml"), "aws_acm_certificate_validation"))[0] as [string, Any];
    expect(validation.certificate_arn).toBe(`\${aws_acm_certificate.${cert[0]}.arn}`);
    const record = only("staging", "aws_route53_record").find((r) => r.type !== "CNAME");
    expect(record).toEqual(expect.objectContaining({ zone_id: "Z1D633PJN98FT9", name: `\${tolist(aws_acm_certificate.${cert[0]}.domain_validation_options).0.resource_record_name}` }));
    for (const i of ingresses("staging")) expect(i.metadata.annotations[`${A}/certificate-arn`]).toBe(`\${aws_acm_certificate_validation.${validationId}.certificate_arn}`);
  });

  test("prod: the existing certificate from the environment file, nothing issued", () => {
    expect(only("prod", "aws_acm_certificate")).toEqual([]);
    for (const i of ingresses("prod")) expect(i.metadata.annotations[`${A}/certificate-arn`]).toBe(projectEnvironment("prod").ml.ingress.certificate && (projectEnvironment("prod").ml.ingress.certificate as Any).arn);
  });
  test("an AWS Private CA issues a private ACM certificate for the hosts: no DNS validation, ACM renews it", () => {
    const pca = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/12345678-1234-1234-1234-123456789012";
    const { json } = synthConstruct((s) => new IngressCertificate(s, "cert", { domain: "research.ml.example.com", source: { type: "private-ca", certificateAuthorityArn: pca } }));
    const [[id, cert]] = Object.entries(json.resource!.aws_acm_certificate) as Array<[string, Any]>;
    expect({ ...cert, "//": undefined }).toEqual({ "//": undefined, domain_name: "*.research.ml.example.com", certificate_authority_arn: pca, lifecycle: { create_before_destroy: true } });
    expect(json.resource!.aws_route53_record).toBeUndefined();
    expect(json.resource!.aws_acm_certificate_validation).toBeUndefined();
    expect(id).toMatch(/^cert_certificate/);
  });
});

describe("logins", () => {
  test("staging signs in with its Cognito user pool (no secret in the cluster)", () => {
    const idp = JSON.parse(byName("staging", "mlflow-ui").metadata.annotations[`${A}/auth-idp-cognito`]);
    const auth = projectEnvironment("staging").ml.ingress.auth as Any;
    expect(idp).toEqual({ userPoolARN: auth.userPoolArn, userPoolClientID: auth.userPoolClientId, userPoolDomain: auth.userPoolDomain });
    expect(releases(stack("staging-ml")).some((r) => r.name === "ml-ingress-auth")).toBe(false);
  });

  test("prod signs in with its OIDC provider; the client secret is set by hand in Secrets Manager, never in Terraform", () => {
    const auth = projectEnvironment("prod").ml.ingress.auth as Any;
    const idp = JSON.parse(byName("prod", "grafana-ui").metadata.annotations[`${A}/auth-idp-oidc`]);
    expect(idp).toEqual({ issuer: auth.issuer, authorizationEndpoint: auth.authorizationEndpoint, tokenEndpoint: auth.tokenEndpoint, userInfoEndpoint: auth.userInfoEndpoint, secretName: "alb-oidc-client" });
    const secret = Object.values(resources(stack("prod-bootstrap"), "aws_secretsmanager_secret")).find((s: Any) => s.name === "mlp-prod/ingress/oidc-client") as Any;
    expect(secret).toEqual(expect.objectContaining({ kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.secrets-key_\w+\.arn\}$/), lifecycle: { prevent_destroy: true } }));
    expect(Object.values(resources(stack("prod-bootstrap"), "aws_secretsmanager_secret_version"))).toEqual([]);
  });

  test("prod: each UI namespace gets the client Secret through External Secrets, readable by the controller and nothing else", () => {
    const objects = release(stack("prod-ml"), "ml-ingress-auth").values.manifests as Any[];
    const namespaces = ["kubeflow", "mlflow", "monitoring"];
    expect(objects.filter((o) => o.kind === "ExternalSecret").map((o) => o.metadata.namespace).sort()).toEqual(namespaces);
    for (const o of objects.filter((x) => x.kind === "ExternalSecret")) {
      expect(o.spec.dataFrom).toEqual([{ extract: { key: "mlp-prod/ingress/oidc-client" } }]);
      expect(o.spec.target.template.data).toEqual({ clientID: "ml-platform-prod" });
    }
    for (const role of objects.filter((x) => x.kind === "Role")) expect(role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["alb-oidc-client"], verbs: ["get", "list", "watch"] }]);
    for (const binding of objects.filter((x) => x.kind === "RoleBinding")) expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "aws-load-balancer-controller", namespace: "kube-system" }]);
    // The chart's cluster-wide Secrets access stays off.
    expect(release(stack("prod-ml"), "aws-load-balancer-controller").values.clusterSecretsPermissions).toBeUndefined();
    const esoPolicy = Object.values(resources(stack("prod-platform"), "aws_iam_role_policy")).find((p: Any) => p.name === "secrets") as Any;
    expect(esoPolicy.policy).toMatch(/ingress-oidc-client/);
  });
});

describe("bad ingress settings are rejected", () => {
  const ingress = (mutate: (i: Any) => void) => brokenStaging((e) => mutate(e.ml.ingress));

  test("fails an enabled ingress without a domain, saying what dev gets instead", () => {
    expect(problemsOf("staging", ingress((i) => delete i.domain))).toEqual([
      `${STG}: ml.ingress.domain: got nothing; is required with enabled: the load balancer serves HTTPS only and a certificate needs a name; without a domain leave ingress disabled and use kubectl port-forward`,
    ]);
  });

  test("fails without a login for the UIs", () => {
    expect(problemsOf("staging", ingress((i) => delete i.auth))).toEqual([
      `${STG}: ml.ingress.auth: got nothing; is required with enabled: the UIs have no login of their own (set type oidc with your identity provider, or cognito)`,
    ]);
  });

  test("fails without a certificate or a zone to validate a new one in", () => {
    expect(problemsOf("staging", ingress((i) => delete i.hostedZoneId))).toEqual([
      `${STG}: ml.ingress.hostedZoneId: got nothing; is required unless certificate is set: a new ACM certificate is validated through DNS records in this zone`,
    ]);
  });

  test("fails a certificate of another region", () => {
    const arn = "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012";
    expect(problemsOf("staging", ingress((i) => (i.certificate = { arn })))).toEqual([
      expect.stringMatching(/^environment "staging": ml\.ingress\.certificate\.arn: got "arn:aws:acm:eu-west-1:.*; must be a certificate in us-east-1: a load balancer uses certificates of its own region only$/),
    ]);
  });

  test("fails more API networks than a load balancer rule holds, and an http:// identity provider", () => {
    const problems = problemsOf(
      "staging",
      ingress((i) => {
        i.apiCidrs = ["10.30.0.0/16", "10.31.0.0/16", "10.32.0.0/16", "10.33.0.0/16"];
        i.auth = { type: "oidc", issuer: "http://idp.example.com", authorizationEndpoint: "https://a", tokenEndpoint: "https://t", userInfoEndpoint: "https://u", clientId: "c" };
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^environment "staging": ml\.ingress\.apiCidrs: got \[.*\]; must list at most 3 networks: a load balancer rule holds 5 condition values/),
      `${STG}: ml.ingress.auth.issuer: got "http://idp.example.com"; must be an https:// URL`,
    ]);
  });
});
