import { KARPENTER_CONTROLLER_POLICY_NAMES } from "../constructs/karpenter/controller-policies";
import { karpenterInlinePolicyName } from "../constructs/karpenter/karpenter";
import { oracle } from "./helpers/oracles";
import { projectEnvironment, resources, stack, type SynthesizedStack } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** IAM's character limits (whitespace is not counted; our JSON has none). */
const MANAGED_POLICY_LIMIT = 6144;
const INLINE_ROLE_POLICIES_LIMIT = 10240;

function logicalIdByName(s: SynthesizedStack, type: string, name: string, match: (cfg: Json) => boolean = (cfg) => cfg.name === name): string {
  const hit = Object.entries(resources(s, type)).find(([, cfg]) => match(cfg));
  if (!hit) throw new Error(`${s.id}: no ${type} named ${name}`);
  return hit[0];
}

function controllerInlinePolicies(s: SynthesizedStack, roleId: string): Map<string, string> {
  return new Map(
    Object.values(resources(s, "aws_iam_role_policy"))
      .filter((p) => p.role === `\${aws_iam_role.${roleId}.id}`)
      .map((p) => [p.name as string, p.policy as string]),
  );
}

const asSet = (x: unknown): string[] => (x === undefined ? [] : ([] as unknown[]).concat(x as unknown[]).map(String).sort());

/** A statement in a form where string-vs-list and ordering differences do not matter. */
function normalize(statement: Json): Json {
  const condition: Record<string, Record<string, string[]>> = {};
  for (const [op, block] of Object.entries(statement.Condition ?? {})) {
    condition[op] = Object.fromEntries(Object.entries(block as Record<string, unknown>).map(([k, v]) => [k, asSet(v)]));
  }
  return { Effect: statement.Effect, Action: asSet(statement.Action), Resource: asSet(statement.Resource), Condition: condition, NotAction: statement.NotAction, NotResource: statement.NotResource };
}

describe.each(["dev", "staging", "prod"])("Karpenter controller IAM in %s", (envName) => {
  const env = projectEnvironment(envName);
  const s = stack(`${envName}-platform`);
  const clusterName = `mlp-${envName}`;
  const controllerRoleId = logicalIdByName(s, "aws_iam_role", `${clusterName}-karpenter-controller`);
  const nodeRoleId = logicalIdByName(s, "aws_iam_role", `${clusterName}-karpenter-node`);
  const queueId = logicalIdByName(s, "aws_sqs_queue", `${clusterName}-karpenter-interruption`);
  const policies = controllerInlinePolicies(s, controllerRoleId);

  describe("matches the official policies", () => {
    const substitutions: Record<string, string> = {
      "${AWS::Partition}": "aws",
      "${AWS::Region}": env.account.region,
      "${AWS::AccountId}": env.account.id,
      "${AWS::URLSuffix}": "amazonaws.com",
      "${ClusterName}": clusterName,
      "${KarpenterNodeRole.Arn}": `\${aws_iam_role.${nodeRoleId}.arn}`,
      "${KarpenterInterruptionQueue.Arn}": `\${aws_sqs_queue.${queueId}.arn}`,
    };
    const official = (name: string): Json[] => {
      let text = JSON.stringify(oracle(`karpenter/iam/controller-policies/${name}.json`));
      for (const [placeholder, value] of Object.entries(substitutions)) text = text.split(placeholder).join(value);
      if (/\$\{[A-Za-z]+(::[A-Za-z]+|\.Arn)\}/.test(text)) throw new Error(`unsubstituted placeholder in ${name}: ${text}`);
      return JSON.parse(text).Statement;
    };

    test("the role carries exactly the six official policies, one inline policy each, and the node-volumes key policy", () => {
      expect([...policies.keys()].sort()).toEqual([...KARPENTER_CONTROLLER_POLICY_NAMES.map(karpenterInlinePolicyName), "KarpenterNodeVolumesKey"].sort());
    });

    test.each([...KARPENTER_CONTROLLER_POLICY_NAMES])("%s: same Sids, actions, resources and conditions, nothing broader", (name) => {
      const ours: Json[] = JSON.parse(policies.get(karpenterInlinePolicyName(name))!).Statement;
      const theirs = official(name);
      expect(ours.map((st) => st.Sid)).toEqual(theirs.map((st) => st.Sid));
      for (const st of theirs) {
        const mine = ours.find((o) => o.Sid === st.Sid);
        expect({ Sid: st.Sid, ...normalize(mine) }).toEqual({ Sid: st.Sid, ...normalize(st) });
      }
    });
  });

  test("the node-volumes key is usable only through EC2, and grants only for AWS resources (Karpenter's launches of encrypted volumes)", () => {
    const keyId = logicalIdByName(stack(`${envName}-foundation`), "aws_kms_key", "", (k) => k.description === `EBS volumes of ${clusterName}: node root volumes and persistent volumes`);
    const statements = JSON.parse(policies.get("KarpenterNodeVolumesKey")!).Statement;
    const key = statements[0].Resource;
    // The foundation's key, read through the cross-stack output of its ARN.
    expect(key).toMatch(new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-${envName}-foundation\\.outputs\\.cross-stack-output-aws_kms_key${keyId}arn\\}$`));
    const viaEc2 = { "kms:ViaService": `ec2.${env.account.region}.amazonaws.com` };
    expect(statements).toEqual([
      { Sid: "EncryptNodeVolumes", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Resource: key, Condition: { StringEquals: viaEc2 } },
      { Sid: "AttachNodeVolumes", Effect: "Allow", Action: ["kms:CreateGrant"], Resource: key, Condition: { StringEquals: viaEc2, Bool: { "kms:GrantIsForAWSResource": true } } },
    ]);
  });

  test("each policy fits a managed policy and all seven fit the inline aggregate, with ARNs at their longest", () => {
    // Interpolations resolve to ARNs/names of at most ~120 characters (role name <= 64, queue name <= 80).
    const longest = (text: string) => text.replace(/\$\{[^}]+\}/g, "x".repeat(128));
    const sizes = [...policies.values()].map((p) => longest(p).length);
    for (const size of sizes) expect(size).toBeLessThan(MANAGED_POLICY_LIMIT);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(INLINE_ROLE_POLICIES_LIMIT);
  });

  test("the controller role is trusted by Pod Identity for kube-system/karpenter of this cluster only", () => {
    const trust = JSON.parse(resources(s, "aws_iam_role")[controllerRoleId].assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toEqual(
      expect.objectContaining({
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: expect.objectContaining({
          StringEquals: expect.objectContaining({
            "aws:SourceAccount": env.account.id,
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": "karpenter",
          }),
        }),
      }),
    );
    const association = Object.values(resources(s, "aws_eks_pod_identity_association")).find((a) => a.role_arn === `\${aws_iam_role.${controllerRoleId}.arn}`);
    expect(association).toEqual(expect.objectContaining({ namespace: "kube-system", service_account: "karpenter" }));
  });

  test("the node role has the three node policies (the VPC CNI has its own role) and an EC2_LINUX access entry", () => {
    const attached = Object.values(resources(s, "aws_iam_role_policy_attachment"))
      .filter((a) => a.role === `\${aws_iam_role.${nodeRoleId}.name}`)
      .map((a) => a.policy_arn)
      .sort();
    expect(attached).toEqual(
      ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonSSMManagedInstanceCore"].map((p) => `arn:aws:iam::aws:policy/${p}`),
    );
    const trust = JSON.parse(resources(s, "aws_iam_role")[nodeRoleId].assume_role_policy);
    expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: ["sts:AssumeRole"] }]);
    const entries = Object.values(resources(s, "aws_eks_access_entry")).filter((e) => e.principal_arn === `\${aws_iam_role.${nodeRoleId}.arn}`);
    expect(entries).toEqual([expect.objectContaining({ type: "EC2_LINUX" })]);
  });
});
