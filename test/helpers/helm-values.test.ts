import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unknownValuePaths } from "./helm-values";

describe("unknownValuePaths (hand-made chart)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlp-values-"));
  const valuesYaml = join(dir, "values.yaml");
  writeFileSync(
    valuesYaml,
    [
      "settings:",
      "  clusterName: ''",
      "  featureGates:",
      "    nodeRepair: false",
      "podAnnotations: {}",
      "extraArgs: []",
      "sampleLimit: null",
      "resources:",
      "  requests:",
      "    cpu: 100m",
      "image:",
      "  tag: 1.0.0",
      "",
    ].join("\n"),
  );

  test("accepts known paths and anything below open defaults", () => {
    expect(
      unknownValuePaths(
        {
          settings: { clusterName: "mlp-dev", featureGates: { nodeRepair: true } },
          podAnnotations: { "example.com/a": "b" },
          extraArgs: ["--x"],
          sampleLimit: { nested: 1 },
          resources: { limits: { memory: "1Gi" } },
        },
        valuesYaml,
      ),
    ).toEqual([]);
  });

  test("fails misspelt and invented keys, naming their full path", () => {
    expect(
      unknownValuePaths({ settings: { clusterNmae: "mlp-dev", featureGates: { nodeRepiar: true } }, image: { tag: "1.0.1", digest: "sha256:x" }, "dotted.key": 1 }, valuesYaml),
    ).toEqual(["settings.clusterNmae", "settings.featureGates.nodeRepiar", "image.digest", '["dotted.key"]']);
  });
});

describe("unknownValuePaths (upstream charts)", () => {
  test("accepts Karpenter 1.14 values the platform sets", () => {
    expect(
      unknownValuePaths(
        {
          settings: { clusterName: "mlp-dev", interruptionQueue: "mlp-dev-karpenter", featureGates: { nodeRepair: true, reservedCapacity: true } },
          controller: { resources: { requests: { cpu: "1", memory: "1Gi" } } },
          podAnnotations: { "example.com/x": "y" },
          nodeSelector: { "node.ml-platform.io/pool": "system" },
          tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        },
        "karpenter/values.yaml",
      ),
    ).toEqual([]);
  });

  test("fails Karpenter values with a pre-1.0 key and a typo", () => {
    expect(unknownValuePaths({ settings: { aws: { clusterName: "mlp-dev" }, clusterNam: "x" } }, "karpenter/values.yaml")).toEqual(["settings.aws", "settings.clusterNam"]);
  });

  test("accepts MLflow values the schema knows and fails a wrong type and an unknown key (draft-07 schema)", () => {
    const ok = { backendStore: { databaseMigration: true, postgres: { enabled: true, host: "db", port: 5432, database: "mlflow", user: "mlflow", driver: "psycopg2" } } };
    expect(unknownValuePaths(ok, "mlflow/values.yaml", "mlflow/values.schema.json")).toEqual([]);
    const bad = { backendStore: { databaseMigration: "yes", postgres: { hostname: "db" } } };
    expect(unknownValuePaths(bad, "mlflow/values.yaml", "mlflow/values.schema.json")).toEqual([
      "backendStore.postgres.hostname",
      "backendStore.databaseMigration: must be boolean (values.schema.json)",
      "backendStore.postgres.hostname: not allowed by values.schema.json",
    ]);
  });

  test("validates against a 2019-09 schema (EBS CSI driver)", () => {
    expect(unknownValuePaths({ controller: { extraVolumeTags: { Team: "ml" }, loggingFormat: "json" } }, "aws-ebs-csi-driver/values.yaml", "aws-ebs-csi-driver/values.schema.json")).toEqual([]);
    expect(unknownValuePaths({ controller: { loggingFormat: "xml" } }, "aws-ebs-csi-driver/values.yaml", "aws-ebs-csi-driver/values.schema.json")).toEqual([
      "controller.loggingFormat: must be one of \"text\", \"json\" (values.schema.json)",
    ]);
  });
});
