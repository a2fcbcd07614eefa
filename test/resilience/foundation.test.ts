// The foundation side of issue 17 as synthesized: the node monitoring agent add-on and its configuration, the training
// bucket, the FSx for Lustre file system (zone, encryption, links, protection, network) and the FSx CSI driver's IAM.
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { DCGM_HOST_ENGINE_INSTANCE_TYPES } from "../../constructs/resilience/dcgm-host-engine";
import { configuredAddonFootprint, RESILIENCE_ADDON_FOOTPRINTS } from "../../constructs/resilience/addon-footprints";
import { NODE_MONITORING_AGENT_ADDON, nodeMonitoringAgentConfiguration } from "../../constructs/resilience/node-monitoring-agent";
import { gpuClientAffinity } from "../../constructs/serving/gpu-sharing";
import { managedNodeGroupUnhealthyThreshold } from "../../constructs/resilience/node-repair";
import { csiNodeConfiguration, FSX_CSI } from "../../constructs/storage/csi-drivers";
import { fsxS3AccessKeyStatement } from "../../constructs/storage/fsx-lustre";
import { auditCustomerKeys, securityTarget } from "../helpers/security-audit";
import { unknownValuePaths } from "../helpers/helm-values";
import { oracle } from "../helpers/oracles";
import { resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const only = (s: ReturnType<typeof stack>, type: string): Any => {
  const all = Object.values(resources(s, type));
  expect(all).toHaveLength(1);
  return all[0];
};
const addon = (env: string, name: string): Any => Object.values(resources(stack(`${env}-foundation`), "aws_eks_addon")).find((a: Any) => a.addon_name === name);
const validateAgentConfiguration = new Ajv({ strict: false, allErrors: true }).compile(oracle<Any>("eks-node-monitoring-agent/configuration.schema.json"));

describe("node monitoring agent", () => {
  const tolerations = [
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    { key: "node.ml-platform.io/workload", operator: "Exists", effect: "NoSchedule" },
    { key: "ml-platform.io/team", operator: "Exists", effect: "NoSchedule" },
  ];
  test.each(["dev", "staging", "prod"])("%s: the add-on is pinned and its DCGM agent tolerates the GPU pools' taints", (env) => {
    const a = addon(env, "eks-node-monitoring-agent");
    expect(a.addon_version).toBe("v1.7.0-eksbuild.1");
    expect(JSON.parse(a.configuration_values).dcgmAgent.tolerations).toEqual(tolerations);
    expect(a.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_eks_node_group\.system-nodes_/)]));
  });

  test("without a MIG pool (dev, staging) dcgm-server keeps the chart's affinity", () => {
    for (const env of ["dev", "staging"]) expect([env, JSON.parse(addon(env, "eks-node-monitoring-agent").configuration_values)]).toEqual([env, { dcgmAgent: { tolerations } }]);
  });

  test("with prod's MIG pool, dcgm-server waits for mig-manager like the DCGM exporter: chart term AND each of the exporter's terms", () => {
    const config = JSON.parse(addon("prod", "eks-node-monitoring-agent").configuration_values);
    expect(validateAgentConfiguration(config)).toBe(true);
    const terms = config.dcgmAgent.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    const chartTerm = oracle<Any>("eks-node-monitoring-agent/values.yaml").dcgmAgent.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
    const exporter = (Object.values(resources(stack("prod-platform"), "helm_release")) as Any[]).find((r) => r.chart === "dcgm-exporter");
    const exporterTerms = parseYaml(exporter.values[0]).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    // The exporter's terms end with serving's readiness terms: no MIG config, or mig.config.state=success.
    const readiness = gpuClientAffinity();
    expect(readiness.map((t) => t.matchExpressions.map((e) => e.key))).toContainEqual(["nvidia.com/mig.config.state"]);
    expect(exporterTerms.map((t: Any, i: number) => t.matchExpressions.slice(-readiness[i].matchExpressions.length))).toEqual(readiness.map((t) => t.matchExpressions));
    expect(terms).toEqual(readiness.map((t) => ({ matchExpressions: [...chartTerm.matchExpressions, ...t.matchExpressions] })));
    // The deploy walk places dcgm-server by the configured affinity, not the chart's.
    const walked = (env: string) => {
      const a = addon(env, NODE_MONITORING_AGENT_ADDON);
      return configuredAddonFootprint(a.addon_name, RESILIENCE_ADDON_FOOTPRINTS[NODE_MONITORING_AGENT_ADDON], a.configuration_values).pods.find((p) => p.name === "dcgm-server")!.requiredNodeAffinity;
    };
    expect(walked("prod")).toEqual(terms);
    expect(walked("dev")).toEqual([chartTerm]);
  });

  test("its configuration is valid under the add-on's configuration.schema.json, which rejects a misspelt key", () => {
    expect(validateAgentConfiguration(nodeMonitoringAgentConfiguration())).toBe(true);
    expect(validateAgentConfiguration({ dcgmAgent: { toleration: [] } })).toBe(false);
    expect(validateAgentConfiguration({ dcgmAgent: { tolerations: {} } })).toBe(false);
  });

  test("the host engine's instance types are exactly dcgm-server's default affinity (amd64 only)", () => {
    const terms = oracle<Any>("eks-node-monitoring-agent/values.yaml").dcgmAgent.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    const expr = (key: string) => terms[0].matchExpressions.find((e: Any) => e.key === key);
    expect(DCGM_HOST_ENGINE_INSTANCE_TYPES).toEqual(expr("node.kubernetes.io/instance-type").values);
    expect(expr("kubernetes.io/arch").values).toEqual(["amd64"]);
  });
});

describe("training storage in the foundation", () => {
  const prod = stack("prod-foundation");
  const staging = stack("staging-foundation");

  test("dev has the training bucket but no file system (no EFA pool)", () => {
    const dev = stack("dev-foundation");
    expect(Object.values(resources(dev, "aws_s3_bucket")).map((b: Any) => b.bucket)).toContain("mlp-dev-training-111122223333");
    expect(resources(dev, "aws_fsx_lustre_file_system")).toEqual({});
    expect(addon("dev", FSX_CSI.addon)).toBeUndefined();
  });

  test("prod: PERSISTENT_2 SSD at the configured size and throughput, in the EFA subnet, encrypted with the data key, backed up, protected", () => {
    const fs = only(prod, "aws_fsx_lustre_file_system");
    expect(fs).toEqual(
      expect.objectContaining({
        deployment_type: "PERSISTENT_2",
        storage_type: "SSD",
        storage_capacity: 4800,
        per_unit_storage_throughput: 250,
        kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.ml-data_data-key_[0-9A-F]+\.arn\}$/),
        automatic_backup_retention_days: 7,
        copy_tags_to_backups: true,
        skip_final_backup: false,
        lifecycle: { prevent_destroy: true },
        tags: { Name: "mlp-prod-training-fsx" },
      }),
    );
    // The EFA zone's private subnet (us-east-1c in prod), the same one the EFA pool launches into.
    const subnets = resources(prod, "aws_subnet");
    const [subnetRef] = fs.subnet_ids as string[];
    const subnet = subnets[/aws_subnet\.([^.]+)\.id/.exec(subnetRef)![1]];
    expect([subnet.availability_zone, subnet.map_public_ip_on_launch ?? false]).toEqual(["us-east-1c", false]);
  });

  test("staging: not protected, no backups, a final backup skipped on destroy", () => {
    expect(only(staging, "aws_fsx_lustre_file_system")).toEqual(expect.objectContaining({ storage_capacity: 1200, per_unit_storage_throughput: 125, automatic_backup_retention_days: 0, skip_final_backup: true }));
    expect(only(staging, "aws_fsx_lustre_file_system").lifecycle).toBeUndefined();
  });

  test("datasets/ and checkpoints/ are linked with automatic import and export of every change", () => {
    const links = Object.values(resources(prod, "aws_fsx_data_repository_association")) as Any[];
    expect(links.map((l) => [l.file_system_path, l.data_repository_path]).sort()).toEqual([
      ["/checkpoints", "s3://mlp-prod-training-444455556666/checkpoints/"],
      ["/datasets", "s3://mlp-prod-training-444455556666/datasets/"],
    ]);
    for (const l of links) {
      expect(l.s3).toEqual({ auto_import_policy: { events: ["NEW", "CHANGED", "DELETED"] }, auto_export_policy: { events: ["NEW", "CHANGED", "DELETED"] } });
      expect(l.delete_data_in_filesystem).toBe(false);
      // After checkpoints/runs/ (itself after the bucket), so the first import brings it in.
      expect(l.depends_on).toEqual([expect.stringMatching(/^aws_s3_object\.resilience_checkpoint-runs-dir_/)]);
    }
  });

  test("the data key lets only FSx's S3 role of this account use it, through S3, for the training bucket", () => {
    const key = Object.entries(resources(prod, "aws_kms_key")).find(([id]) => id.startsWith("ml-data_data-key"))![1] as Any;
    const statement = JSON.parse(key.policy).Statement.find((s: Any) => s.Sid === "FsxS3AccessRoleUsesKeyForTrainingBucket");
    expect(statement).toEqual(fsxS3AccessKeyStatement("444455556666", "us-east-1", "mlp-prod-training-444455556666"));
    expect(statement.Condition.StringLike["kms:EncryptionContext:aws:s3:arn"]).toBe("arn:aws:s3:::mlp-prod-training-444455556666");
  });

  test("Lustre ports only, between the file system and the cluster's nodes, both ways", () => {
    const ingress = Object.values(resources(prod, "aws_vpc_security_group_ingress_rule")).filter((r: Any) => String(r.description).includes("Lustre")) as Any[];
    const egress = Object.values(resources(prod, "aws_vpc_security_group_egress_rule")).filter((r: Any) => String(r.description).includes("Lustre")) as Any[];
    expect([...ingress, ...egress].map((r) => [r.ip_protocol, r.from_port, r.to_port]).sort()).toEqual(
      [...Array(5).fill(["tcp", 1018, 1023]), ...Array(5).fill(["tcp", 988, 988])].sort(),
    );
    expect(ingress.every((r) => r.cidr_ipv4 === undefined && r.referenced_security_group_id)).toBe(true);
  });

  test("the FSx CSI driver: pinned add-on, node plugin on every taint, controller role that only describes file systems", () => {
    const a = addon("prod", FSX_CSI.addon);
    expect([a.addon_version, JSON.parse(a.configuration_values)]).toEqual(["v1.9.0-eksbuild.1", { node: { tolerateAllTaints: true } }]);
    expect(a.pod_identity_association).toEqual([{ service_account: "fsx-csi-controller-sa", role_arn: expect.stringMatching(/^\$\{aws_iam_role\.resilience_fsx-csi-role_/) }]);
    const policy = Object.values(resources(prod, "aws_iam_role_policy")).find((p: Any) => String(p.role).includes("resilience_fsx-csi-role")) as Any;
    const ours: string[] = JSON.parse(policy.policy).Statement.flatMap((s: Any) => s.Action);
    const documented = new Set<string>(oracle<Any>("aws-fsx-csi-driver/iam/example-iam-policy.json").Statement.flatMap((s: Any) => [s.Action].flat()));
    expect(ours).toEqual(["fsx:DescribeFileSystems"]);
    expect(ours.filter((x) => !documented.has(x))).toEqual([]);
    const role = Object.values(resources(prod, "aws_iam_role")).find((r: Any) => r.name === "mlp-prod-fsx-csi") as Any;
    expect(JSON.parse(role.assume_role_policy).Statement[0].Condition.StringEquals).toEqual(expect.objectContaining({ "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "fsx-csi-controller-sa" }));
  });

  test("the CSI drivers' configuration keys exist in their charts' values, and a misspelt one is caught", () => {
    expect(unknownValuePaths(csiNodeConfiguration(), "aws-fsx-csi-driver/values.yaml")).toEqual([]);
    expect(unknownValuePaths(csiNodeConfiguration(), "aws-mountpoint-s3-csi-driver/values.yaml")).toEqual([]);
    expect(unknownValuePaths({ node: { tolerateAllTaint: true } }, "aws-fsx-csi-driver/values.yaml")).toEqual(["node.tolerateAllTaint"]);
  });

  test("managed node groups repair their nodes: on, one at a time, stopping above a count that one bad node never exceeds", () => {
    // EKS stops repairing *above* the threshold: a percentage of 20 would block the first repair of a 2-4 node group.
    const expected: Record<string, { maxSize: number; threshold: number }> = { dev: { maxSize: 3, threshold: 1 }, staging: { maxSize: 4, threshold: 1 }, prod: { maxSize: 6, threshold: 2 } };
    for (const [env, { maxSize, threshold }] of Object.entries(expected)) {
      const group = only(stack(`${env}-foundation`), "aws_eks_node_group");
      expect([env, group.scaling_config.max_size]).toEqual([env, maxSize]);
      expect([env, group.node_repair_config]).toEqual([env, { enabled: true, max_unhealthy_node_threshold_count: threshold, max_parallel_nodes_repaired_count: 1 }]);
    }
    expect([1, 2, 4, 5, 6, 10, 11, 15].map(managedNodeGroupUnhealthyThreshold)).toEqual([1, 1, 1, 1, 2, 2, 3, 3]);
  });

  test("the customer-key audit fails a file system on the AWS managed key", () => {
    const fs = only(prod, "aws_fsx_lustre_file_system");
    const json = { resource: { aws_fsx_lustre_file_system: { fs: { ...fs, kms_key_id: undefined } } } };
    expect(auditCustomerKeys(securityTarget({ id: "prod-fixture", json }))).toEqual(["prod-fixture aws_fsx_lustre_file_system.fs: customer-managed-key: no kms_key_id: the file system uses the AWS managed key aws/fsx"]);
  });
});
