import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { ITerraformDependable, Lazy } from "cdktf";
import { Construct } from "constructs";
import { awsManagedPolicyArn, policyJson, type IGrantable, type PolicyStatement } from "./policy";

export interface WorkloadRoleProps {
  /** Physical role name. */
  readonly roleName: string;
  /** The trust policy document, already serialized (see `serviceTrustPolicy` and `PodIdentityRole`). */
  readonly assumeRolePolicy: string;
  readonly description: string;
  /**
   * AWS managed policies attached by name (for example `AmazonEKSWorkerNodePolicy`).
   * @default - none
   */
  readonly managedPolicies?: readonly string[];
}

/**
 * An IAM role whose permissions are added by the constructs that own the resources (grant methods).
 * Statements accumulate per policy name and are rendered as inline policies at synth time, so a role
 * gets one readable policy per concern instead of a pile of attachments.
 */
export class WorkloadRole extends Construct implements IGrantable {
  readonly role: IamRole;
  readonly roleArn: string;
  readonly roleName: string;
  private readonly policies = new Map<string, PolicyStatement[]>();
  private readonly resources: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: WorkloadRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: props.assumeRolePolicy,
      maxSessionDuration: 3600,
    });
    this.resources.push(this.role);
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    for (const name of props.managedPolicies ?? []) {
      this.resources.push(new IamRolePolicyAttachment(this, `managed-${name.replace(/\//g, "-")}`, { role: this.role.name, policyArn: awsManagedPolicyArn(name) }));
    }
  }

  addToPolicy(statement: PolicyStatement, policyName = "default"): void {
    let statements = this.policies.get(policyName);
    if (!statements) {
      statements = [];
      this.policies.set(policyName, statements);
      this.resources.push(new IamRolePolicy(this, `policy-${policyName}`, {
        name: policyName,
        role: this.role.id,
        policy: Lazy.stringValue({ produce: () => policyJson(this.policies.get(policyName) ?? []) }),
      }));
    }
    statements.push(statement);
  }

  /** The role and its policies: depend on these so permissions exist before a consumer starts. */
  dependables(): ITerraformDependable[] {
    return [...this.resources];
  }

  /** The statements granted so far, per inline policy name (for tests and the review tool). */
  statements(policyName = "default"): readonly PolicyStatement[] {
    return this.policies.get(policyName) ?? [];
  }
}
