import { defineEnvironment } from "./lib/load";

/** dev: cheapest shape that still exercises every component. Single NAT, 2 AZs, spot GPU inference, no EFA, no load balancer. */
export default defineEnvironment({
  tier: "development",
  account: { id: "111122223333", region: "us-east-1" },
  budget: { monthlyUsd: 8_000 },
  tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-dev-4100" },
  network: {
    vpcCidr: "10.20.0.0/16",
    availabilityZones: ["us-east-1a", "us-east-1b"],
    natGateways: "single",
    flowLogRetentionDays: 14,
  },
  cluster: {
    kubernetesVersion: "1.35",
    adminRoleArns: ["arn:aws:iam::111122223333:role/platform-admin"],
    logRetentionDays: 14,
    systemNodeGroup: { instanceTypes: ["m7i.large", "m6i.large"], minSize: 2, maxSize: 3, desiredSize: 2 },
  },
  // dev owns the account's GitHub OIDC provider; staging (same account) uses it.
  deploy: { githubRepository: "example-org/ml-platform", githubOidcProvider: "create" },
  compute: {
    amiAlias: "al2023@latest",
    cpuPool: { instanceFamilies: ["m7i", "c7i"], capacityTypes: ["spot", "on-demand"], limits: { cpu: 64, memoryGiB: 256 } },
    gpuInferencePool: {
      instanceFamilies: ["g6", "g5"],
      capacityTypes: ["spot"],
      limits: { gpus: 4, cpu: 64 },
    },
    efa: { mode: "disabled" },
  },
  ml: {
    mlflowDatabase: { instanceClass: "db.t4g.small", allocatedStorageGiB: 20, maxAllocatedStorageGiB: 50 },
    triton: { minReplicas: 1, maxReplicas: 2, targetQueueMicroseconds: 100_000 },
    // Online tables of the feature repository (Terraform creates them; feast apply cannot): here the views of Feast's
    // AWS template (`feast init -t aws`). List yours.
    feast: { featureViews: ["driver_hourly_stats", "driver_hourly_stats_fresh"] },
    // No domain, so no HTTPS load balancer: the services stay in the cluster (kubectl port-forward, docs/ml-services.md).
    ingress: { enabled: false },
    // One small model that scales to zero when idle (development only): the router's request counter wakes it.
    llm: {
      models: [
        {
          name: "qwen-1-5b",
          modelId: "Qwen/Qwen2.5-1.5B-Instruct",
          weights: "Qwen/Qwen2.5-1.5B-Instruct",
          gpu: { instanceType: "g6.2xlarge" },
          maxModelLen: 8192,
          replicas: { min: 0, max: 1 },
          cpu: "4",
          memoryGiB: 16,
          shmGiB: 2,
        },
      ],
    },
  },
  // One team on the inference GPU the served model's canary leaves free (docs/tenancy.md). The member role is an
  // example: set yours.
  teams: {
    tenants: [
      {
        name: "sandbox",
        costCenter: "ml-dev-4100",
        members: ["arn:aws:iam::111122223333:role/ml-engineers"],
        gpus: { "gpu-inference-l4": { nominal: 1 } },
      },
    ],
  },
  // The served models (docs/delivery.md "Adding a model"): none, so a first apply needs nothing registered in the
  // environment's new MLflow. Add one (automatic promotion follows its alias) once the environment is up.
  delivery: { models: [] },
});
