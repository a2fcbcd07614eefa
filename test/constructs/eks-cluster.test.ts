import { ACCOUNT, dependsOn, find, ofType, policyDoc, ref, single, synthConstruct, target } from "../helpers/construct";
import { buildCluster } from "../helpers/eks";

const ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

function synthCluster(...args: Parameters<typeof buildCluster> extends [unknown, ...infer R] ? R : never) {
  return synthConstruct((stack) => buildCluster(stack, ...args)).json;
}

describe("EksCluster", () => {
  const json = synthCluster();
  const [clusterId, cluster] = single(json, "aws_eks_cluster");
  const keyArn = (alias: string) => {
    const [, a] = find(json, "aws_kms_alias", (x) => x.name === `alias/${alias}`);
    return ref("aws_kms_key", target(a.target_key_id, "aws_kms_key"), "arn");
  };
  const addon = (name: string) => find(json, "aws_eks_addon", (a) => a.addon_name === name);

  test("authenticates through access entries only, with no implicit creator admin", () => {
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    expect(cluster.bootstrap_self_managed_addons).toBe(false);
    expect(cluster.version).toBe("1.35");
  });

  test("envelope-encrypts secrets with the secrets key, which the cluster role may use", () => {
    expect(cluster.encryption_config).toEqual({ provider: { key_arn: keyArn("mlp-test-eks-secrets") }, resources: ["secrets"] });
    const [, inline] = find(json, "aws_iam_role_policy", (p) => p.name === "secrets-encryption");
    expect(policyDoc(inline.policy).Statement).toEqual([
      { Sid: "SecretsEnvelopeEncryption", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn("mlp-test-eks-secrets") },
    ]);
  });

  test("enables all five control-plane log types into a KMS-encrypted group created before the cluster", () => {
    expect(cluster.enabled_cluster_log_types).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    const [groupId, group] = find(json, "aws_cloudwatch_log_group", (g) => g.name === "/aws/eks/mlp-test/cluster");
    expect(group).toEqual({ name: "/aws/eks/mlp-test/cluster", retention_in_days: 30, kms_key_id: keyArn("mlp-test-logs") });
    expect(dependsOn(cluster)).toContain(`aws_cloudwatch_log_group.${groupId}`);
  });

  test("keeps the endpoint private when no allow-list is given", () => {
    expect(cluster.vpc_config).toEqual({
      endpoint_private_access: true,
      endpoint_public_access: false,
      security_group_ids: [expect.stringMatching(/^\$\{aws_security_group\..+\.id\}$/)],
      subnet_ids: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    });
  });

  test("opens the public endpoint only to the allow-listed CIDRs, and keeps private access", () => {
    const [, open] = single(synthCluster({ publicAccessCidrs: ["198.51.100.0/24", "203.0.113.10/32"] }), "aws_eks_cluster");
    expect(open.vpc_config).toEqual(
      expect.objectContaining({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["198.51.100.0/24", "203.0.113.10/32"] }),
    );
  });

  test("gives every admin role an access entry with AmazonEKSClusterAdminPolicy on the whole cluster", () => {
    const entries = Object.entries(ofType(json, "aws_eks_access_entry"));
    expect(entries.map(([, e]) => e.principal_arn).sort()).toEqual([`arn:aws:iam::${ACCOUNT}:role/ops/break-glass`, `arn:aws:iam::${ACCOUNT}:role/platform-admin`]);
    for (const [entryId, entry] of entries) {
      expect(entry).toEqual({ cluster_name: ref("aws_eks_cluster", clusterId, "name"), principal_arn: entry.principal_arn, type: "STANDARD" });
      // Referencing the entry's principal_arn orders the association after the entry.
      const [, association] = find(json, "aws_eks_access_policy_association", (a) => a.principal_arn === ref("aws_eks_access_entry", entryId, "principal_arn"));
      expect(association).toEqual(expect.objectContaining({ policy_arn: ADMIN_POLICY, access_scope: { type: "cluster" } }));
    }
    expect(Object.keys(ofType(json, "aws_eks_access_policy_association"))).toHaveLength(2);
  });

  test("installs pod-identity-agent and vpc-cni before the system node group, the rest after it", () => {
    const [nodeGroupId, nodeGroup] = single(json, "aws_eks_node_group");
    for (const name of ["eks-pod-identity-agent", "vpc-cni"]) expect(dependsOn(nodeGroup)).toContain(`aws_eks_addon.${addon(name)[0]}`);
    expect(dependsOn(addon("eks-pod-identity-agent")[1])).toEqual([]);
    for (const name of ["kube-proxy", "coredns", "aws-ebs-csi-driver"]) {
      expect(dependsOn(addon(name)[1])).toContain(`aws_eks_node_group.${nodeGroupId}`);
    }
    expect(Object.values(ofType(json, "aws_eks_addon")).map((a) => a.addon_name).sort()).toEqual(["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    for (const a of Object.values(ofType(json, "aws_eks_addon"))) {
      expect(a).toEqual(expect.objectContaining({ cluster_name: ref("aws_eks_cluster", clusterId, "name"), resolve_conflicts_on_create: "OVERWRITE", resolve_conflicts_on_update: "OVERWRITE" }));
      // Unpinned on purpose: EKS picks the default add-on version for the cluster version.
      expect(a.addon_version).toBeUndefined();
    }
  });

  test("runs the VPC CNI with its own Pod Identity role (AmazonEKS_CNI_Policy), after the Pod Identity agent it gets credentials from", () => {
    const [, cni] = addon("vpc-cni");
    expect(cni.pod_identity_association).toEqual([{ service_account: "aws-node", role_arn: expect.stringMatching(/^\$\{aws_iam_role\.(.+)\.arn\}$/) }]);
    const roleId = target(cni.pod_identity_association[0].role_arn, "aws_iam_role");
    const role = ofType(json, "aws_iam_role")[roleId];
    expect(role.name).toBe("mlp-test-vpc-cni");
    const [trust] = policyDoc(role.assume_role_policy).Statement;
    expect(trust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
    expect(trust.Condition!.StringEquals).toEqual(expect.objectContaining({ "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "aws-node" }));
    const attachments = Object.entries(ofType(json, "aws_iam_role_policy_attachment")).filter(([, a]) => a.role === ref("aws_iam_role", roleId, "name"));
    expect(attachments.map(([, a]) => a.policy_arn)).toEqual(["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]);
    expect(dependsOn(cni)).toEqual(expect.arrayContaining([`aws_eks_addon.${addon("eks-pod-identity-agent")[0]}`, `aws_iam_role_policy_attachment.${attachments[0][0]}`]));
    // The add-on owns the association: a separate one for the same service account would conflict with it.
    expect(Object.values(ofType(json, "aws_eks_pod_identity_association")).filter((a) => a.service_account === "aws-node")).toEqual([]);
  });

  test("runs the EBS CSI controller through Pod Identity (kube-system/ebs-csi-controller-sa, AmazonEBSCSIDriverPolicy)", () => {
    const [assocId, association] = single(json, "aws_eks_pod_identity_association");
    expect(association).toEqual({
      cluster_name: ref("aws_eks_cluster", clusterId, "name"),
      namespace: "kube-system",
      service_account: "ebs-csi-controller-sa",
      role_arn: expect.any(String),
    });
    const roleId = target(association.role_arn, "aws_iam_role");
    const role = ofType(json, "aws_iam_role")[roleId];
    expect(role.name).toBe("mlp-test-ebs-csi");
    expect(policyDoc(role.assume_role_policy).Statement[0]).toEqual(
      expect.objectContaining({
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": ACCOUNT,
            "aws:RequestTag/eks-cluster-name": ref("aws_eks_cluster", clusterId, "name"),
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": "ebs-csi-controller-sa",
          },
          ArnEquals: { "aws:SourceArn": ref("aws_eks_cluster", clusterId, "arn") },
        },
      }),
    );
    const [attachmentId] = find(
      json,
      "aws_iam_role_policy_attachment",
      (a) => a.role === ref("aws_iam_role", roleId, "name") && a.policy_arn === "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    );
    expect(dependsOn(addon("aws-ebs-csi-driver")[1])).toEqual(
      expect.arrayContaining([`aws_eks_pod_identity_association.${assocId}`, `aws_iam_role_policy_attachment.${attachmentId}`]),
    );
  });

  test("runs the control plane under a role trusted by eks.amazonaws.com with AmazonEKSClusterPolicy", () => {
    const roleId = target(cluster.role_arn, "aws_iam_role");
    const role = ofType(json, "aws_iam_role")[roleId];
    expect(role.name).toBe("mlp-test-cluster");
    expect(policyDoc(role.assume_role_policy).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }]);
    const [attachmentId] = find(json, "aws_iam_role_policy_attachment", (a) => a.role === ref("aws_iam_role", roleId, "name"));
    expect(ofType(json, "aws_iam_role_policy_attachment")[attachmentId].policy_arn).toBe("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
    expect(dependsOn(cluster)).toContain(`aws_iam_role_policy_attachment.${attachmentId}`);
  });

  test("is destroyable by default", () => {
    expect(cluster.deletion_protection).toBe(false);
    expect(cluster.lifecycle).toBeUndefined();
  });

  test("protect turns on deletion protection and prevent_destroy", () => {
    const [, protectedCluster] = single(synthCluster({ protect: true }), "aws_eks_cluster");
    expect(protectedCluster.deletion_protection).toBe(true);
    expect(protectedCluster.lifecycle).toEqual({ prevent_destroy: true });
  });
});
