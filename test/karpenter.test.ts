import { App, TerraformStack } from "cdktf";
import { KarpenterInterruptionQueue } from "../constructs/karpenter/interruption-queue";
import { helmReleases } from "./helpers/gpu-reference";
import { computeSharing } from "../stacks/platform/serving";
import { projectEnvironment, resources, stack } from "./helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const EXPECTED_DETAIL_TYPES = [
  "AWS Health Event",
  "EC2 Spot Instance Interruption Warning",
  "EC2 Instance Rebalance Recommendation",
  "EC2 Instance State-change Notification",
  "EC2 Capacity Reservation Instance Interruption Warning",
];

describe.each(["dev", "staging", "prod"])("Karpenter in %s", (envName) => {
  const s = stack(`${envName}-platform`);
  const queues = Object.entries(resources(s, "aws_sqs_queue"));
  const [queueId, queue] = queues.find(([, q]) => q.name === `mlp-${envName}-karpenter-interruption`)!;
  const queueArn = `\${aws_sqs_queue.${queueId}.arn}`;
  const releases = helmReleases(s);
  // Only Karpenter's resources: other platform components add their own roles, rules and associations.
  const ruleEntries = Object.entries(resources(s, "aws_cloudwatch_event_rule")).filter(([, r]) => r.name.startsWith(`mlp-${envName}-karpenter-`));
  const ruleRefs = ruleEntries.map(([id]) => `\${aws_cloudwatch_event_rule.${id}.name}`);
  const byName = (type: string, name: string) => Object.entries(resources(s, type)).find(([, r]) => r.name === name)![0];
  const controllerRoleId = byName("aws_iam_role", `mlp-${envName}-karpenter-controller`);
  const nodeRoleId = byName("aws_iam_role", `mlp-${envName}-karpenter-node`);
  const idsWhere = (type: string, pred: (r: Json) => boolean) => Object.entries(resources(s, type)).filter(([, r]) => pred(r)).map(([id]) => `${type}.${id}`);

  test("the interruption queue is encrypted and keeps messages 300 s", () => {
    expect(queue).toEqual(expect.objectContaining({ sqs_managed_sse_enabled: true, message_retention_seconds: 300 }));
  });

  test("the queue policy admits only EventBridge (from the five rules) and SQS, and denies non-TLS access", () => {
    const policy = Object.values(resources(s, "aws_sqs_queue_policy")).find((p) => p.queue_url === `\${aws_sqs_queue.${queueId}.url}`);
    const statements: Json[] = JSON.parse(policy.policy).Statement;
    const allows = statements.filter((st) => st.Effect === "Allow");
    expect(allows.map((st) => st.Principal.Service).sort()).toEqual(["events.amazonaws.com", "sqs.amazonaws.com"]);
    for (const st of allows) expect(st).toEqual(expect.objectContaining({ Action: "sqs:SendMessage", Resource: queueArn }));
    const fromRules = allows.find((st) => st.Principal.Service === "events.amazonaws.com");
    const ruleArns = ruleEntries.map(([id]) => `\${aws_cloudwatch_event_rule.${id}.arn}`);
    expect([...fromRules.Condition.ArnEquals["aws:SourceArn"]].sort()).toEqual(ruleArns.sort());
    expect(statements.filter((st) => st.Effect === "Deny")).toEqual([
      { Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": false } } },
    ]);
  });

  test("five EventBridge rules with the exact detail-types and valid names, each targeting the queue", () => {
    for (const [, r] of ruleEntries) expect(r.name).toMatch(/^[.\w-]{1,64}$/);
    const patterns = ruleEntries.map(([, r]) => JSON.parse(r.event_pattern));
    expect(patterns.map((p) => p["detail-type"]).flat().sort()).toEqual([...EXPECTED_DETAIL_TYPES].sort());
    for (const p of patterns) {
      expect(p.source).toEqual([p["detail-type"][0] === "AWS Health Event" ? "aws.health" : "aws.ec2"]);
    }
    const targets = Object.values(resources(s, "aws_cloudwatch_event_target")).filter((t) => ruleRefs.includes(t.rule));
    expect(targets.map((t) => t.rule).sort()).toEqual([...ruleRefs].sort());
    for (const t of targets) expect(t).toEqual(expect.objectContaining({ arn: queueArn, target_id: "KarpenterInterruptionQueueTarget" }));
  });

  test("charts karpenter-crd and karpenter 1.14.1 come from public ECR; the controller skips CRDs the CRD release owns", () => {
    const crd = releases.get("karpenter-crd")!.config;
    const controller = releases.get("karpenter")!.config;
    expect(crd).toEqual(expect.objectContaining({ repository: "oci://public.ecr.aws/karpenter", chart: "karpenter-crd", version: "1.14.1", namespace: "kube-system" }));
    expect(controller).toEqual(expect.objectContaining({ repository: "oci://public.ecr.aws/karpenter", chart: "karpenter", version: "1.14.1", namespace: "kube-system", skip_crds: true }));
    expect(controller.depends_on).toContain(`helm_release.${Object.entries(resources(s, "helm_release")).find(([, r]) => r.name === "karpenter-crd")![0]}`);
  });

  test("the controller runs on the system nodes with a PDB, the cluster name and the interruption queue", () => {
    const values = releases.get("karpenter")!.values;
    // Feature gates: node repair everywhere; NodeOverlay where a Karpenter EFA pool needs huge pages or a pool shares
    // GPUs (docs/resilience.md, docs/serving.md).
    const sharing = computeSharing(projectEnvironment(envName)).featureGates;
    const gates = { nodeRepair: true, ...(envName === "dev" ? {} : { nodeOverlay: true }), ...sharing };
    expect(values.settings).toEqual({ clusterName: `mlp-${envName}`, interruptionQueue: `\${aws_sqs_queue.${queueId}.name}`, featureGates: gates });
    expect(values.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    expect(values.nodeSelector).toEqual({ "kubernetes.io/os": "linux", "node.ml-platform.io/pool": "system" });
    expect(values.podDisruptionBudget).toEqual({ name: "karpenter", maxUnavailable: 1 });
    expect(values.serviceAccount).toEqual({ create: true, name: "karpenter" });
  });

  test("the controller release waits for its IAM, Pod Identity association, queue and node access entry", () => {
    const dependsOn: string[] = releases.get("karpenter")!.config.depends_on;
    const required = [
      ...idsWhere("aws_eks_pod_identity_association", (r) => r.role_arn === `\${aws_iam_role.${controllerRoleId}.arn}`),
      ...idsWhere("aws_iam_role_policy", (r) => r.role === `\${aws_iam_role.${controllerRoleId}.id}`),
      `aws_sqs_queue.${queueId}`,
      ...idsWhere("aws_sqs_queue_policy", (r) => r.queue_url === `\${aws_sqs_queue.${queueId}.url}`),
      ...idsWhere("aws_cloudwatch_event_target", (r) => r.arn === queueArn),
      ...idsWhere("aws_eks_access_entry", (r) => r.principal_arn === `\${aws_iam_role.${nodeRoleId}.arn}`),
    ];
    // Seven inline policies: the six official ones and the node-volumes key.
    expect(required).toHaveLength(1 + 7 + 1 + 1 + 5 + 1);
    for (const id of required) expect(dependsOn).toContain(id);
  });

  test("the pools release depends on the Karpenter release, so destroy removes pools (and nodes) first", () => {
    const pools = releases.get("karpenter-node-pools")!.config;
    const controllerId = Object.entries(resources(s, "helm_release")).find(([, r]) => r.name === "karpenter")![0];
    expect(pools.depends_on).toContain(`helm_release.${controllerId}`);
    // Helm waits for the deletion (finalizers included) before Terraform moves on to the controller.
    expect(pools.wait ?? true).toBe(true);
    expect(pools.timeout).toBeGreaterThanOrEqual(1800);
  });
});

describe("interruption queue names", () => {
  const build = (ruleNamePrefix: string) => () =>
    new KarpenterInterruptionQueue(new TerraformStack(new App(), "t"), "q", { queueName: "mlp-q", ruleNamePrefix });

  test("the longest environment name (20 characters) still gives valid rule names", () => {
    expect(build(`mlp-${"a".repeat(20)}-karpenter`)).not.toThrow();
  });

  test("fails for a prefix that makes a rule name longer than 64 characters", () => {
    expect(build("x".repeat(60))).toThrow(`ruleNamePrefix makes rule name "${"x".repeat(60)}-health" invalid (at most 64 letters, digits, ., - or _)`);
  });
});
