import devInput from "../environments/dev";
import { validateEnvironment } from "../environments/lib/load";
import prodInput from "../environments/prod";
import { allResources, resources, stack } from "./helpers/synth";

type Input = typeof prodInput;
const withMl = (base: Input, ml: Record<string, unknown>): Input => ({ ...base, ml: { ...base.ml, ...ml } }) as Input;

describe("ML data stores in the foundation", () => {
  test.each(["dev", "staging", "prod"])("%s has the four SSE-KMS buckets encrypted with the ML data key", (env) => {
    const s = stack(`${env}-foundation`);
    const buckets = Object.values(resources(s, "aws_s3_bucket")).map((b) => b.bucket);
    for (const purpose of ["mlflow-artifacts", "triton-models", "feast", "pipelines"]) {
      expect(buckets).toContain(`mlp-${env}-${purpose}-${env === "prod" ? "444455556666" : "111122223333"}`);
    }
    const dataKey = Object.entries(resources(s, "aws_kms_key")).find(([id]) => id.startsWith("ml-data_data-key"))!;
    const sse = Object.entries(resources(s, "aws_s3_bucket_server_side_encryption_configuration")).filter(([id]) => id.startsWith("ml-data_"));
    expect(sse).toHaveLength(4);
    for (const [, cfg] of sse) {
      expect(cfg.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: `\${aws_kms_key.${dataKey[0]}.arn}` });
    }
  });

  test("the MLflow database password is managed by RDS and never set in configuration", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const db = Object.values(resources(stack(`${env}-foundation`), "aws_db_instance"));
      expect(db).toHaveLength(1);
      expect(db[0]).toEqual(expect.objectContaining({ manage_master_user_password: true, storage_encrypted: true, publicly_accessible: false }));
      expect(db[0].password).toBeUndefined();
      expect(db[0].master_user_secret_kms_key_id).toMatch(/^\$\{aws_kms_key\.ml-data_data-key_/);
    }
  });

  test("prod protects every stateful ML store from destroy", () => {
    const s = stack("prod-foundation");
    const [db] = Object.values(resources(s, "aws_db_instance"));
    expect(db).toEqual(
      expect.objectContaining({
        deletion_protection: true,
        skip_final_snapshot: false,
        final_snapshot_identifier: "mlp-prod-mlflow-final",
        delete_automated_backups: false,
        multi_az: true,
        lifecycle: { prevent_destroy: true },
      }),
    );
    const mlBuckets = Object.entries(resources(s, "aws_s3_bucket")).filter(([id]) => id.startsWith("ml-data_"));
    expect(mlBuckets).toHaveLength(4);
    for (const [, b] of mlBuckets) expect(b).toEqual(expect.objectContaining({ force_destroy: false, lifecycle: { prevent_destroy: true } }));
    const key = Object.entries(resources(s, "aws_kms_key")).find(([id]) => id.startsWith("ml-data_data-key"))![1];
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("dev can be torn down: no deletion protection, no final snapshot", () => {
    const [db] = Object.values(resources(stack("dev-foundation"), "aws_db_instance"));
    expect(db).toEqual(expect.objectContaining({ deletion_protection: false, skip_final_snapshot: true, multi_az: false }));
    expect(db.lifecycle).toBeUndefined();
  });

  test("the database security group admits only PostgreSQL from the EKS cluster security group", () => {
    const s = stack("prod-foundation");
    const rules = allResources(s).filter(([type, id]) => type === "aws_vpc_security_group_ingress_rule" && id.startsWith("ml-data_"));
    expect(rules).toHaveLength(1);
    expect(rules[0][2]).toEqual(
      expect.objectContaining({ ip_protocol: "tcp", from_port: 5432, to_port: 5432, referenced_security_group_id: expect.stringMatching(/^\$\{aws_eks_cluster\.eks_cluster_[A-Z0-9]+\.vpc_config\[0\]\.cluster_security_group_id\}$/) }),
    );
    expect(rules[0][2].cidr_ipv4).toBeUndefined();
    const sg = Object.entries(resources(s, "aws_security_group")).find(([id]) => id.startsWith("ml-data_"))![1];
    expect(sg.egress).toBeUndefined();
    expect(sg.ingress).toBeUndefined();
  });

  test("the database enforces TLS and logs to an encrypted log group it does not create implicitly", () => {
    const s = stack("staging-foundation");
    const [pg] = Object.values(resources(s, "aws_db_parameter_group"));
    expect(pg.parameter).toEqual([{ name: "rds.force_ssl", value: "1" }]);
    const logGroup = Object.values(resources(s, "aws_cloudwatch_log_group")).find((g) => g.name === "/aws/rds/instance/mlp-staging-mlflow/postgresql");
    expect(logGroup).toEqual(expect.objectContaining({ retention_in_days: 30, kms_key_id: expect.stringContaining("aws_kms_key.logs-key") }));
  });
});

describe("ML environment settings", () => {
  test("defaults fill an omitted ml block", () => {
    const { ml: _omitted, ...rest } = devInput;
    const env = validateEnvironment("dev", rest);
    expect(env.ml.triton).toEqual({ minReplicas: 1, maxReplicas: 2, targetQueueMicroseconds: 50_000, gpusPerReplica: 1, cpu: "2", memoryGiB: 8 });
    expect(env.ml.ingress).toEqual({ enabled: false, scheme: "internal" });
    expect(env.ml.mlflowDatabase.instanceClass).toBe("db.t4g.small");
  });

  test("fails when production runs the MLflow database in one AZ", () => {
    expect(() => validateEnvironment("prod", withMl(prodInput, { mlflowDatabase: { ...prodInput.ml!.mlflowDatabase, multiAz: false } }))).toThrow(
      'environment "prod": ml.mlflowDatabase.multiAz: got false; must be true in production tier (a standby in a second AZ)',
    );
  });

  test("fails when production asks for an internet-facing load balancer", () => {
    expect(() => validateEnvironment("prod", withMl(prodInput, { ingress: { enabled: true, scheme: "internet-facing" } }))).toThrow(
      'environment "prod": ml.ingress.scheme: got "internet-facing"; must be internal in production tier (the ML UIs have no authentication of their own)',
    );
  });

  test("fails when Triton may scale to zero replicas", () => {
    expect(() => validateEnvironment("dev", withMl(devInput as Input, { triton: { minReplicas: 0 } }))).toThrow(
      'environment "dev": ml.triton.minReplicas: got 0; must be at least 1: the queue-time signal cannot wake Triton from zero replicas',
    );
  });

  test("fails when maxReplicas is below minReplicas", () => {
    expect(() => validateEnvironment("dev", withMl(devInput as Input, { triton: { minReplicas: 3, maxReplicas: 2 } }))).toThrow(
      'environment "dev": ml.triton.maxReplicas: got 2; must be at least minReplicas (3)',
    );
  });

  test("fails when storage autoscaling ends below the allocated storage", () => {
    expect(() => validateEnvironment("dev", withMl(devInput as Input, { mlflowDatabase: { allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 } }))).toThrow(
      'environment "dev": ml.mlflowDatabase.maxAllocatedStorageGiB: got 50; must be at least allocatedStorageGiB (100)',
    );
  });

  test("fails on a malformed RDS instance class and an invalid Feast project", () => {
    let message = "";
    try {
      validateEnvironment("dev", withMl(devInput as Input, { mlflowDatabase: { instanceClass: "t4g.small" }, feast: { project: "ML-Platform" } }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('environment "dev": ml.mlflowDatabase.instanceClass: got "t4g.small"; must be an RDS instance class like db.t4g.medium or db.m7g.large');
    expect(message).toContain('environment "dev": ml.feast.project: got "ML-Platform"; must start with a lowercase letter and contain only a-z, 0-9 and _ (at most 40 characters)');
  });

  test("fails on an unknown ml field", () => {
    expect(() => validateEnvironment("dev", withMl(devInput as Input, { trition: {} }))).toThrow(
      'environment "dev": ml.trition: unknown field (got {}); check its spelling against environments/lib/schema.ts',
    );
  });
});
