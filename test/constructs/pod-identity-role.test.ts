import { PodIdentityRole, type PodIdentityRoleProps } from "../../constructs/iam/pod-identity-role";
import { ACCOUNT, policyDoc, ref, single, synthConstruct } from "../helpers/construct";

const CLUSTER_ARN = `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/mlp-test`;

function synthRole(props: Partial<PodIdentityRoleProps> = {}) {
  return synthConstruct(
    (stack) =>
      new PodIdentityRole(stack, "mlflow", {
        cluster: { clusterName: "mlp-test", clusterArn: CLUSTER_ARN, accountId: ACCOUNT },
        namespace: "mlflow",
        serviceAccount: "mlflow-server",
        roleName: "mlp-test-mlflow",
        description: "MLflow tracking server",
        ...props,
      }),
  );
}

describe("PodIdentityRole", () => {
  const { json } = synthRole();

  test("trusts pods.eks.amazonaws.com only for this account, cluster, namespace and service account", () => {
    expect(policyDoc(single(json, "aws_iam_role")[1].assume_role_policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowEksPodIdentityForOneServiceAccount",
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: {
            StringEquals: {
              "aws:SourceAccount": ACCOUNT,
              "aws:RequestTag/eks-cluster-name": "mlp-test",
              "aws:RequestTag/kubernetes-namespace": "mlflow",
              "aws:RequestTag/kubernetes-service-account": "mlflow-server",
            },
            ArnEquals: { "aws:SourceArn": CLUSTER_ARN },
          },
        },
      ],
    });
  });

  test("associates the role with the service account", () => {
    const [roleId] = single(json, "aws_iam_role");
    expect(single(json, "aws_eks_pod_identity_association")[1]).toEqual({
      cluster_name: "mlp-test",
      namespace: "mlflow",
      service_account: "mlflow-server",
      role_arn: ref("aws_iam_role", roleId, "arn"),
    });
  });

  test.each(["Kube_System", "-mlflow", "mlflow-", ""])("fails for the namespace %j", (namespace) => {
    expect(() => synthRole({ namespace })).toThrow(`namespace must be a Kubernetes namespace name, got "${namespace}"`);
  });

  test.each(["MLflow", "mlflow_server", "mlflow."])("fails for the service account %j", (serviceAccount) => {
    expect(() => synthRole({ serviceAccount })).toThrow(`serviceAccount must be a Kubernetes service account name, got "${serviceAccount}"`);
  });
});
