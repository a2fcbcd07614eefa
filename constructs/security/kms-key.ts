import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey as KmsKeyResource } from "@cdktf/provider-aws/lib/kms-key";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { policyJson, type IGrantable, type PolicyStatement } from "../iam/policy";

/** Key administration and use by the account's IAM principals (the key policy delegates to IAM). */
const ACCOUNT_KEY_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

export interface KmsKeyProps {
  readonly accountId: string;
  /** Alias without the `alias/` prefix. */
  readonly alias: string;
  readonly description: string;
  /**
   * Extra key-policy statements for AWS services (for example CloudWatch Logs).
   * @default - only the account statement
   */
  readonly serviceStatements?: readonly PolicyStatement[];
  /**
   * Protect the key from `terraform destroy` (prevent_destroy).
   * @default false
   */
  readonly protect?: boolean;
  /** @default 30 */
  readonly deletionWindowInDays?: number;
}

/**
 * A customer managed KMS key with rotation and an explicit key policy: the account's IAM principals get a
 * named list of key actions (no `kms:*`), services get only what they use under an encryption-context condition.
 */
export class KmsKey extends Construct {
  readonly key: KmsKeyResource;
  readonly keyArn: string;
  readonly keyId: string;
  private readonly statements: PolicyStatement[];

  constructor(scope: Construct, id: string, props: KmsKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? 30;
    if (window < 7 || window > 30) throw new Error(`deletionWindowInDays must be between 7 and 30, got ${window}`);
    this.statements = [
      {
        Sid: "AccountPrincipalsThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
        Action: ACCOUNT_KEY_ACTIONS,
        Resource: "*",
      },
      ...(props.serviceStatements ?? []),
    ];
    this.key = new KmsKeyResource(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: window,
      // Rendered at synth: services added after construction (addServiceStatement) land in the same policy.
      policy: Lazy.stringValue({ produce: () => policyJson(this.statements) }),
      lifecycle: props.protect ? { preventDestroy: true } : undefined,
    });
    new KmsAlias(this, "alias", { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
    this.keyArn = this.key.arn;
    this.keyId = this.key.keyId;
  }

  /** Adds a key-policy statement for a service that uses the key on this account's behalf. */
  addServiceStatement(statement: PolicyStatement): void {
    this.statements.push(statement);
  }

  /** Lets the grantee decrypt data encrypted under this key (reading objects, secrets). */
  grantDecrypt(grantee: IGrantable, policyName?: string): void {
    grantee.addToPolicy({ Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: this.keyArn }, policyName);
  }

  /** Lets the grantee encrypt and decrypt with this key (writing and reading objects). */
  grantEncryptDecrypt(grantee: IGrantable, policyName?: string): void {
    grantee.addToPolicy(
      { Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Resource: this.keyArn },
      policyName,
    );
  }
}

/** Key-policy statement letting CloudWatch Logs use a key for log groups of this account and region. */
export function cloudWatchLogsKeyStatement(accountId: string, region: string): PolicyStatement {
  return {
    Sid: "CloudWatchLogsInThisAccount",
    Effect: "Allow",
    Principal: { Service: `logs.${region}.amazonaws.com` },
    Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
    Resource: "*",
    Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
  };
}

/**
 * The service-linked roles that launch instances for the platform's node root volumes: EC2 Auto Scaling (managed node
 * groups), EC2 Spot and EC2 Fleet (Karpenter's CreateFleet launches, on-demand and spot).
 */
export function instanceLaunchServiceLinkedRoles(accountId: string): string[] {
  return [
    `arn:aws:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    `arn:aws:iam::${accountId}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot`,
    `arn:aws:iam::${accountId}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet`,
  ];
}

/**
 * Key-policy statements that let the instance-launching service-linked roles use a key for encrypted EBS volumes: the
 * two statements of the EC2 Auto Scaling guide ("Required AWS KMS key policy for use with encrypted volumes"), whose
 * fixed policies include no customer managed key. The roles are matched by `aws:PrincipalArn` rather than named as
 * principals, because a key policy naming a role that does not exist yet (the Auto Scaling and Spot roles appear with
 * the account's first group or Spot request) is rejected when the key is created.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
 */
export function ebsLaunchKeyStatements(accountId: string): PolicyStatement[] {
  const roles = { ArnEquals: { "aws:PrincipalArn": instanceLaunchServiceLinkedRoles(accountId) }, StringEquals: { "kms:CallerAccount": accountId } };
  return [
    {
      Sid: "InstanceLaunchServiceLinkedRolesUseKey",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
      Resource: "*",
      Condition: roles,
    },
    {
      Sid: "InstanceLaunchServiceLinkedRolesAttachVolumes",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { ...roles, Bool: { "kms:GrantIsForAWSResource": true } },
    },
  ];
}
