import { auditTargets } from "../helpers/audit-context";
import { fixture, fixtureProvider, FIXTURE_TAGS, manifestsRelease } from "../helpers/audit-fixtures";
import { projectEnvironments } from "../helpers/synth";
import { auditTags, isTaggableType } from "../helpers/tag-audit";

const targets = auditTargets();

describe("cost tags audit (every stack of every environment)", () => {
  test("covers every environment's stacks", () => {
    for (const env of projectEnvironments()) expect(targets.filter((t) => t.envName === env.name).length).toBeGreaterThanOrEqual(2);
  });

  test.each(targets.map((t) => [t.id, t] as const))("%s: taggable resources carry Project, Team, CostCenter and Environment", (_id, target) => {
    expect(auditTags(target)).toEqual([]);
  });
});

describe("isTaggableType (read from @cdktf/provider-aws)", () => {
  test("knows which resource types take tags", () => {
    expect(isTaggableType("aws_s3_bucket")).toBe(true);
    expect(isTaggableType("aws_eks_addon")).toBe(true);
    expect(isTaggableType("aws_launch_template")).toBe(true);
    expect(isTaggableType("aws_route")).toBe(false);
    expect(isTaggableType("aws_iam_role_policy")).toBe(false);
    expect(isTaggableType("aws_s3_bucket_server_side_encryption_configuration")).toBe(false);
    expect(isTaggableType("helm_release")).toBe(false);
  });

  test("fails loudly on a type the provider does not have", () => {
    expect(() => isTaggableType("aws_not_a_resource")).toThrow("resource type aws_not_a_resource is not in @cdktf/provider-aws; cannot tell whether it takes tags");
  });
});

describe("cost tags audit can fail", () => {
  const bucket = { aws_s3_bucket: { logs: { bucket: "mlp-dev-logs" } } };

  test("fails a provider without default_tags", () => {
    const t = fixture({ provider: { aws: [{ region: "us-east-1" }] }, resource: bucket });
    expect(auditTags(t)).toEqual(["dev-fixture provider.aws: default_tags: no default_tags (needs Project, Team, CostCenter, Environment)"]);
  });

  test("fails default_tags with a missing key or another environment's value, also on an aliased provider", () => {
    const { CostCenter: _omit, ...withoutCostCenter } = FIXTURE_TAGS;
    const t = fixture({
      provider: { aws: [fixtureProvider()!.aws[0], { alias: "east", region: "us-east-1", default_tags: [{ tags: { ...withoutCostCenter, Environment: "prod" } }] }] },
      resource: bucket,
    });
    expect(auditTags(t)).toEqual([
      "dev-fixture provider.aws.east: default_tags: missing CostCenter",
      'dev-fixture provider.aws.east: default_tags: Environment is "prod", expected "dev"',
    ]);
  });

  test("fails a resource that uses a provider the stack does not configure", () => {
    const t = fixture({ resource: { aws_s3_bucket: { logs: { bucket: "x", provider: "aws.west" } } } });
    expect(auditTags(t)).toEqual(["dev-fixture aws_s3_bucket.logs: default_tags: uses provider aws.west, which this stack does not configure"]);
  });

  test("fails a resource that overrides a cost tag with another value", () => {
    const t = fixture({ resource: { aws_vpc: { main: { cidr_block: "10.0.0.0/16", tags: { Name: "x", CostCenter: "someone-else" } } } } });
    expect(auditTags(t)).toEqual(['dev-fixture aws_vpc.main: tags: overrides cost tag CostCenter with "someone-else", expected "ml-dev-4100"']);
  });

  test("fails a launch template that does not tag network interfaces and tags volumes incompletely", () => {
    const { Team: _omit, ...withoutTeam } = FIXTURE_TAGS;
    const t = fixture({
      resource: {
        aws_launch_template: {
          nodes: {
            name: "nodes",
            tag_specifications: [
              { resource_type: "instance", tags: { ...FIXTURE_TAGS } },
              { resource_type: "volume", tags: withoutTeam },
            ],
          },
        },
      },
    });
    expect(auditTags(t)).toEqual([
      "dev-fixture aws_launch_template.nodes: tag_specifications: volume: missing Team",
      "dev-fixture aws_launch_template.nodes: tag_specifications: no tag_specifications for network-interface (default_tags do not reach launched network-interfaces)",
    ]);
  });

  test("fails an autoscaling group whose tags do not propagate at launch", () => {
    const tag = Object.entries(FIXTURE_TAGS).map(([key, value]) => ({ key, value, propagate_at_launch: key !== "Project" }));
    const t = fixture({ resource: { aws_autoscaling_group: { asg: { max_size: 1, min_size: 0, tag: tag.filter((x) => x.key !== "Team") } } } });
    expect(auditTags(t)).toEqual([
      "dev-fixture aws_autoscaling_group.asg: tag: Project does not set propagate_at_launch = true",
      "dev-fixture aws_autoscaling_group.asg: tag: no tag block for Team (default_tags do not propagate to instances)",
    ]);
  });

  test("fails a managed node group without a launch template of the stack", () => {
    const t = fixture({
      resource: {
        aws_eks_node_group: {
          bare: { node_group_name: "bare", cluster_name: "c" },
          foreign: { node_group_name: "foreign", cluster_name: "c", launch_template: { id: "lt-0123456789abcdef0", version: "1" } },
        },
      },
    });
    expect(auditTags(t)).toEqual([
      "dev-fixture aws_eks_node_group.bare: launch_template: no launch template: node group tags do not reach instances, volumes or ENIs",
      'dev-fixture aws_eks_node_group.foreign: launch_template: launch template "lt-0123456789abcdef0" is not an aws_launch_template of this stack, so its tag_specifications cannot be checked',
    ]);
  });

  test("fails a Karpenter EC2NodeClass rendered through Helm without the cost tags", () => {
    const nodeClass = { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "gpu" }, spec: { tags: { Project: "ml-platform", Environment: "staging" } } };
    const t = fixture({ resource: { helm_release: { capacity: manifestsRelease(nodeClass) } } });
    expect(auditTags(t)).toEqual([
      "dev-fixture helm_release.capacity EC2NodeClass/gpu: spec.tags: missing Team",
      "dev-fixture helm_release.capacity EC2NodeClass/gpu: spec.tags: missing CostCenter",
      'dev-fixture helm_release.capacity EC2NodeClass/gpu: spec.tags: Environment is "staging", expected "dev"',
    ]);
    const tagged = { ...nodeClass, spec: { tags: { ...FIXTURE_TAGS, Name: "gpu" } } };
    expect(auditTags(fixture({ resource: { helm_release: { capacity: manifestsRelease(tagged) } } }))).toEqual([]);
  });

  test("fails a team-dedicated pool's EC2NodeClass billed to the environment instead of its team, and passes the team's tags", () => {
    const team = { ...FIXTURE_TAGS, Team: "vision", CostCenter: "ml-dev-4210" };
    const nodeClass = (tags: Record<string, string>) => ({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "team-vision" }, spec: { tags } });
    const target = (tags: Record<string, string>) => ({ ...fixture({ resource: { helm_release: { capacity: manifestsRelease(nodeClass(tags)) } } }), nodeClassTags: { "team-vision": team } });
    expect(auditTags(target({ ...FIXTURE_TAGS }))).toEqual([
      `dev-fixture helm_release.capacity EC2NodeClass/team-vision: spec.tags: Team is "${FIXTURE_TAGS.Team}", expected "vision"`,
      `dev-fixture helm_release.capacity EC2NodeClass/team-vision: spec.tags: CostCenter is "${FIXTURE_TAGS.CostCenter}", expected "ml-dev-4210"`,
    ]);
    expect(auditTags(target(team))).toEqual([]);
  });

  test("staging's dedicated pool is audited against its team's tags", () => {
    const staging = targets.find((t) => t.id === "staging-platform")!;
    expect(staging.nodeClassTags).toEqual({ "team-vision": expect.objectContaining({ Team: "vision", CostCenter: "ml-stg-4210", Environment: "staging" }) });
  });
});
