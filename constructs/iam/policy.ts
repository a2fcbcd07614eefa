/**
 * IAM policy documents as plain objects, serialized with JSON.stringify at synth time so the audit
 * (and reviewers reading a plan) see exact actions, resources and conditions. Never build policy JSON by hand.
 */
export type ConditionBlock = Record<string, Record<string, string | readonly string[] | boolean>>;

export type Principal = "*" | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[]; readonly Federated?: string };

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

/** A statement that allows everything except some actions (a permissions boundary's broad grant). */
export interface NotActionStatement extends Omit<PolicyStatement, "Action"> {
  readonly NotAction: readonly string[];
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** Serializes statements into a policy document string (stable key order as written). */
export function policyJson(statements: readonly (PolicyStatement | NotActionStatement)[]): string {
  const doc = { Version: "2012-10-17", Statement: statements };
  return JSON.stringify(doc);
}

/** Anything that can receive identity-policy statements (a workload role). */
export interface IGrantable {
  /** Adds statements to the grantee's inline policy named `policyName`. */
  addToPolicy(statement: PolicyStatement, policyName?: string): void;
}

/** A trust policy for an AWS service principal, optionally with confused-deputy conditions. */
export function serviceTrustPolicy(service: string, condition?: ConditionBlock, actions: readonly string[] = ["sts:AssumeRole"]): string {
  return policyJson([{ Effect: "Allow", Principal: { Service: service }, Action: actions, ...(condition ? { Condition: condition } : {}) }]);
}

/** The ARN of an AWS managed policy in the commercial partition. */
export function awsManagedPolicyArn(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`;
}
