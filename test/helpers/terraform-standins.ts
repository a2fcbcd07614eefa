import { createHash } from "node:crypto";
import type { SynthesizedStack } from "./synth";

/**
 * Deterministic, type-correct stand-ins for Terraform interpolations in synthesized strings, so values that only
 * exist at apply time (a node role's name, a security group id, a secret ARN) can be rendered and validated offline.
 *
 * A stand-in has the shape the real value will have (`sg-` and 17 hex digits for a security group id, a Secrets
 * Manager ARN in the stack's own region and account, ...), so schema patterns such as EC2NodeClass's `sg-[0-9a-z]+`
 * are checked against something real-looking instead of being skipped. The hex digits come from a hash of the
 * expression: the same reference always gets the same stand-in, two different references never share one.
 * Cross-stack references (`data.terraform_remote_state.<ref>.outputs.<output>`) are followed to the producing
 * stack's output and its resource attribute. An expression with no known stand-in is an error naming it.
 */

/** Where the interpolations of one stack are resolved. */
export interface StandInContext {
  /** The consuming stack's AWS region (its aws provider's `region`). */
  readonly region: string;
  /** The consuming stack's account (its aws provider's `allowed_account_ids[0]`). */
  readonly accountId: string;
  /** The value of output `name` of stack `stackId`, or undefined when there is no such stack or output. */
  readonly output: (stackId: string, name: string) => unknown;
}

/** Hex digits derived from the expression (sha256), as many as asked for. */
function hex(expression: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${i}:${expression}`).digest("hex");
  return out.slice(0, length);
}

function uuid(expression: string): string {
  const h = hex(expression, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

type StandIn = (expression: string, ctx: StandInContext) => string;

/**
 * Stand-ins by `<resource type>.<attribute path>` (list indexes dropped). Formats are AWS's: resource ids are
 * `<prefix>-` plus 17 hex digits; a Secrets Manager ARN ends in `-` and six characters; RDS-managed master user
 * secrets are named `rds!db-<uuid>`.
 */
const STAND_INS: Readonly<Record<string, StandIn>> = {
  "aws_iam_role.name": (e) => `standin-role-${hex(e, 8)}`,
  "aws_iam_role.arn": (e, ctx) => `arn:aws:iam::${ctx.accountId}:role/standin-role-${hex(e, 8)}`,
  "aws_security_group.id": (e) => `sg-${hex(e, 17)}`,
  "aws_eks_cluster.vpc_config.cluster_security_group_id": (e) => `sg-${hex(e, 17)}`,
  "aws_subnet.id": (e) => `subnet-${hex(e, 17)}`,
  "aws_vpc.id": (e) => `vpc-${hex(e, 17)}`,
  "aws_db_instance.master_user_secret.secret_arn": (e, ctx) =>
    `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:rds!db-${uuid(e)}-${hex(`${e}/suffix`, 6)}`,
  // RDS endpoints are `<identifier>.<12 characters>.<region>.rds.amazonaws.com`.
  "aws_db_instance.address": (e, ctx) => `standin-db-${hex(e, 8)}.${hex(`${e}/host`, 12)}.${ctx.region}.rds.amazonaws.com`,
  "aws_secretsmanager_secret.arn": (e, ctx) => `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:standin-${hex(e, 8)}-${hex(`${e}/suffix`, 6)}`,
  "aws_kms_key.arn": (e, ctx) => `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${uuid(e)}`,
  "aws_acm_certificate.arn": (e, ctx) => `arn:aws:acm:${ctx.region}:${ctx.accountId}:certificate/${uuid(e)}`,
  "aws_acm_certificate_validation.certificate_arn": (e, ctx) => `arn:aws:acm:${ctx.region}:${ctx.accountId}:certificate/${uuid(e)}`,
  // FSx for Lustre: `fs-` and 17 hex digits; DNS name `<id>.fsx.<region>.amazonaws.com`; an 8-character mount name.
  "aws_fsx_lustre_file_system.id": (e) => `fs-${hex(e.replace(/\.id$/, ""), 17)}`,
  "aws_fsx_lustre_file_system.dns_name": (e, ctx) => `fs-${hex(e.replace(/\.dns_name$/, ""), 17)}.fsx.${ctx.region}.amazonaws.com`,
  "aws_fsx_lustre_file_system.mount_name": (e) => hex(e, 8),
};

/** The attribute-path key of a resource reference, e.g. `aws_eks_cluster.vpc_config.cluster_security_group_id`. */
export function standInKey(expression: string): string | undefined {
  const m = /^(aws_[a-z0-9_]+)\.[A-Za-z0-9_-]+\.(.+)$/.exec(expression.trim());
  return m ? `${m[1]}.${m[2].replace(/\[\d+\]/g, "")}` : undefined;
}

const REMOTE_STATE = /^data\.terraform_remote_state\.cross-stack-reference-input-([a-z0-9-]+)\.outputs\.([A-Za-z0-9_-]+)$/;

/** The stand-in for one interpolation's expression (the text between `${` and `}`). */
export function standInFor(expression: string, ctx: StandInContext): string {
  const remote = REMOTE_STATE.exec(expression.trim());
  if (remote) {
    const [, stackId, name] = remote;
    const value = ctx.output(stackId, name);
    const inner = typeof value === "string" ? /^\$\{([^{}]+)\}$/.exec(value) : null;
    if (!inner) throw new Error(`\${${expression}}: stack ${stackId} has no output ${name} that is a single reference (got ${JSON.stringify(value)})`);
    return standInFor(inner[1], ctx);
  }
  const key = standInKey(expression);
  const standIn = key ? STAND_INS[key] : undefined;
  if (!standIn) {
    throw new Error(`\${${expression}}: no stand-in for ${key ?? "this expression"}; add one with the value's real format to test/helpers/terraform-standins.ts`);
  }
  return standIn(expression, ctx);
}

/**
 * Evaluates a Terraform string template with stand-ins for its interpolations: `${expr}` becomes the stand-in,
 * `$${` and `%%{` are Terraform's escapes for a literal `${` and `%{`. Template directives (`%{if}`, `%{for}`) are
 * not modelled and are an error.
 */
export function replaceInterpolations(text: string, standIn: (expression: string) => string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const three = text.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      out += three.slice(1);
      i += 3;
    } else if (two === "%{") {
      throw new Error(`Terraform template directive at offset ${i} is not modelled: ${text.slice(i, i + 40)}`);
    } else if (two === "${") {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
      }
      if (depth > 0) throw new Error(`unterminated interpolation at offset ${i}: ${text.slice(i, i + 40)}`);
      out += standIn(text.slice(i + 2, j - 1));
      i = j;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The stand-in context of a synthesized stack: its AWS provider's region and account, and every stack's outputs. */
export function standInContext(stack: SynthesizedStack, all: readonly SynthesizedStack[]): StandInContext {
  const aws = stack.json.provider?.aws?.[0];
  const region = aws?.region;
  const accountId = aws?.allowed_account_ids?.[0];
  if (typeof region !== "string" || typeof accountId !== "string") {
    throw new Error(`${stack.id}: no aws provider with region and allowed_account_ids to derive stand-ins from`);
  }
  return {
    region,
    accountId,
    output: (stackId, name) => all.find((s) => s.id === stackId)?.json.output?.[name]?.value,
  };
}
