import { find, ofType, single } from "../helpers/construct";
import { allResources, projectEnvironment, projectEnvironments, resources, stack, synthesizeAll } from "../helpers/synth";
import { costTags } from "../../stacks/naming";
import { simulate } from "../helpers/ml-iam";

const ENVS = ["dev", "staging", "prod"] as const;

describe("foundation stack", () => {
  test.each(ENVS)("%s keeps its state in its own S3 bucket under <env>/foundation.tfstate with native locking, encrypted with the state key", (name) => {
    const env = projectEnvironment(name);
    expect(stack(`${name}-foundation`).json.terraform.backend).toEqual({
      s3: { bucket: `mlp-tfstate-${name}-${env.account.id}`, key: `${name}/foundation.tfstate`, region: "us-east-1", encrypt: true, kms_key_id: `alias/mlp-${name}-tfstate`, use_lockfile: true },
    });
  });

  test.each(ENVS)("%s pins the provider to its account and sets the cost tags as default tags", (name) => {
    const env = projectEnvironment(name);
    expect(stack(`${name}-foundation`).json.provider!.aws).toEqual([
      { region: env.account.region, allowed_account_ids: [env.account.id], default_tags: [{ tags: costTags(env) }] },
    ]);
    expect(costTags(env).Environment).toBe(name);
  });

  test.each([
    ["dev", 1, 2],
    ["staging", 3, 3],
    ["prod", 3, 3],
  ])("%s runs %i NAT gateway(s) and subnets in %i AZs", (name, nats, azs) => {
    const s = stack(`${name}-foundation`);
    expect(Object.keys(resources(s, "aws_nat_gateway"))).toHaveLength(nats);
    const subnets = Object.values(resources(s, "aws_subnet"));
    expect(subnets).toHaveLength(2 * azs);
    expect([...new Set(subnets.map((x) => x.availability_zone))].sort()).toEqual(projectEnvironment(name).network.availabilityZones);
  });

  test.each(ENVS)("%s: the node-volumes key lets the instance-launching service-linked roles use it, matched by ARN so a missing role cannot break the key", (name) => {
    const env = projectEnvironment(name);
    const [keyId, key] = find(stack(`${name}-foundation`).json, "aws_kms_key", (k) => k.description === `EBS volumes of mlp-${name}: node root volumes and persistent volumes`);
    const slr = (service: string, role: string) => `arn:aws:iam::${env.account.id}:role/aws-service-role/${service}.amazonaws.com/${role}`;
    const roles = { ArnEquals: { "aws:PrincipalArn": [slr("autoscaling", "AWSServiceRoleForAutoScaling"), slr("spot", "AWSServiceRoleForEC2Spot"), slr("ec2fleet", "AWSServiceRoleForEC2Fleet")] }, StringEquals: { "kms:CallerAccount": env.account.id } };
    const [, use, attach] = JSON.parse(key.policy).Statement;
    expect(use).toEqual(expect.objectContaining({ Principal: { AWS: "*" }, Resource: "*", Condition: roles }));
    expect(use.Action).toEqual(expect.arrayContaining(["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"]));
    expect(attach).toEqual(expect.objectContaining({ Principal: { AWS: "*" }, Action: ["kms:CreateGrant"], Resource: "*", Condition: { ...roles, Bool: { "kms:GrantIsForAWSResource": true } } }));
    const [, lt] = single(stack(`${name}-foundation`).json, "aws_launch_template");
    expect(lt.block_device_mappings[0].ebs.kms_key_id).toBe(`\${aws_kms_key.${keyId}.arn}`);
  });

  test("the EBS CSI driver encrypts persistent volumes with the volumes key, through EC2 only (the driver's documented KMS policy)", async () => {
    const json = stack("staging-foundation").json;
    const [keyId, key] = find(json, "aws_kms_key", (k) => k.description === "EBS volumes of mlp-staging: node root volumes and persistent volumes");
    const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${"1".repeat(8)}-1111-1111-1111-${"1".repeat(12)}`;
    const roleId = Object.entries(ofType(json, "aws_iam_role")).find(([, r]) => r.name === "mlp-staging-ebs-csi")![0];
    const policies = Object.values(ofType(json, "aws_iam_role_policy"))
      .filter((p) => p.role === `\${aws_iam_role.${roleId}.id}` || p.role === `\${aws_iam_role.${roleId}.name}`)
      .map((p) => JSON.parse(String(p.policy).replaceAll(`\${aws_kms_key.${keyId}.arn}`, keyArn)));
    const keyPolicy = JSON.parse(key.policy);
    const ask = (action: string, context: Record<string, string>) => simulate("111122223333", policies, { action, resource: keyArn, resourcePolicy: keyPolicy, context });
    const viaEc2 = { "kms:ViaService": "ec2.us-east-1.amazonaws.com" };
    expect(await ask("kms:GenerateDataKeyWithoutPlaintext", viaEc2)).toBe("Allowed");
    expect(await ask("kms:CreateGrant", { ...viaEc2, "kms:GrantIsForAWSResource": "true" })).toBe("Allowed");
    expect(await ask("kms:Decrypt", { "kms:ViaService": "s3.us-east-1.amazonaws.com" })).toBe("ImplicitlyDenied");
    expect(await ask("kms:CreateGrant", { ...viaEc2, "kms:GrantIsForAWSResource": "false" })).toBe("ImplicitlyDenied");
  });

  test("prod's API endpoint is private only", () => {
    const [, cluster] = single(stack("prod-foundation").json, "aws_eks_cluster");
    expect(cluster.vpc_config.endpoint_private_access).toBe(true);
    expect(cluster.vpc_config.endpoint_public_access).toBe(false);
    expect(cluster.vpc_config.public_access_cidrs).toBeUndefined();
  });

  test.each(ENVS)("%s runs cluster mlp-<env> at the environment's Kubernetes version and system node sizes", (name) => {
    const env = projectEnvironment(name);
    const json = stack(`${name}-foundation`).json;
    expect(single(json, "aws_eks_cluster")[1]).toEqual(expect.objectContaining({ name: `mlp-${name}`, version: env.cluster.kubernetesVersion }));
    const sys = env.cluster.systemNodeGroup;
    expect(single(json, "aws_eks_node_group")[1]).toEqual(
      expect.objectContaining({ instance_types: sys.instanceTypes, scaling_config: { min_size: sys.minSize, max_size: sys.maxSize, desired_size: sys.desiredSize } }),
    );
    expect(find(json, "aws_cloudwatch_log_group", (g) => g.name === `/aws/eks/mlp-${name}/cluster`)[1].retention_in_days).toBe(env.cluster.logRetentionDays);
    expect(find(json, "aws_cloudwatch_log_group", (g) => g.name === `/aws/vpc/mlp-${name}/flow-logs`)[1].retention_in_days).toBe(env.network.flowLogRetentionDays);
  });

  test("only prod protects the cluster and its KMS keys from destroy", () => {
    for (const name of ENVS) {
      const json = stack(`${name}-foundation`).json;
      const prod = name === "prod";
      const [, cluster] = single(json, "aws_eks_cluster");
      expect([name, cluster.deletion_protection, cluster.lifecycle?.prevent_destroy ?? false]).toEqual([name, prod, prod]);
      const keys = Object.values(ofType(json, "aws_kms_key"));
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) expect([name, key.lifecycle?.prevent_destroy ?? false]).toEqual([name, prod]);
    }
  });

  test("add-ons nodes need come before the system node group, the others after it", () => {
    const json = stack("staging-foundation").json;
    const [ngId, ng] = single(json, "aws_eks_node_group");
    const addonId = (name: string) => find(json, "aws_eks_addon", (a) => a.addon_name === name)[0];
    expect(ng.depends_on).toEqual(expect.arrayContaining([`aws_eks_addon.${addonId("eks-pod-identity-agent")}`, `aws_eks_addon.${addonId("vpc-cni")}`]));
    for (const name of ["kube-proxy", "coredns", "aws-ebs-csi-driver"]) {
      expect(ofType(json, "aws_eks_addon")[addonId(name)].depends_on).toContain(`aws_eks_node_group.${ngId}`);
    }
  });

  describe("across every stack of every environment", () => {
    const all = () => synthesizeAll().stacks;

    test("every log group is encrypted with a customer managed key", () => {
      const groups = all().flatMap((s) => Object.values(resources(s, "aws_cloudwatch_log_group")));
      expect(groups.length).toBeGreaterThanOrEqual(2 * ENVS.length);
      for (const g of groups) expect(g.kms_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    });

    test("environments sharing an account never share a physical name", () => {
      const byAccount = new Map<string, Map<string, string>>();
      for (const env of projectEnvironments()) {
        const seen = byAccount.get(env.account.id) ?? new Map<string, string>();
        byAccount.set(env.account.id, seen);
        for (const s of all().filter((x) => x.id.startsWith(`${env.name}-`))) {
          for (const [type, , cfg] of allResources(s)) {
            // Helm releases and Kubernetes objects are named per cluster, not per account.
            if (type === "aws_iam_role_policy" || type === "aws_eks_node_group" || !type.startsWith("aws_")) continue;
            const name = cfg.name ?? cfg.bucket;
            if (typeof name !== "string" || name.includes("${")) continue;
            const key = `${type}:${name}`;
            expect([key, seen.get(key) ?? env.name]).toEqual([key, env.name]);
            seen.set(key, env.name);
          }
        }
      }
      expect(byAccount.get("111122223333")!.size).toBeGreaterThan(20);
    });
  });
});
