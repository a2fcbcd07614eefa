import { ACCESS_POLICIES } from "../../constructs/eks/cluster";
import { RUNNER_IMAGE } from "../../constructs/deploy/vpc-runner";
import { API_ENDPOINT_VARIABLE } from "../../constructs/kubernetes/cluster-access";
import { find, single } from "../helpers/construct";
import { projectEnvironments, resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ENVS = projectEnvironments().map((e) => e.name);

/** The bootstrap output a foundation value reads (`${data.terraform_remote_state...outputs.<id>}`), resolved to its reference. */
function bootstrapRef(env: string, value: string): string {
  const out = /outputs\.([^}]+)\}$/.exec(value)?.[1];
  return String(stack(`${env}-bootstrap`).json.output?.[out ?? ""]?.value);
}

describe.each(ENVS)("%s: how CI and people reach the private API endpoint", (env) => {
  const foundation = stack(`${env}-foundation`).json;
  const [, project] = single(foundation, "aws_codebuild_project");

  test("the endpoint is private unless the environment lists people's CIDRs (never in production)", () => {
    const cluster = single(foundation, "aws_eks_cluster")[1];
    const cidrs = projectEnvironments().find((e) => e.name === env)!.cluster.publicAccessCidrs;
    expect(cluster.vpc_config.endpoint_private_access).toBe(true);
    expect(cluster.vpc_config.endpoint_public_access).toBe(cidrs.length > 0);
  });

  test("a CodeBuild-hosted GitHub Actions runner runs in the private subnets, ephemeral, from the deploy workflow only", () => {
    expect(project).toEqual(
      expect.objectContaining({
        name: `mlp-${env}-runner`,
        environment: expect.objectContaining({ type: "LINUX_CONTAINER", image: RUNNER_IMAGE }),
        artifacts: { type: "NO_ARTIFACTS" },
        source: expect.objectContaining({ type: "GITHUB", location: "https://github.com/example-org/ml-platform.git", auth: expect.objectContaining({ type: "CODECONNECTIONS" }) }),
      }),
    );
    expect(bootstrapRef(env, project.source.auth.resource)).toMatch(/^\$\{aws_codeconnections_connection\..+\.arn\}$/);
    const privateSubnets = Object.entries(resources(stack(`${env}-foundation`), "aws_subnet")).filter(([, s]) => s.tags.Name.includes("private"));
    expect([...project.vpc_config.subnets].sort()).toEqual(privateSubnets.map(([id]) => `\${aws_subnet.${id}.id}`).sort());
    const [, webhook] = single(foundation, "aws_codebuild_webhook");
    expect(webhook.filter_group).toEqual([{ filter: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }, { type: "WORKFLOW_NAME", pattern: "^deploy$" }] }]);
  });

  test("the runner's security group reaches the API on 443: an ingress rule on the control-plane security group", () => {
    const [sgId] = find(foundation, "aws_security_group", (s) => s.name === `mlp-${env}-runner`);
    const [cpId] = find(foundation, "aws_security_group", (s) => s.name === `mlp-${env}-control-plane`);
    const rule = find(foundation, "aws_vpc_security_group_ingress_rule", (r) => r.referenced_security_group_id === `\${aws_security_group.${sgId}.id}`)[1];
    expect(rule).toEqual(expect.objectContaining({ security_group_id: `\${aws_security_group.${cpId}.id}`, ip_protocol: "tcp", from_port: 443, to_port: 443 }));
    expect(single(foundation, "aws_eks_cluster")[1].vpc_config.security_group_ids).toEqual([`\${aws_security_group.${cpId}.id}`]);
  });

  test("the runner's own role writes its logs, manages its interfaces and uses the GitHub connection, nothing else", () => {
    const role = find(foundation, "aws_iam_role", (r) => r.name === `mlp-${env}-runner`);
    const policies = Object.values(resources(stack(`${env}-foundation`), "aws_iam_role_policy")).filter((p: Any) => p.role === `\${aws_iam_role.${role[0]}.id}`);
    const actions = policies.flatMap((p: Any) => JSON.parse(p.policy).Statement.flatMap((s: Any) => s.Action)).sort();
    expect(actions).toEqual(
      [
        "codeconnections:GetConnection",
        "codeconnections:GetConnectionToken",
        "codeconnections:UseConnection",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ].sort(),
    );
    expect(JSON.parse(role[1].assume_role_policy).Statement[0].Principal).toEqual({ Service: "codebuild.amazonaws.com" });
  });

  test("the CI apply role is cluster admin and the plan role reads the cluster (Secrets included, for Helm's release state)", () => {
    const f = stack(`${env}-foundation`);
    const principalOf = (association: Any) => {
      const entryId = /^\$\{aws_eks_access_entry\.([^.]+)\.principal_arn\}$/.exec(association.principal_arn)![1];
      return bootstrapRef(env, resources(f, "aws_eks_access_entry")[entryId].principal_arn);
    };
    const entries = Object.values(resources(f, "aws_eks_access_policy_association")).map((a) => [principalOf(a), a.policy_arn]);
    const ci = entries.filter(([p]) => /ci_(apply|plan)_role/.test(p));
    expect(ci.map(([p, policy]) => [/ci_(apply|plan)_role/.exec(p)![1], policy]).sort()).toEqual([
      ["apply", ACCESS_POLICIES.clusterAdmin],
      ["plan", ACCESS_POLICIES.adminView],
    ]);
    expect(entries.some(([p]) => /ci_pr_role/.test(p))).toBe(false);
  });

  test.each(["platform", "ml", "teams"])("%s's providers can be pointed at a tunnel while verifying the cluster's certificate name", (part) => {
    const json = stack(`${env}-${part}`).json;
    expect(json.variable?.[API_ENDPOINT_VARIABLE]).toEqual(expect.objectContaining({ type: "string", default: "" }));
    const [k8s] = json.provider!.kubernetes as Any[];
    const [helm] = json.provider!.helm as Any[];
    for (const p of [k8s, helm.kubernetes]) {
      expect(p.host).toMatch(new RegExp(`^\\$\\{coalesce\\(var\\.${API_ENDPOINT_VARIABLE}, data\\.terraform_remote_state\\..+endpoint\\)\\}$`));
      expect(p.tls_server_name).toMatch(/^\$\{replace\(data\.terraform_remote_state\..+endpoint, "https:\/\/", ""\)\}$/);
    }
  });
});
