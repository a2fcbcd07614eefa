/**
 * Names the tenancy parts share: the namespaces the platform owns (a team may not take one), the queue objects
 * every team has, and the labels that tie a namespace to Kueue and to cost allocation.
 */

/** Namespace of the Kueue controller (platform stack). */
export const KUEUE_NAMESPACE = "kueue-system";

/**
 * Namespace of the KubeRay operator (the serving work installs it): its RayJob and RayService controllers call the Ray
 * head's dashboard API in the team namespaces, so the teams' NetworkPolicy lets it in.
 */
export const KUBERAY_NAMESPACE = "kuberay";

/**
 * Namespaces the platform's stacks create or use (EKS's own included). A team named like one would share a
 * namespace, its quota and its NetworkPolicy with a platform service; test/tenancy/teams-stack.test.ts checks this
 * list against every namespace the synthesized stacks use, so a component that adds a namespace must add it here.
 */
export const PLATFORM_NAMESPACES: readonly string[] = [
  "argo-rollouts",
  "argocd",
  "default",
  "external-secrets",
  "feast",
  "feast-apply",
  "gpu-operator",
  "keda",
  "kube-node-lease",
  "kube-public",
  "kube-system",
  "kubeflow",
  "kubeflow-system",
  KUBERAY_NAMESPACE,
  KUEUE_NAMESPACE,
  "llm",
  "ml-delivery",
  "mlflow",
  "mlflow-admin",
  "monitoring",
  "opencost",
  "ray",
  "training",
  "triton",
];

/** The cohort every ClusterQueue belongs to: teams borrow and lend within it. */
export const COHORT_NAME = "ml-platform";

/** The shared ClusterQueue of Kubeflow Pipelines' pods (a single-namespace install in `kubeflow`). */
export const PIPELINES_QUEUE = "pipelines";

/** Namespace Kubeflow Pipelines runs its pipeline pods in (constructs/ml/kubeflow-pipelines.ts). */
export const PIPELINES_NAMESPACE = "kubeflow";

/**
 * The LocalQueue of every team namespace. Kueue labels a job or pod created without `kueue.x-k8s.io/queue-name` in a
 * namespace that has a LocalQueue of this name with it (its webhooks' LocalQueue defaulting), so nothing submitted
 * in a team namespace bypasses the team's quota.
 */
export const DEFAULT_LOCAL_QUEUE = "default";

/** The label Kueue reads a job's or pod's LocalQueue from. */
export const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

/** The label Kueue reads a workload's WorkloadPriorityClass from. */
export const PRIORITY_CLASS_LABEL = "kueue.x-k8s.io/priority-class";

/**
 * Namespaces whose jobs and pods Kueue manages (the manager's `managedJobsNamespaceSelector`, which also scopes its
 * webhooks): team namespaces carry it, and the teams stack labels `kubeflow` with it for the pipelines queue.
 */
export const MANAGED_NAMESPACE_LABEL = { key: "kueue.ml-platform.io/managed", value: "true" } as const;

/** Names no team may take: platform namespaces and the pipelines queue (ClusterQueues share one name space). */
export const RESERVED_TEAM_NAMES: readonly string[] = [...PLATFORM_NAMESPACES, PIPELINES_QUEUE].sort();

/** Team names become namespaces, ClusterQueues, RBAC groups and the IAM role `mlp-<env>-team-<name>` (64 characters at most). */
export const TEAM_NAME_RE = /^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$/;

/** The Kubernetes group a team's members are mapped to (access entries' `kubernetes_groups`, RoleBindings' subject). */
export function teamGroup(team: string): string {
  return `ml-platform:team:${team}`;
}
