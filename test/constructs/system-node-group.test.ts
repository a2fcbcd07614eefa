import { dependsOn, find, ofType, policyDoc, ref, single, synthConstruct, target } from "../helpers/construct";
import { buildCluster, COST_TAGS } from "../helpers/eks";

describe("SystemNodeGroup", () => {
  const { json } = synthConstruct((stack) => buildCluster(stack));
  const [, nodeGroup] = single(json, "aws_eks_node_group");
  const [ltId, lt] = single(json, "aws_launch_template");

  test("runs AL2023 x86_64 on-demand nodes in the given subnets with the given sizes", () => {
    expect(nodeGroup).toEqual(
      expect.objectContaining({
        node_group_name: "system",
        ami_type: "AL2023_x86_64_STANDARD",
        capacity_type: "ON_DEMAND",
        instance_types: ["m7i.large", "m6i.large"],
        subnet_ids: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        scaling_config: { min_size: 2, max_size: 3, desired_size: 2 },
      }),
    );
  });

  test("keeps everything but critical add-ons off with a CriticalAddonsOnly NoSchedule taint", () => {
    expect(nodeGroup.taint).toEqual([{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
    expect(nodeGroup.labels).toEqual({ "node.ml-platform.io/pool": "system" });
  });

  test("uses the launch template's latest version", () => {
    expect(nodeGroup.launch_template).toEqual({ id: ref("aws_launch_template", ltId), version: ref("aws_launch_template", ltId, "latest_version") });
  });

  test("lets the autoscaler own desired_size after creation", () => {
    expect(nodeGroup.lifecycle).toEqual({ ignore_changes: ["scaling_config[0].desired_size"] });
  });

  test("requires IMDSv2 with hop limit 1 so pods cannot reach the node's credentials", () => {
    expect(lt.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
  });

  test("encrypts a gp3 root volume of the configured size with the node-volumes key", () => {
    const [keyId] = find(json, "aws_kms_key", (k) => k.description === "node volumes");
    expect(lt.block_device_mappings).toEqual([
      { device_name: "/dev/xvda", ebs: { volume_size: 50, volume_type: "gp3", encrypted: "true", kms_key_id: `\${aws_kms_key.${keyId}.arn}`, delete_on_termination: "true" } },
    ]);
  });

  test("tags instances, volumes and network interfaces with the cost tags (node group tags do not propagate)", () => {
    expect(lt.tag_specifications).toEqual(
      ["instance", "volume", "network-interface"].map((resource_type) => ({ resource_type, tags: { ...COST_TAGS, Name: "mlp-test-system" } })),
    );
  });

  test("leaves subnets, security groups, AMI and instance type to the managed node group", () => {
    for (const key of ["network_interfaces", "vpc_security_group_ids", "image_id", "instance_type", "user_data"]) expect(lt[key]).toBeUndefined();
  });

  test("gives nodes a role with the three node policies (not the CNI's), created before the node group", () => {
    const roleId = target(nodeGroup.node_role_arn, "aws_iam_role");
    const role = ofType(json, "aws_iam_role")[roleId];
    expect(role.name).toBe("mlp-test-system-node");
    expect(policyDoc(role.assume_role_policy).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: ["sts:AssumeRole"] }]);
    const attachments = Object.entries(ofType(json, "aws_iam_role_policy_attachment")).filter(([, a]) => a.role === ref("aws_iam_role", roleId, "name"));
    expect(attachments.map(([, a]) => a.policy_arn).sort()).toEqual([
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]);
    for (const [id] of attachments) expect(dependsOn(nodeGroup)).toContain(`aws_iam_role_policy_attachment.${id}`);
  });

  test("joins after vpc-cni and eks-pod-identity-agent", () => {
    const addonIds = ["vpc-cni", "eks-pod-identity-agent"].map((name) => find(json, "aws_eks_addon", (a) => a.addon_name === name)[0]);
    expect(dependsOn(nodeGroup)).toEqual(expect.arrayContaining(addonIds.map((id) => `aws_eks_addon.${id}`)));
  });

  test.each([
    [3, 2, 4],
    [1, 5, 4],
  ])("fails when sizes are out of order (min %i, desired %i, max %i)", (minSize, desiredSize, maxSize) => {
    expect(() => synthConstruct((stack) => buildCluster(stack, {}, { minSize, desiredSize, maxSize }))).toThrow(
      `node group sizes must satisfy minSize <= desiredSize <= maxSize, got ${minSize}/${desiredSize}/${maxSize}`,
    );
  });
});
