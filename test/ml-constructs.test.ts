import { App, TerraformStack } from "cdktf";
import { PostgresDatabase } from "../constructs/data/postgres-database";
import { Feast } from "../constructs/ml/feast";
import { MlIngress, type MlIngressProps } from "../constructs/ml/ml-ingress";
import { ModelRollout, type ModelRolloutProps } from "../constructs/delivery/model-rollout";
import { ExternalSecrets } from "../constructs/secrets/external-secrets";
import { KmsKey } from "../constructs/security/kms-key";
import { oracle } from "./helpers/oracles";
import { release } from "./helpers/ml-helm";
import { resources, stack } from "./helpers/synth";

const scope = () => new TerraformStack(new App(), "test");

describe("ML construct validation", () => {
  test("fails when Triton's minimum is zero replicas", () => {
    const sizing = { minReplicas: 0, maxReplicas: 2, targetQueueMicroseconds: 1000, gpusPerReplica: 1, cpu: "2", memoryGiB: 8 };
    expect(() => new ModelRollout(scope(), "t", { model: "churn", sizing } as unknown as ModelRolloutProps)).toThrow(
      "triton-churn: minReplicas must be at least 1 (queue time cannot wake a scaled-to-zero server), got 0",
    );
  });

  test("fails when the database's storage ceiling is below its allocation", () => {
    const s = scope();
    const key = new KmsKey(s, "k", { accountId: "111122223333", alias: "k", description: "k" });
    expect(
      () =>
        new PostgresDatabase(s, "db", {
          identifier: "mlp-x-mlflow",
          databaseName: "mlflow",
          masterUsername: "mlflow",
          instanceClass: "db.t4g.small",
          allocatedStorageGiB: 100,
          maxAllocatedStorageGiB: 50,
          backupRetentionDays: 7,
          multiAz: false,
          vpcId: "vpc-1",
          subnetIds: ["subnet-1", "subnet-2"],
          clientSecurityGroupIds: ["sg-1"],
          encryptionKey: key,
          logsKey: key,
          logRetentionDays: 14,
        }),
    ).toThrow("database mlp-x-mlflow: maxAllocatedStorageGiB (50) must be at least allocatedStorageGiB (100)");
  });

  describe("MlIngress", () => {
    const service = { host: "a", namespace: "a", serviceName: "a", servicePort: 80, healthCheckPath: "/", ui: true };
    const cognito = { type: "cognito", userPoolArn: "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_abc", userPoolClientId: "abc", userPoolDomain: "d" } as const;
    const props: MlIngressProps = { groupName: "mlp-dev-ml", ingressClassName: "alb", scheme: "internal", domain: "ml.example.com", certificateArn: "arn", allowedCidrs: ["10.0.0.0/16"], apiCidrs: ["10.0.0.0/16"], login: cognito, services: [service], dependsOn: [] };

    test("fails when two services share a host", () => {
      expect(() => new MlIngress(scope(), "i", { ...props, services: [service, { ...service, namespace: "b" }] })).toThrow("ingress hosts must be unique, got a, a");
    });

    test("fails with more API networks than a load balancer rule holds", () => {
      expect(() => new MlIngress(scope(), "i", { ...props, apiCidrs: ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"] })).toThrow(
        "at most 3 API CIDRs fit a load balancer rule (host, path and source IPs share 5 condition values), got 4",
      );
    });

    test("fails with an OIDC login but no client secret to read", () => {
      const oidc = { type: "oidc", issuer: "https://i", authorizationEndpoint: "https://i/a", tokenEndpoint: "https://i/t", userInfoEndpoint: "https://i/u", clientId: "c", scope: "openid" } as const;
      expect(() => new MlIngress(scope(), "i", { ...props, login: oidc })).toThrow("an OIDC login needs oidcClient: where its client secret comes from");
    });
  });

  test("fails on a Feast project that cannot prefix DynamoDB table names", () => {
    expect(() => new Feast(scope(), "f", { project: "ML-Platform" } as never)).toThrow('feast: project must match [a-z][a-z0-9_]{0,39}, got "ML-Platform"');
  });
});

describe("Feast permissions start from Feast's documented DynamoDB policy", () => {
  test("the roles together keep every documented action but the table changes Terraform makes, on the declared tables instead of table/*", () => {
    const reference = oracle<{ Statement: Array<{ Action: string[]; Resource: string[] }> }>("feast/iam/dynamodb-online-store-policy.json");
    const documented: string[] = reference.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(reference.Statement[0].Resource).toEqual(["arn:aws:dynamodb:<region>:<account_id>:table/*"]);
    const statements = Object.values(resources(stack("dev-ml"), "aws_iam_role_policy"))
      .filter((p) => p.name.startsWith("feast-online-"))
      .flatMap((p) => JSON.parse(p.policy).Statement as Array<{ Action: string[]; Resource: string | string[] }>)
      .filter((st) => st.Action.some((a) => a.startsWith("dynamodb:")));
    const granted = new Set(statements.flatMap((st) => st.Action));
    const terraformOnly = ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:TagResource"];
    expect(documented.filter((a) => !granted.has(a))).toEqual(terraformOnly);
    const declared = ["arn:aws:dynamodb:us-east-1:111122223333:table/mlp_dev.driver_hourly_stats", "arn:aws:dynamodb:us-east-1:111122223333:table/mlp_dev.driver_hourly_stats_fresh"];
    expect(statements.map((st) => JSON.stringify(st.Resource)).sort()).toEqual([JSON.stringify("arn:aws:dynamodb:us-east-1:111122223333:table/mlp_dev.*"), JSON.stringify(declared), JSON.stringify(declared)]);
  });
});

describe("External Secrets wiring", () => {
  test("the admission policy of store roles is installed after the operator (its CRDs), the operator after its role", () => {
    const s = stack("prod-platform");
    expect(release(s, "secret-store-policy").config.depends_on).toEqual([expect.stringMatching(/^helm_release\.external-secrets_chart_release_/)]);
    expect(release(s, "external-secrets").config.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_eks_pod_identity_association\.external-secrets_role_association_/)]));
  });

  test("fails a second SecretStore for one namespace (its role name would collide)", () => {
    const s = scope();
    const es = new ExternalSecrets(s, "es", { cluster: { clusterName: "c", clusterArn: "arn:aws:eks:us-east-1:111122223333:cluster/c", accountId: "111122223333" }, region: "us-east-1", roleName: "r", storeRolePrefix: "mlp-x-secrets-" });
    es.secretStore(s, "mlflow");
    expect(() => es.secretStore(s, "mlflow")).toThrow("external-secrets: namespace mlflow already has a SecretStore; share it instead of creating another");
  });
});
