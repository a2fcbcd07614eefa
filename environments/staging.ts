import { defineEnvironment } from "./lib/load";

/** staging: prod-shaped (3 AZs, NAT per AZ, pinned AMI, Karpenter EFA pool) with smaller limits. */
export default defineEnvironment({
  tier: "staging",
  account: { id: "111122223333", region: "us-east-1" },
  budget: { monthlyUsd: 150_000 },
  tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-stg-4200" },
  network: {
    vpcCidr: "10.30.0.0/16",
    availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
    natGateways: "one-per-az",
    flowLogRetentionDays: 30,
  },
  cluster: {
    kubernetesVersion: "1.35",
    adminRoleArns: ["arn:aws:iam::111122223333:role/platform-admin"],
    logRetentionDays: 30,
    systemNodeGroup: { instanceTypes: ["m7i.xlarge", "m6i.xlarge"], minSize: 2, maxSize: 4, desiredSize: 3 },
  },
  // The GitHub OIDC provider of account 111122223333 belongs to dev's bootstrap stack.
  deploy: { githubRepository: "example-org/ml-platform", githubOidcProvider: "existing" },
  compute: {
    amiAlias: "al2023@v20260818",
    cpuPool: { instanceFamilies: ["m7i", "c7i", "r7i"], capacityTypes: ["spot", "on-demand"], limits: { cpu: 256, memoryGiB: 1024 } },
    gpuInferencePool: {
      instanceFamilies: ["g6", "g6e", "g5"],
      capacityTypes: ["spot", "on-demand"],
      limits: { gpus: 16, cpu: 384 },
    },
    gpuTrainingPool: {
      instanceTypes: ["g6e.12xlarge", "g6e.48xlarge"],
      capacityTypes: ["on-demand"],
      limits: { gpus: 16 },
    },
    efa: {
      mode: "karpenter",
      instanceTypes: ["p4d.24xlarge"],
      availabilityZones: ["us-east-1b"],
      capacityType: "on-demand",
      limits: { gpus: 16 },
    },
  },
  ml: {
    mlflowDatabase: { instanceClass: "db.t4g.medium", allocatedStorageGiB: 50, maxAllocatedStorageGiB: 200, backupRetentionDays: 7 },
    triton: { minReplicas: 1, maxReplicas: 4, targetQueueMicroseconds: 50_000 },
    // Online tables of the feature repository (Terraform creates them; feast apply cannot): here the views of Feast's
    // AWS template (`feast init -t aws`). List yours.
    feast: { featureViews: ["driver_hourly_stats", "driver_hourly_stats_fresh"] },
    llm: {
      models: [
        {
          name: "llama-8b",
          modelId: "meta-llama/Llama-3.1-8B-Instruct",
          weights: "meta-llama/Llama-3.1-8B-Instruct",
          gpu: { instanceType: "g6e.2xlarge" },
          maxModelLen: 16384,
          replicas: { min: 1, max: 2 },
          cpu: "6",
          memoryGiB: 32,
        },
      ],
    },
    // Exercises the new-certificate path before production: a public ACM certificate validated in the zone, Cognito login.
    // The zone id, user pool and client are AWS documentation examples: set your own before deploying.
    ingress: {
      enabled: true,
      domain: "ml.example.com",
      hostedZoneId: "Z1D633PJN98FT9",
      auth: {
        type: "cognito",
        userPoolArn: "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_EXAMPLE11",
        userPoolClientId: "1example23456789",
        userPoolDomain: "mlp-staging",
      },
    },
  },
  // FSx for Lustre in the EFA zone (its default) for datasets and checkpoints, smallest size and throughput, mounted by the
  // training pools (EFA, GPU training, vision's dedicated pool), which are therefore pinned to that zone.
  resilience: {
    storage: { fsx: { storageCapacityGiB: 1200, perUnitStorageThroughput: 125 } },
  },
  observability: {
    prometheus: { retention: "15d", volumeSizeGiB: 100 },
    alertmanager: { receivers: [{ type: "slack", name: "ml-platform-alerts", channel: "#ml-platform-staging-alerts", severities: ["critical", "warning"] }] },
    // Exercises the AMP path before production relies on it.
    ampRemoteWrite: { enabled: true },
    opencost: { enabled: true },
  },
  // Two teams sharing the training and inference pools, and Kubeflow Pipelines' queue (docs/tenancy.md). Member roles are examples
  // (an IAM role and an IAM Identity Center permission-set role, which keeps its path): set yours.
  teams: {
    tenants: [
      {
        name: "vision",
        costCenter: "ml-stg-4210",
        members: ["arn:aws:iam::111122223333:role/vision-ml-engineers", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_MLEngineer_0123456789abcdef"],
        gpus: { "gpu-training-l40s": { nominal: 8, borrowingLimit: 8 }, "gpu-inference-l4": { nominal: 2 } },
        priority: 2,
        // A pool of its own (docs/tenancy.md "Dedicated GPU pools"): one g6.12xlarge (4 L4), tagged with its cost center;
        // at most $3,313 per 30 days On-Demand, inside staging's budget.
        dedicatedPool: { instanceTypes: ["g6.12xlarge"], gpus: 4 },
      },
      {
        name: "nlp",
        costCenter: "ml-stg-4220",
        members: ["arn:aws:iam::111122223333:role/nlp-ml-engineers", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_MLEngineer_0123456789abcdef"],
        gpus: { "gpu-training-l40s": { nominal: 8, lendingLimit: 4 }, "gpu-inference-l40s": { nominal: 4, borrowingLimit: 2 } },
      },
    ],
    pipelines: { gpus: { "gpu-inference-l4": { nominal: 2 } } },
  },
  // The served models (docs/delivery.md "Adding a model"): none, so a first apply needs nothing registered in the
  // environment's new MLflow. Add one with its pinned version in a pull request once that version is registered.
  delivery: {
    models: [],
  },
});
