/**
 * Every exception to the project's security audit, each with its reason, in one place: the audits (IAM, encryption,
 * keys, logging, workloads) read them from here and nothing else may relax a rule. An entry that matches nothing fails
 * the audit too (test/audit/security.test.ts), so this list cannot outlive what it excuses.
 */

/** Environment tiers (environments/lib/fields.ts TIERS). */
export type Tier = "development" | "staging" | "production";

/**
 * Broad managed policies attached on purpose, by role name and policy. Nothing else may attach AdministratorAccess,
 * PowerUserAccess, IAMFullAccess or a *FullAccess policy.
 */
export const BROAD_MANAGED_POLICY_EXCEPTIONS: ReadonlyArray<{ role: RegExp; policy: string; reason: string }> = [
  {
    role: /^mlp-[a-z0-9-]+-ci-apply$/,
    policy: "PowerUserAccess",
    reason:
      "the CI apply role creates every AWS resource of the environment (Terraform deployer); IAM is excluded from PowerUserAccess and " +
      "granted separately for the environment's own roles only; only jobs of the protected GitHub environment can assume it",
  },
];

/**
 * Customer managed policies used only as permissions boundaries: a boundary grants nothing, it caps what the roles
 * carrying it may do, so it is audited for what it lets through in IAM (reads and these actions only), not for scope.
 */
export const PERMISSIONS_BOUNDARY_POLICIES: ReadonlyArray<{ name: RegExp; iamActions: readonly string[]; reason: string }> = [
  {
    name: /^mlp-[a-z0-9-]+-role-boundary$/,
    iamActions: [
      "iam:CreateServiceLinkedRole",
      "iam:CreateInstanceProfile",
      "iam:TagInstanceProfile",
      "iam:AddRoleToInstanceProfile",
      "iam:RemoveRoleFromInstanceProfile",
      "iam:DeleteInstanceProfile",
      "iam:PassRole",
    ],
    reason:
      "every role the CI apply role creates must carry it (iam:PermissionsBoundary condition), so an inline Action \"*\" on such a role " +
      "still cannot create or change IAM principals or policies; the IAM it lets through is what EKS, the load balancer controller and " +
      "Karpenter call at run time (service-linked roles, Karpenter's instance profiles, passing the environment's own node role)",
  },
];

/**
 * Statements copied from an official upstream policy that use `Resource: "*"` on an action with resource types,
 * accepted only in exactly this shape (same single action and the same condition key) and for the stated reason.
 */
export const UPSTREAM_STAR_RESOURCE_EXCEPTIONS: ReadonlyArray<{ sid: string; action: string; conditionKey: string; reason: string }> = [
  {
    sid: "AllowZonalShiftStatusReadOnly",
    action: "arc-zonal-shift:GetManagedResource",
    conditionKey: "arc-zonal-shift:ResourceIdentifier",
    reason:
      "Karpenter 1.14 ZonalShiftPolicy (official CloudFormation template): the action's IAM resource types are ALB/NLB only, " +
      "so the EKS cluster it reads can only be matched through the ResourceIdentifier condition, as upstream does",
  },
];

/** Resources that may use an AWS managed or AWS owned key instead of a customer managed one. */
export const CUSTOMER_KEY_EXCEPTIONS: ReadonlyArray<{ type: string; name: RegExp; reason: string }> = [
  {
    type: "aws_s3_bucket",
    name: /^mlp-[a-z0-9-]+-access-logs-\d{12}$/,
    reason:
      "the log bucket: SSE-S3 is the destination encryption S3 server access logging documents; CloudTrail encrypts its own files in it " +
      "with the telemetry key, and the access logs hold request metadata, not data",
  },
  {
    type: "aws_sqs_queue",
    name: /^mlp-[a-z0-9-]+-karpenter-interruption$/,
    reason:
      "Karpenter's interruption queue receives EventBridge events only (spot interruptions, rebalance, state changes) and uses SSE-SQS as the " +
      "official template does; a customer managed key would need a key policy for events.amazonaws.com and adds nothing for these events",
  },
];

/** Buckets without S3 server access logs, by name and tier, with the decision's reason. */
export const ACCESS_LOG_EXCEPTIONS: ReadonlyArray<{ name: RegExp; tiers: readonly Tier[]; reason: string }> = [
  {
    name: /^mlp-[a-z0-9-]+-access-logs-\d{12}$/,
    tiers: ["production"],
    reason: "the log bucket itself: logging it into itself loops; only S3 log delivery and the data-events trail write to it",
  },
  {
    name: /^mlp-tfstate-[a-z0-9-]+-\d{12}$/,
    tiers: ["development", "staging"],
    reason:
      "state of a non-production environment: bucket changes are in CloudTrail's management events; per-request logs would cost a log " +
      "bucket per environment for state that holds no secret and is rebuilt from code",
  },
  {
    name: /^mlp-[a-z0-9-]+-(mlflow-artifacts|triton-models|feast|pipelines|training)-\d{12}$/,
    tiers: ["development", "staging"],
    reason: "non-production ML data (experiments, test models, training data and checkpoints): emptied on destroy, no audit requirement; production logs and traces these buckets",
  },
];

/** Production buckets whose objects no CloudTrail data-event selector covers, with the reason. */
export const DATA_EVENT_EXCEPTIONS: ReadonlyArray<{ name: RegExp; reason: string }> = [
  { name: /^mlp-tfstate-[a-z0-9-]+-\d{12}$/, reason: "Terraform state: its server access logs record every read and write; it holds no data" },
  { name: /^mlp-[a-z0-9-]+-access-logs-\d{12}$/, reason: "the log bucket: recording the trail's own writes would log the logs" },
];

/**
 * Workloads that cannot run restricted (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault
 * seccomp). In-repo workloads are checked pod by pod and have none; these are the upstream charts and EKS add-ons this
 * platform installs whose pods need host access, listed by release or add-on and workload name.
 */
export const PRIVILEGED_WORKLOAD_EXCEPTIONS: ReadonlyArray<{ source: string; workload: string; reason: string }> = [
  {
    source: "helm nvidia-device-plugin",
    workload: "nvidia-device-plugin",
    reason: "runs as root to write its socket into the kubelet's root-owned /var/lib/kubelet/device-plugins (hostPath) and to read the GPUs through NVML",
  },
  {
    source: "helm aws-efa-k8s-device-plugin",
    workload: "aws-efa-k8s-device-plugin",
    reason: "privileged as its chart ships it: it enumerates /dev/infiniband and sysfs of the EFA interfaces and registers with the kubelet socket",
  },
  {
    source: "helm dcgm-exporter",
    workload: "dcgm-exporter",
    reason: "root with SYS_ADMIN (the chart's default; all else dropped, no escalation): DCGM profiling metrics (DCGM_FI_PROF_*) need it",
  },
  {
    source: "helm kube-prometheus-stack",
    workload: "kube-prometheus-stack-prometheus-node-exporter",
    reason: "host network and PID namespaces to report node metrics (non-root, read-only host mounts)",
  },
  {
    source: "addon vpc-cni",
    workload: "aws-node",
    reason: "EKS add-on: privileged init and NET_ADMIN to configure pod networking on the host; its manifest is EKS's, not configurable here",
  },
  { source: "addon kube-proxy", workload: "kube-proxy", reason: "EKS add-on: privileged to program iptables/ipvs on the host" },
  { source: "addon aws-ebs-csi-driver", workload: "ebs-csi-node", reason: "EKS add-on: privileged to format and mount volumes on the host (mount propagation)" },
  { source: "addon eks-pod-identity-agent", workload: "eks-pod-identity-agent", reason: "EKS add-on: host network to serve credentials on the node's link-local address" },
];
