import { runSimulation, runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import type { SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/**
 * Policy evaluation on synthesized Terraform.
 *
 * ARNs of resources Terraform creates are tokens in the JSON (`${aws_s3_bucket.x.arn}`), and across stacks
 * `${data.terraform_remote_state.<in>.outputs.<out>}` whose producer output holds the token. Before simulating, every
 * token is replaced by a concrete ARN built from the resource's own configuration (bucket name, role name) or, where
 * AWS assigns the id (KMS key, RDS-managed secret), from its logical id. The substitution is deterministic and
 * consistent across stacks, so a grant made in one stack on a resource of another resolves to the same ARN the
 * resource itself resolves to. Unknown token shapes throw, so a new kind of reference cannot silently pass.
 */
export class TokenResolver {
  constructor(private readonly stacks: readonly SynthesizedStack[]) {}

  private stack(id: string): SynthesizedStack {
    const s = this.stacks.find((x) => x.id === id);
    if (!s) throw new Error(`no stack ${id}`);
    return s;
  }

  private env(stack: SynthesizedStack): { region: string; account: string } {
    const aws = (stack.json.provider?.aws ?? [])[0] as Any;
    return { region: aws.region, account: aws.allowed_account_ids[0] };
  }

  /** Replaces every `${...}` reference in `text` with a concrete value, as seen from `stackId`. */
  resolve(text: string, stackId: string): string {
    return text.replace(/\$\{([^}]+)\}/g, (_, expr: string) => this.resolveExpression(expr.trim(), stackId));
  }

  private resolveExpression(expr: string, stackId: string): string {
    const stack = this.stack(stackId);
    const remote = /^data\.terraform_remote_state\.([^.]+)\.outputs\.(.+)$/.exec(expr);
    if (remote) {
      const producer = remote[1].replace(/^cross-stack-reference-input-/, "");
      const out = this.stack(producer).json.output?.[remote[2]];
      if (!out) throw new Error(`${producer} has no output ${remote[2]}`);
      return this.resolve(String(out.value), producer);
    }
    const ref = /^(aws_[a-z0-9_]+)\.([^.]+)\.(.+)$/.exec(expr);
    if (!ref) throw new Error(`cannot resolve reference \${${expr}} in ${stackId}`);
    const [, type, id, attr] = ref;
    const cfg = stack.json.resource?.[type]?.[id] as Any;
    if (!cfg) throw new Error(`${stackId} has no ${type}.${id}`);
    const { region, account } = this.env(stack);
    const key = `${type}.${attr}`;
    switch (key) {
      case "aws_s3_bucket.arn":
        return `arn:aws:s3:::${cfg.bucket}`;
      case "aws_s3_bucket.bucket":
      case "aws_s3_bucket.id":
        return cfg.bucket;
      case "aws_kms_key.arn":
        return `arn:aws:kms:${region}:${account}:key/${fakeId(`${stackId}/${id}`)}`;
      case "aws_eks_cluster.name":
        return cfg.name;
      case "aws_iam_role.arn":
        return `arn:aws:iam::${account}:role/${cfg.name}`;
      case "aws_secretsmanager_secret.arn":
        return `arn:aws:secretsmanager:${region}:${account}:secret:${cfg.name}-AbCdEf`;
      case "aws_prometheus_workspace.arn":
        return `arn:aws:aps:${region}:${account}:workspace/ws-${fakeId(`${stackId}/${id}`)}`;
      case "aws_db_instance.master_user_secret[0].secret_arn":
        return `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-${fakeId(`${stackId}/${id}`)}-AbCdEf`;
      default:
        throw new Error(`no fake value for \${${expr}} (${key}); add one to TokenResolver`);
    }
  }
}

/** A stable UUID-shaped id for a logical id. */
function fakeId(seed: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const hex = (h.toString(16).padStart(8, "0") + "0123456789abcdef0123456789abcdef").slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface PolicyDoc {
  readonly Version: string;
  readonly Statement: Any[];
}

/** The inline policies of the role named `roleName` in a stack, with tokens resolved. */
export function rolePolicies(stack: SynthesizedStack, roleName: string, resolver: TokenResolver): PolicyDoc[] {
  const roles = Object.entries(stack.json.resource?.aws_iam_role ?? {}) as Array<[string, Any]>;
  const role = roles.find(([, cfg]) => cfg.name === roleName);
  if (!role) throw new Error(`${stack.id} has no role ${roleName}; have ${roles.map(([, c]) => c.name).join(", ")}`);
  const ref = `\${aws_iam_role.${role[0]}.id}`;
  const docs = Object.values(stack.json.resource?.aws_iam_role_policy ?? {})
    .filter((p: Any) => p.role === ref)
    .map((p: Any) => JSON.parse(resolver.resolve(p.policy, stack.id)) as PolicyDoc);
  const attachments = Object.values(stack.json.resource?.aws_iam_role_policy_attachment ?? {}).filter((a: Any) => a.role === `\${aws_iam_role.${role[0]}.name}`);
  if (attachments.length) throw new Error(`${roleName} has managed policies attached; the simulation covers inline policies only`);
  return docs;
}

/** The key policy of the KMS key whose ARN (resolved) is `keyArn`. */
export function keyPolicyFor(stacks: readonly SynthesizedStack[], resolver: TokenResolver, keyArn: string): PolicyDoc | undefined {
  for (const s of stacks) {
    for (const id of Object.keys(s.json.resource?.aws_kms_key ?? {})) {
      if (resolver.resolve(`\${aws_kms_key.${id}.arn}`, s.id) === keyArn) return JSON.parse((s.json.resource!.aws_kms_key[id] as Any).policy) as PolicyDoc;
    }
  }
  return undefined;
}

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** Resource-based policy (KMS key policy, bucket policy); KMS denies without one, like AWS. */
  readonly resourcePolicy?: PolicyDoc;
  /**
   * Skip iam-simulate's validation of the resource type and context keys. Only for requests its catalog cannot
   * describe: it merges Elastic Load Balancing v1 and v2, so ELBv2 tag and listener actions on target groups or
   * listeners fail validation although AWS authorizes them on those ARNs.
   * @default false
   */
  readonly unvalidated?: boolean;
  /** The calling principal's ARN. @default - a role named `simulated` in the account */
  readonly principal?: string;
}

/** Evaluates one request of a principal of `account` with the given identity policies. Throws on invalid input. */
export async function simulate(account: string, identity: readonly PolicyDoc[], req: Request): Promise<Decision> {
  const simulation = {
    identityPolicies: identity.map((policy, i) => ({ name: `p${i}`, policy: policy as Any })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(req.resourcePolicy ? { resourcePolicy: req.resourcePolicy as Any } : {}),
    request: {
      action: req.action,
      principal: req.principal ?? `arn:aws:iam::${account}:role/simulated`,
      resource: { accountId: account, resource: req.resource },
      contextVariables: { "aws:SecureTransport": "true", ...(req.context ?? {}) },
    },
  };
  if (req.unvalidated) return runUnsafeSimulation(simulation, {}) as Decision;
  const res = await runSimulation(simulation, {});
  if (res.resultType === "error") throw new Error(`simulation of ${req.action} on ${req.resource} failed: ${JSON.stringify(res.errors)}`);
  const ignored = res.resultType === "single" ? res.result.ignoredContextKeys ?? [] : [];
  const meaningful = ignored.filter((k: string) => k !== "aws:SecureTransport");
  if (meaningful.length) throw new Error(`simulation of ${req.action} ignored context keys ${meaningful.join(", ")}; the result would not mean what the test says`);
  return res.overallResult as Decision;
}
