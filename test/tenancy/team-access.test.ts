// Team members' access, audited over every stack of every environment (namespace-scoped only, their own teams only),
// and each team's Pod Identity role decided by IAM policy simulation: its own prefix in the ML buckets, nobody else's.
import { parse, stringify } from "yaml";
import { keyPolicyFor, rolePolicies, simulate, TokenResolver, type PolicyDoc } from "../helpers/ml-iam";
import { projectEnvironment, projectEnvironments, resources, stack, synthesizeAll, type SynthesizedStack } from "../helpers/synth";
import { auditTeamAccess } from "../helpers/team-access-audit";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const envStacks = (env: string) => synthesizeAll().stacks.filter((s) => s.id.startsWith(`${env}-`));

/** The environment's stacks with its teams stack changed by `change` (a deep copy). */
function withTeamsStack(env: string, change: (json: Any) => void): SynthesizedStack[] {
  return envStacks(env).map((s) => {
    if (s.id !== `${env}-teams`) return s;
    const json = structuredClone(s.json);
    change(json);
    return { ...s, json };
  });
}

describe.each(projectEnvironments().map((e) => e.name))("%s: team members' access", (env) => {
  test("namespace-scoped only: their teams' groups and namespaces, AmazonEKSEditPolicy, Roles without escalation, no cluster-wide rights", () => {
    expect(auditTeamAccess(projectEnvironment(env), envStacks(env))).toEqual([]);
  });
});

test("staging's permission-set role in two teams has one entry with both groups and both namespaces", () => {
  const entries = Object.values(resources(stack("staging-teams"), "aws_eks_access_entry")) as Any[];
  const sso = entries.filter((e) => e.principal_arn.includes("AWSReservedSSO_MLEngineer"));
  expect(sso.map((e) => e.kubernetes_groups)).toEqual([["ml-platform:team:nlp", "ml-platform:team:vision"]]);
  const assoc = (Object.values(resources(stack("staging-teams"), "aws_eks_access_policy_association")) as Any[]).filter((a) => a.access_scope.namespaces.length === 2);
  expect(assoc.map((a) => a.access_scope)).toEqual([{ type: "namespace", namespaces: ["nlp", "vision"] }]);
});

describe("the access audit can fail", () => {
  const staging = projectEnvironment("staging");
  const assoc = (json: Any) => Object.values(json.resource.aws_eks_access_policy_association) as Any[];

  test("a member's association widened to the whole cluster, or to cluster admin", () => {
    const cluster = withTeamsStack("staging", (j) => (assoc(j)[1].access_scope = { type: "cluster" }));
    expect(auditTeamAccess(staging, cluster)).toEqual([
      expect.stringMatching(/nlp-ml-engineers.* has a cluster-wide association$/),
      expect.stringMatching(/arn:aws:iam::111122223333:role\/nlp-ml-engineers has a cluster-wide association and is no admin or CI role$/),
    ]);
    const admin = withTeamsStack("staging", (j) => (assoc(j)[2].policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"));
    expect(auditTeamAccess(staging, admin)).toEqual([expect.stringMatching(/vision-ml-engineers gets arn:aws:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy, not .*AmazonEKSEditPolicy$/)]);
  });

  test("a member reaching another team's namespace, or mapped to its group", () => {
    const other = withTeamsStack("staging", (j) => (assoc(j)[2].access_scope.namespaces = ["vision", "nlp"]));
    expect(auditTeamAccess(staging, other)).toEqual([expect.stringMatching(/vision-ml-engineers reaches namespaces \["vision","nlp"\], not exactly its teams' \(vision\)$/)]);
    const group = withTeamsStack("staging", (j) => ((Object.values(j.resource.aws_eks_access_entry) as Any[])[2].kubernetes_groups = ["ml-platform:team:vision", "ml-platform:team:nlp"]));
    expect(auditTeamAccess(staging, group)).toEqual([
      expect.stringMatching(/groups \["ml-platform:team:vision","ml-platform:team:nlp"\] are not exactly its teams' \(ml-platform:team:vision\)$/),
      expect.stringMatching(/vision-ml-engineers is mapped to ml-platform:team:nlp without being a member$/),
    ]);
  });

  test("a team group bound cluster-wide, or to a ClusterRole, or a Role that escalates", () => {
    const binding = (kind: string, roleRef: Any, namespace?: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind,
      metadata: { name: "extra", ...(namespace ? { namespace } : {}) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "ml-platform:team:vision" }],
    });
    const stacks = envStacks("staging").map((s) => ({ ...s, json: structuredClone(s.json) }));
    const teams = stacks.find((s) => s.id === "staging-teams")!;
    const [, vision] = Object.entries(teams.json.resource!.helm_release).find(([, r]) => (r as Any).name === "team-vision")! as [string, Any];
    const values = parse(vision.values[0]);
    values.manifests.push(binding("ClusterRoleBinding", { kind: "ClusterRole", name: "edit" }));
    values.manifests.push(binding("RoleBinding", { kind: "ClusterRole", name: "admin" }, "vision"));
    values.manifests.push(binding("RoleBinding", { kind: "Role", name: "team-member" }, "nlp"));
    values.manifests.find((o: Any) => o.kind === "Role").rules.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "bind"] });
    vision.values = [stringify(values)];
    expect(auditTeamAccess(staging, stacks)).toEqual([
      expect.stringMatching(/RoleBinding\/vision\/team-members: Role team-member grants bind, rbac\.authorization\.k8s\.io$/),
      expect.stringMatching(/ClusterRoleBinding\/\/extra: binds ml-platform:team:vision cluster-wide$/),
      expect.stringMatching(/RoleBinding\/vision\/extra: binds ClusterRole admin \(team groups get namespaced Roles only\)$/),
      expect.stringMatching(/RoleBinding\/nlp\/extra: binds ml-platform:team:vision in another team's namespace$/),
    ]);
  });
});

describe("each team's Pod Identity role reaches only its own prefix in the ML buckets", () => {
  let resolver: TokenResolver;
  beforeAll(() => {
    resolver = new TokenResolver(synthesizeAll().stacks);
  });
  const policies = (env: string, team: string): PolicyDoc[] => rolePolicies(stack(`${env}-teams`), `mlp-${env}-team-${team}`, resolver);
  const bucket = (env: string, purpose: string) => `mlp-${env}-${purpose}-${projectEnvironment(env).account.id}`;

  test.each(projectEnvironments().flatMap((e) => e.teams.tenants.map((t) => [e.name, t.name] as const)))("%s %s: one prefix per bucket, its own", (env, team) => {
    const resourcesOf = policies(env, team).flatMap((d) => d.Statement.filter((s: Any) => String(s.Action).startsWith("s3:") || (Array.isArray(s.Action) && s.Action[0].startsWith("s3:"))).flatMap((s: Any) => [s.Resource].flat()));
    // Where checkpoints go to S3 (Mountpoint, no FSx), the team's own checkpoint prefix of the training bucket too.
    const storage = projectEnvironment(env).resilience.storage;
    const training = storage.mountpoint.enabled && !storage.fsx ? [`arn:aws:s3:::${bucket(env, "training")}`, `arn:aws:s3:::${bucket(env, "training")}/teams/${team}/checkpoints/*`] : [];
    expect(resourcesOf.sort()).toEqual(
      [...["mlflow-artifacts", "pipelines"].flatMap((p) => [`arn:aws:s3:::${bucket(env, p)}`, `arn:aws:s3:::${bucket(env, p)}/teams/${team}/*`]), ...training].sort(),
    );
    const assoc = (Object.values(resources(stack(`${env}-teams`), "aws_eks_pod_identity_association")) as Any[]).filter((a) => a.namespace === team);
    expect(assoc.map((a) => a.service_account)).toEqual(["default"]);
  });

  test("staging: vision reads and writes teams/vision/, and cannot read, write or list nlp's data or the rest of the buckets", async () => {
    const p = policies("staging", "vision");
    const account = projectEnvironment("staging").account.id;
    const object = (purpose: string, key: string) => `arn:aws:s3:::${bucket("staging", purpose)}/${key}`;
    const decide = (action: string, resource: string, context?: Record<string, string>) => simulate(account, p, { action, resource, ...(context ? { context } : {}) });
    for (const purpose of ["pipelines", "mlflow-artifacts"]) {
      expect(await decide("s3:PutObject", object(purpose, "teams/vision/datasets/part-0.parquet"))).toBe("Allowed");
      expect(await decide("s3:GetObject", object(purpose, "teams/vision/checkpoints/step-100.pt"))).toBe("Allowed");
      expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket("staging", purpose)}`, { "s3:prefix": "teams/vision/" })).toBe("Allowed");
      expect(await decide("s3:GetObject", object(purpose, "teams/nlp/checkpoints/step-100.pt"))).toBe("ImplicitlyDenied");
      expect(await decide("s3:PutObject", object(purpose, "teams/nlp/x"))).toBe("ImplicitlyDenied");
      expect(await decide("s3:ListBucket", `arn:aws:s3:::${bucket("staging", purpose)}`, { "s3:prefix": "teams/nlp/" })).toBe("ImplicitlyDenied");
      expect(await decide("s3:GetObject", object(purpose, "v2/artifacts/run-1/model"))).toBe("ImplicitlyDenied");
    }
    expect(await decide("s3:GetObject", object("triton-models", "teams/vision/x"))).toBe("ImplicitlyDenied");
    const f = stack("staging-foundation");
    const keyId = Object.keys(resources(f, "aws_kms_key")).find((k) => k.startsWith("ml-data_data-key"))!;
    const key = resolver.resolve(`\${aws_kms_key.${keyId}.arn}`, f.id);
    const keyPolicy = keyPolicyFor(synthesizeAll().stacks, resolver, key);
    expect(await simulate(account, p, { action: "kms:GenerateDataKey", resource: key, context: { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, resourcePolicy: keyPolicy })).toBe("Allowed");
    expect(await simulate(account, p, { action: "kms:Decrypt", resource: key, resourcePolicy: keyPolicy })).toBe("ImplicitlyDenied");
  });

  test("dev: sandbox's checkpoint volume (Mountpoint with the pod's role) writes teams/sandbox/checkpoints/ of the training bucket, nothing else there", async () => {
    const p = policies("dev", "sandbox");
    const account = projectEnvironment("dev").account.id;
    const training = `arn:aws:s3:::${bucket("dev", "training")}`;
    const decide = (action: string, resource: string, context?: Record<string, string>) => simulate(account, p, { action, resource, ...(context ? { context } : {}) });
    for (const action of ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]) {
      expect(await decide(action, `${training}/teams/sandbox/checkpoints/runs/sandbox/job-1/step-100.pt`)).toBe("Allowed");
    }
    expect(await decide("s3:ListBucket", training, { "s3:prefix": "teams/sandbox/checkpoints/" })).toBe("Allowed");
    // The training namespace's checkpoints, another team's, and the shared datasets (read through the driver's role).
    expect(await decide("s3:GetObject", `${training}/checkpoints/runs/training/job-1/step-100.pt`)).toBe("ImplicitlyDenied");
    expect(await decide("s3:GetObject", `${training}/teams/vision/checkpoints/runs/vision/job-1/step-100.pt`)).toBe("ImplicitlyDenied");
    expect(await decide("s3:ListBucket", training, { "s3:prefix": "teams/vision/checkpoints/" })).toBe("ImplicitlyDenied");
    expect(await decide("s3:PutObject", `${training}/datasets/x`)).toBe("ImplicitlyDenied");
  });
});
