import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CodebuildWebhook } from "@cdktf/provider-aws/lib/codebuild-webhook";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { serviceTrustPolicy } from "../iam/policy";
import { WorkloadRole } from "../iam/workload-role";
import type { KmsKey } from "../security/kms-key";

/** CodeBuild's managed image the runner jobs start from: Node.js, Python and the AWS CLI v2 (`aws eks get-token`). */
export const RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/** Name of the only workflow whose jobs the runner takes (`name:` of .github/workflows/deploy.yml). */
export const RUNNER_WORKFLOW_NAME = "deploy";

export interface VpcRunnerProps {
  /** CodeBuild project name; jobs ask for `codebuild-<name>-${{ github.run_id }}-${{ github.run_attempt }}`. */
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpcId: string;
  /** Private subnets (with a NAT route to GitHub, the Terraform registry and AWS APIs). */
  readonly subnetIds: string[];
  /** Their ARNs, for the ENI permission CodeBuild needs in the VPC. */
  readonly subnetArns: string[];
  /** The control-plane security group: the runner gets 443 to the private API endpoint through it. */
  readonly apiSecurityGroupId: string;
  readonly githubRepository: string;
  /** The CodeConnections connection to GitHub (bootstrap stack). */
  readonly githubConnectionArn: string;
  readonly computeType: string;
  readonly logsKey: KmsKey;
  readonly logRetentionDays: number;
}

/**
 * A CodeBuild-hosted GitHub Actions runner inside the VPC, for the jobs that talk to the private Kubernetes API
 * endpoint (plans and applies of the platform and ml stacks). Each queued job of the `deploy` workflow starts an
 * ephemeral build that registers as a self-hosted runner, runs the job and ends. The runner's own role can only write
 * its logs, manage its network interfaces and use the GitHub connection: jobs get AWS credentials by assuming the CI
 * roles through GitHub OIDC, whose trust admits only the deploy branch and the protected GitHub environment.
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html
 */
export class VpcRunner extends Construct {
  readonly project: CodebuildProject;
  readonly securityGroup: SecurityGroup;
  readonly role: WorkloadRole;
  /** The `runs-on` label prefix: `codebuild-<project>`. */
  readonly runsOnPrefix: string;

  constructor(scope: Construct, id: string, props: VpcRunnerProps) {
    super(scope, id);
    this.runsOnPrefix = `codebuild-${props.name}`;
    const logGroup = new CloudwatchLogGroup(this, "logs", { name: `/aws/codebuild/${props.name}`, retentionInDays: props.logRetentionDays, kmsKeyId: props.logsKey.keyArn });

    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.name}`,
      description: `GitHub Actions runner ${props.name}: egress only`,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    // GitHub, the Terraform and Helm registries, AWS APIs (through NAT) and the private API endpoint. DNS to the VPC
    // resolver is not filtered by security groups.
    new VpcSecurityGroupEgressRule(this, "egress-https", { securityGroupId: this.securityGroup.id, description: "HTTPS: GitHub, registries, AWS APIs, the EKS API", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
    new VpcSecurityGroupIngressRule(this, "api-from-runner", {
      securityGroupId: props.apiSecurityGroupId,
      description: `Kubernetes API from the ${props.name} runner`,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: this.securityGroup.id,
    });

    this.role = new WorkloadRole(this, "role", {
      roleName: `${props.name}`,
      description: `CodeBuild service role of the ${props.name} GitHub Actions runner: logs, VPC interfaces, the GitHub connection`,
      assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
        ArnLike: { "aws:SourceArn": `arn:aws:codebuild:${props.region}:${props.accountId}:project/${props.name}` },
      }),
    });
    const eni = `arn:aws:ec2:${props.region}:${props.accountId}:network-interface/*`;
    const r = this.role;
    r.addToPolicy({ Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [logGroup.arn, `${logGroup.arn}:*`] });
    r.addToPolicy({ Sid: "DescribeNetwork", Effect: "Allow", Action: ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"], Resource: "*" });
    r.addToPolicy({
      Sid: "RunnerInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [eni, ...props.subnetArns, `arn:aws:ec2:${props.region}:${props.accountId}:security-group/${this.securityGroup.id}`],
    });
    r.addToPolicy({ Sid: "DeleteRunnerInterfaces", Effect: "Allow", Action: ["ec2:DeleteNetworkInterface"], Resource: eni });
    r.addToPolicy({
      Sid: "InterfacePermissionForCodeBuild",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterfacePermission"],
      Resource: eni,
      Condition: { StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" }, ArnEquals: { "ec2:Subnet": props.subnetArns } },
    });
    r.addToPolicy({ Sid: "GitHubConnection", Effect: "Allow", Action: ["codeconnections:GetConnection", "codeconnections:GetConnectionToken", "codeconnections:UseConnection"], Resource: props.githubConnectionArn });

    this.project = new CodebuildProject(this, "project", {
      name: props.name,
      description: `Ephemeral GitHub Actions runner in the VPC for ${props.githubRepository} (deploy workflow only)`,
      serviceRole: this.role.roleArn,
      buildTimeout: 120,
      concurrentBuildLimit: 4,
      source: { type: "GITHUB", location: `https://github.com/${props.githubRepository}.git`, auth: { type: "CODECONNECTIONS", resource: props.githubConnectionArn } },
      artifacts: { type: "NO_ARTIFACTS" },
      environment: { type: "LINUX_CONTAINER", computeType: props.computeType, image: RUNNER_IMAGE, imagePullCredentialsType: "CODEBUILD" },
      vpcConfig: { vpcId: props.vpcId, subnets: props.subnetIds, securityGroupIds: [this.securityGroup.id] },
      logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name } },
      dependsOn: [...r.dependables(), logGroup],
    });
    new CodebuildWebhook(this, "webhook", {
      projectName: this.project.name,
      buildType: "BUILD",
      // Only jobs of the deploy workflow; which refs may run it is enforced by GitHub (the workflow's triggers and the
      // repository's rulesets) and by the CI roles' OIDC trust, since a filter on the job's branch is not evaluated for
      // workflow_job events.
      filterGroup: [{ filter: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }, { type: "WORKFLOW_NAME", pattern: `^${RUNNER_WORKFLOW_NAME}$` }] }],
    });
  }
}
