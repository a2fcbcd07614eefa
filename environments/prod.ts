import { defineEnvironment } from "./lib/load";

/** prod: 3 AZs, NAT per AZ, private API endpoint only, pinned AMI, p5 EFA training capacity, protected data. */
export default defineEnvironment({
  tier: "production",
  account: { id: "444455556666", region: "us-east-1" },
  // 650k before the shared-GPU p5 pool (one node, $39.6k per 30 days at its limit).
  budget: { monthlyUsd: 700_000 },
  tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-prd-4300" },
  network: {
    vpcCidr: "10.40.0.0/16",
    availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
    natGateways: "one-per-az",
    flowLogRetentionDays: 365,
  },
  cluster: {
    kubernetesVersion: "1.35",
    publicAccessCidrs: [],
    adminRoleArns: ["arn:aws:iam::444455556666:role/platform-admin", "arn:aws:iam::444455556666:role/platform-break-glass"],
    logRetentionDays: 365,
    systemNodeGroup: { instanceTypes: ["m7i.xlarge", "m6i.xlarge"], minSize: 3, maxSize: 6, desiredSize: 3 },
  },
  deploy: { githubRepository: "example-org/ml-platform", githubOidcProvider: "create" },
  compute: {
    amiAlias: "al2023@v20260818",
    cpuPool: { instanceFamilies: ["m7i", "c7i", "r7i"], capacityTypes: ["on-demand", "spot"], limits: { cpu: 1000, memoryGiB: 4000 } },
    gpuInferencePool: {
      instanceFamilies: ["g6", "g6e"],
      capacityTypes: ["on-demand", "spot"],
      limits: { gpus: 64, cpu: 1536 },
      budgets: [{ nodes: "10%" }, { nodes: "0", schedule: "0 8 * * mon-fri", duration: "10h", reasons: ["Underutilized"] }],
    },
    gpuTrainingPool: {
      instanceTypes: ["g6e.48xlarge", "p4d.24xlarge"],
      capacityTypes: ["on-demand"],
      limits: { gpus: 32 },
    },
    efa: {
      mode: "karpenter",
      instanceTypes: ["p5.48xlarge"],
      availabilityZones: ["us-east-1c"],
      capacityType: "on-demand",
      limits: { gpus: 64 },
    },
    // p5 nodes of MIG slices (7 x 1g.10gb per H100) for small models; Karpenter learns the slices from NodeOverlays.
    // Room for two nodes, as node repair needs in production (it would otherwise remove the only node); one runs.
    sharedGpuPool: {
      instanceTypes: ["p5.48xlarge"],
      capacityTypes: ["on-demand"],
      limits: { gpus: 16 },
      sharing: { mode: "mig", strategy: "mixed", layouts: { "p5.48xlarge": "all-1g.10gb" } },
    },
  },
  ml: {
    mlflowDatabase: { instanceClass: "db.m7g.large", allocatedStorageGiB: 100, maxAllocatedStorageGiB: 1000, backupRetentionDays: 30, multiAz: true },
    triton: { minReplicas: 2, maxReplicas: 16, targetQueueMicroseconds: 20_000, cpu: "4", memoryGiB: 16 },
    // Online tables of the feature repository (Terraform creates them; feast apply cannot): here the views of Feast's
    // AWS template (`feast init -t aws`). List yours.
    feast: { featureViews: ["driver_hourly_stats", "driver_hourly_stats_fresh"] },
    llm: {
      router: { replicas: 2 },
      models: [
        {
          name: "llama-8b",
          modelId: "meta-llama/Llama-3.1-8B-Instruct",
          weights: "meta-llama/Llama-3.1-8B-Instruct",
          gpu: { instanceType: "g6e.2xlarge" },
          maxModelLen: 16384,
          replicas: { min: 2, max: 8 },
          cpu: "6",
          memoryGiB: 32,
        },
        {
          name: "qwen-1-5b",
          modelId: "Qwen/Qwen2.5-1.5B-Instruct",
          weights: "Qwen/Qwen2.5-1.5B-Instruct",
          gpu: { instanceType: "p5.48xlarge", migProfile: "1g.10gb" },
          maxModelLen: 8192,
          replicas: { min: 1, max: 8 },
          cpu: "2",
          memoryGiB: 16,
          shmGiB: 2,
        },
      ],
    },
    // An existing certificate for *.prod.ml.example.com and the organisation's OIDC identity provider; records in the zone.
    // Certificate ARN, zone id and IdP are examples (like the account ids): set your own before deploying.
    ingress: {
      enabled: true,
      scheme: "internal",
      domain: "ml.example.com",
      hostedZoneId: "Z3M3LMPEXAMPLE",
      certificate: { arn: "arn:aws:acm:us-east-1:444455556666:certificate/12345678-1234-1234-1234-123456789012" },
      auth: {
        type: "oidc",
        issuer: "https://idp.example.com",
        authorizationEndpoint: "https://idp.example.com/oauth2/v1/authorize",
        tokenEndpoint: "https://idp.example.com/oauth2/v1/token",
        userInfoEndpoint: "https://idp.example.com/oauth2/v1/userinfo",
        clientId: "ml-platform-prod",
      },
    },
  },
  // FSx for Lustre in the EFA zone (its default), mounted by both training pools (so both are pinned to that zone), backed
  // up daily for 7 days (production's default).
  resilience: {
    storage: {
      fsx: { storageCapacityGiB: 4800, perUnitStorageThroughput: 250 },
    },
  },
  observability: {
    prometheus: { retention: "30d", volumeSizeGiB: 300, replicas: 2, memoryGiB: 16 },
    alertmanager: {
      replicas: 2,
      receivers: [
        { type: "pagerduty", name: "ml-platform-oncall", severities: ["critical"] },
        { type: "slack", name: "ml-platform-alerts", channel: "#ml-platform-alerts", severities: ["critical", "warning"] },
      ],
    },
    opencost: { enabled: true },
    slo: { tritonAvailabilityPercent: 99.9, tritonP99LatencyMs: 300 },
    alerts: { gpuIdle: { utilizationPercent: 5, forMinutes: 30 } },
  },
  // The teams sharing production's GPUs, and Kubeflow Pipelines' queue (docs/tenancy.md). Member roles are examples: set yours.
  teams: {
    tenants: [
      {
        name: "vision",
        costCenter: "ml-prd-4310",
        members: ["arn:aws:iam::444455556666:role/vision-ml-engineers"],
        gpus: { "efa-training-h100": { nominal: 32 }, "gpu-training-a100": { nominal: 16 }, "gpu-inference-l40s": { nominal: 8 } },
        priority: 2,
      },
      {
        name: "nlp",
        costCenter: "ml-prd-4320",
        members: ["arn:aws:iam::444455556666:role/nlp-ml-engineers"],
        gpus: { "efa-training-h100": { nominal: 32, borrowingLimit: 32 }, "gpu-training-l40s": { nominal: 16 } },
        priority: 2,
      },
      {
        name: "recsys",
        costCenter: "ml-prd-4330",
        members: ["arn:aws:iam::444455556666:role/recsys-ml-engineers"],
        gpus: { "gpu-inference-l4": { nominal: 16, lendingLimit: 8 } },
      },
    ],
    pipelines: { gpus: { "gpu-inference-l4": { nominal: 4 } } },
  },
  // The served models (docs/delivery.md "Adding a model"): none, so a first apply needs nothing registered in the
  // environment's new MLflow. Add one with its pinned version in a pull request once that version is registered.
  delivery: {
    analysis: { minSuccessRate: 0.999, maxP99LatencyMs: 300 },
    models: [],
  },
});
