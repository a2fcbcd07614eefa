import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectEnvironment, synthesizeAll } from "../helpers/synth";

/** Attributes whose value is a secret: none of them may cross a stack (secrets cross as Secrets Manager ARNs). */
const SECRET_ATTRIBUTE = /(^|[._\]])(password|secret_string|secret_binary|token|private_key|access_key|secret_access_key|auth_token|kubeconfig)(\b|_wo$)/;

/** Every output cdktf created for a cross-stack reference: stack, output id and the reference it exports. */
function crossStackOutputs(): Array<{ stack: string; id: string; value: string; sensitive: unknown }> {
  return synthesizeAll().stacks.flatMap((s) =>
    Object.entries(s.json.output ?? {})
      .filter(([id]) => id.startsWith("cross-stack-output-"))
      .map(([id, o]) => ({ stack: s.id, id, value: String(o.value), sensitive: o.sensitive })),
  );
}

describe("values that cross stacks", () => {
  const outputs = crossStackOutputs();

  test("exist (bootstrap exports CI roles, the GitHub connection and receiver secrets; foundation the cluster, network and data stores)", () => {
    expect(outputs.length).toBeGreaterThan(30);
    expect(new Set(outputs.map((o) => o.stack.replace(/^.*-(?=bootstrap$|foundation$|platform$|ml$)/, "")))).toEqual(new Set(["bootstrap", "foundation"]));
  });

  test("are not marked sensitive, so plans show the NodePool, MLflow and ingress values built from them", () => {
    expect(outputs.filter((o) => o.sensitive !== false).map((o) => `${o.stack}: ${o.id}`)).toEqual([]);
  });

  test("none is a secret: every exported attribute is an id, name, ARN, endpoint, address or certificate authority", () => {
    const attributes = [...new Set(outputs.map((o) => /^\$\{[a-z0-9_]+\.[^.]+\.(.+)\}$/.exec(o.value)?.[1] ?? o.value))].sort();
    expect(attributes.filter((a) => SECRET_ATTRIBUTE.test(a))).toEqual([]);
    expect(attributes).toEqual([
      "address",
      "arn",
      "bucket",
      "certificate_authority[0].data",
      // The FSx file system's DNS and Lustre mount names, for the training volumes (stacks/ml/resilience.ts).
      "dns_name",
      "endpoint",
      "id",
      "identity[0].oidc[0].issuer",
      "master_user_secret[0].secret_arn",
      "mount_name",
      "name",
      "vpc_config[0].cluster_security_group_id",
    ]);
  });

  test("the secret-attribute rule can fail: it flags a password, a secret string and a token", () => {
    expect(["password", "master_password", "secret_string", "secret_string_wo", "token", "arn", "secret_arn"].filter((a) => SECRET_ATTRIBUTE.test(a))).toEqual([
      "password",
      "master_password",
      "secret_string",
      "secret_string_wo",
      "token",
    ]);
  });
});

describe("the stack graph", () => {
  const manifest = JSON.parse(readFileSync(join(synthesizeAll().outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };

  test.each(Object.keys(manifest.stacks).filter((s) => s.endsWith("-ml")))("%s depends on its platform stack (CRDs, External Secrets, node pools) and foundation", (ml) => {
    const env = ml.slice(0, -"-ml".length);
    // The bootstrap stack only where the load balancer's OIDC login reads its client secret from there.
    const oidc = projectEnvironment(env).ml.ingress.auth?.type === "oidc";
    expect([...manifest.stacks[ml].dependencies].sort()).toEqual([...(oidc ? [`${env}-bootstrap`] : []), `${env}-foundation`, `${env}-platform`]);
    expect(manifest.stacks[`${env}-platform`].dependencies).toContain(`${env}-foundation`);
    expect(manifest.stacks[`${env}-foundation`].dependencies).toEqual([`${env}-bootstrap`]);
  });

  test.each(Object.keys(manifest.stacks).filter((s) => s.endsWith("-teams")))("%s comes after its ML stack (the kubeflow namespace, the platform's Kueue CRDs) and reads the foundation", (teams) => {
    const env = teams.slice(0, -"-teams".length);
    expect([...manifest.stacks[teams].dependencies].sort()).toEqual([`${env}-foundation`, `${env}-ml`]);
  });
});
