import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { policyJson, type IGrantable } from "../iam/policy";

/**
 * The EventBridge events Karpenter handles, by rule key. Detail-types are spelled exactly as EventBridge
 * emits them: a typo (cdk-eks-blueprints ships "C2 Instance ...") silently never matches.
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.14.1/website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml
 */
export const INTERRUPTION_EVENTS = {
  health: { source: "aws.health", detailType: "AWS Health Event" },
  spot: { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  rebalance: { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  "state-change": { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  reservation: { source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
} as const;

/** Message retention of the queue: interruption events older than the two-minute spot warning are useless. */
export const INTERRUPTION_QUEUE_RETENTION_SECONDS = 300;

export interface KarpenterInterruptionQueueProps {
  /** Physical queue name (at most 80 characters). */
  readonly queueName: string;
  /** Prefix of the rule names, `<prefix>-<event>` (rule names are at most 64 characters). */
  readonly ruleNamePrefix: string;
}

/**
 * Karpenter's interruption queue: an SQS queue with SQS-managed encryption and 300 s retention, a queue
 * policy that lets only EventBridge (scoped to these rules) and SQS send and denies non-TLS access, and the
 * five EventBridge rules that feed it (health events, spot interruptions, rebalance recommendations,
 * instance state changes, capacity reservation interruptions).
 */
export class KarpenterInterruptionQueue extends Construct {
  readonly queue: SqsQueue;
  readonly queueName: string;
  readonly queueArn: string;
  readonly rules: Readonly<Record<keyof typeof INTERRUPTION_EVENTS, CloudwatchEventRule>>;
  private readonly dependencies: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: KarpenterInterruptionQueueProps) {
    super(scope, id);
    if (!/^[\w-]{1,80}$/.test(props.queueName)) throw new Error(`queueName must be 1-80 letters, digits, - or _, got "${props.queueName}"`);
    for (const key of Object.keys(INTERRUPTION_EVENTS)) {
      const ruleName = `${props.ruleNamePrefix}-${key}`;
      if (!/^[.\w-]{1,64}$/.test(ruleName)) throw new Error(`ruleNamePrefix makes rule name "${ruleName}" invalid (at most 64 letters, digits, ., - or _)`);
    }
    this.queue = new SqsQueue(this, "queue", {
      name: props.queueName,
      messageRetentionSeconds: INTERRUPTION_QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    this.queueName = this.queue.name;
    this.queueArn = this.queue.arn;

    const rules = {} as Record<keyof typeof INTERRUPTION_EVENTS, CloudwatchEventRule>;
    for (const [key, event] of Object.entries(INTERRUPTION_EVENTS) as [keyof typeof INTERRUPTION_EVENTS, (typeof INTERRUPTION_EVENTS)[keyof typeof INTERRUPTION_EVENTS]][]) {
      const rule = new CloudwatchEventRule(this, `rule-${key}`, {
        name: `${props.ruleNamePrefix}-${key}`,
        description: `Karpenter interruption handling: ${event.detailType}`,
        eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
      });
      this.dependencies.push(
        rule,
        new CloudwatchEventTarget(this, `target-${key}`, { rule: rule.name, targetId: "KarpenterInterruptionQueueTarget", arn: this.queue.arn }),
      );
      rules[key] = rule;
    }
    this.rules = rules;

    const policy = new SqsQueuePolicy(this, "policy", {
      queueUrl: this.queue.url,
      policy: policyJson([
        {
          Sid: "AllowEventBridgeRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: this.queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": Object.values(rules).map((r) => r.arn) } },
        },
        // Upstream also admits sqs.amazonaws.com (unconditioned); kept for equivalence with the official template.
        { Sid: "AllowSqsService", Effect: "Allow", Principal: { Service: "sqs.amazonaws.com" }, Action: "sqs:SendMessage", Resource: this.queue.arn },
        { Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: this.queue.arn, Condition: { Bool: { "aws:SecureTransport": false } } },
      ]),
    });
    this.dependencies.push(this.queue, policy);
  }

  /** Lets the Karpenter controller consume the queue (the official InterruptionPolicy statement). */
  grantConsume(grantee: IGrantable, policyName?: string): void {
    grantee.addToPolicy(
      { Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: this.queueArn, Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] },
      policyName,
    );
  }

  /** The queue, its policy, the rules and their targets: depend on these before the controller starts. */
  dependables(): ITerraformDependable[] {
    return [...this.dependencies];
  }
}
