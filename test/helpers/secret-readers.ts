import { releases } from "./ml-helm";
import { simulate, TokenResolver, type PolicyDoc } from "./ml-iam";
import type { SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A secret the stacks create (or RDS creates for them), by the name people know it by. */
interface SecretSite {
  readonly label: string;
  readonly arn: string;
}

/** Who uses a role: pods through Pod Identity, or ExternalSecrets through a store that assumes it. */
interface RoleUse {
  readonly roleArn: string;
  readonly reader: string;
}

/** Every secret of the stacks: Secrets Manager secrets by name, RDS-managed master secrets by instance. */
function secretsOf(stacks: readonly SynthesizedStack[], resolver: TokenResolver): SecretSite[] {
  const out: SecretSite[] = [];
  for (const s of stacks) {
    for (const [id, cfg] of Object.entries((s.json.resource?.aws_secretsmanager_secret ?? {}) as Record<string, Any>)) {
      out.push({ label: String(cfg.name), arn: resolver.resolve(`\${aws_secretsmanager_secret.${id}.arn}`, s.id) });
    }
    for (const [id, cfg] of Object.entries((s.json.resource?.aws_db_instance ?? {}) as Record<string, Any>)) {
      if (cfg.manage_master_user_password) out.push({ label: `RDS master secret of ${cfg.identifier}`, arn: resolver.resolve(`\${aws_db_instance.${id}.master_user_secret[0].secret_arn}`, s.id) });
    }
  }
  return out;
}

/** The operator's role: the one associated with the External Secrets controller's service account. */
const OPERATOR_SERVICE_ACCOUNT = "external-secrets/external-secrets";

/** What reads through each role: Pod Identity associations and SecretStores / ClusterSecretStores naming it. */
function usesOf(stacks: readonly SynthesizedStack[], resolver: TokenResolver): RoleUse[] {
  const uses: RoleUse[] = [];
  let operatorArn: string | undefined;
  for (const s of stacks) {
    for (const a of Object.values((s.json.resource?.aws_eks_pod_identity_association ?? {}) as Record<string, Any>)) {
      const roleArn = resolver.resolve(String(a.role_arn), s.id);
      uses.push({ roleArn, reader: `pods of ${a.namespace}/${a.service_account}` });
      if (`${a.namespace}/${a.service_account}` === OPERATOR_SERVICE_ACCOUNT) operatorArn = roleArn;
    }
  }
  for (const s of stacks) {
    for (const r of releases(s)) {
      for (const o of (r.values.manifests ?? []) as Any[]) {
        if (o.kind !== "SecretStore" && o.kind !== "ClusterSecretStore") continue;
        // A store without a role reads with the operator's own credentials.
        const roleArn = o.spec.provider?.aws?.role ?? operatorArn;
        if (!roleArn) continue;
        uses.push({ roleArn, reader: storeReaders(o, r.namespace) });
      }
    }
  }
  return uses;
}

/** The namespaces whose ExternalSecrets can use a store. */
function storeReaders(store: Any, releaseNamespace: string): string {
  if (store.kind === "SecretStore") return `ExternalSecrets of namespace ${store.metadata.namespace ?? releaseNamespace}`;
  const conditions = (store.spec.conditions ?? []) as Any[];
  if (!conditions.length) return "ExternalSecrets of every namespace";
  const named = conditions.flatMap((c) => c.namespaces ?? []);
  const other = conditions.filter((c) => c.namespaceSelector || c.namespaceRegexes).map((c) => JSON.stringify(c.namespaceSelector ?? c.namespaceRegexes));
  return `ExternalSecrets of namespaces ${[...named, ...other].join(", ")}`;
}

/**
 * For every secret the stacks of one environment create, who can read it (GetSecretValue, decided by IAM policy
 * evaluation of every role's inline policies): pods through their Pod Identity role, and namespaces through the
 * SecretStore or ClusterSecretStore whose role (or the operator's own, for a store without one) reads it.
 */
export async function secretReaders(stacks: readonly SynthesizedStack[], resolver = new TokenResolver(stacks)): Promise<Record<string, string[]>> {
  const aws = (stacks[0].json.provider?.aws ?? [])[0] as Any;
  const account = aws.allowed_account_ids[0];
  const policies = new Map<string, PolicyDoc[]>();
  for (const s of stacks) {
    const roles = Object.entries((s.json.resource?.aws_iam_role ?? {}) as Record<string, Any>);
    for (const p of Object.values((s.json.resource?.aws_iam_role_policy ?? {}) as Record<string, Any>)) {
      if (!String(p.policy).includes("secretsmanager:")) continue;
      const role = roles.find(([id]) => p.role === `\${aws_iam_role.${id}.id}`);
      if (!role) throw new Error(`${s.id}: policy ${p.name} names a role this stack does not create (${p.role})`);
      const arn = `arn:aws:iam::${account}:role/${role[1].name}`;
      policies.set(arn, [...(policies.get(arn) ?? []), JSON.parse(resolver.resolve(p.policy, s.id)) as PolicyDoc]);
    }
  }
  const uses = usesOf(stacks, resolver);
  const out: Record<string, string[]> = {};
  for (const secret of secretsOf(stacks, resolver)) {
    const readers = new Set<string>();
    for (const [roleArn, docs] of policies) {
      if ((await simulate(account, docs, { action: "secretsmanager:GetSecretValue", resource: secret.arn })) !== "Allowed") continue;
      const users = uses.filter((u) => u.roleArn === roleArn).map((u) => u.reader);
      const name = roleArn.split("/").pop()!;
      // CI roles are assumed by GitHub jobs (their OIDC trust is checked in test/stacks/bootstrap-stack.test.ts).
      const ci = /-ci-(pr|plan|apply)$/.exec(name);
      for (const u of users.length ? users : [ci ? `CI role ${name}` : `nobody (role ${name} is used by no pod or store)`]) readers.add(u);
    }
    out[secret.label] = [...readers].sort();
  }
  return out;
}
