// What a queued Ray training template must hold to run as the platform promises (docs/tenancy.md "Ray",
// docs/resilience.md "Resumable training"), and what Kueue 0.19.2's admission webhooks refuse in a queued RayJob or
// RayCluster. Each check returns problems, so a test can show it fails on a broken template.
import { parse } from "yaml";
import { CHECKPOINT_MOUNT, RAYJOB_NAME_LABEL } from "../../constructs/resilience/checkpoints";
import { QUEUE_LABEL, RAY_STORAGE_PATH_ENV } from "../../constructs/serving/ray-templates";
import { renderedObjects } from "./ml-helm";
import type { SynthesizedStack } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** The templates of every `ray-templates` ConfigMap of a stack, with the namespace they are shipped in. */
export function rayTemplates(stack: SynthesizedStack): Array<{ namespace: string; release: string; cr: Any }> {
  return renderedObjects(stack)
    .filter(({ obj }) => obj.kind === "ConfigMap" && obj.metadata.name === "ray-templates")
    .flatMap(({ release, obj }) => Object.values(obj.data as Record<string, string>).map((t) => ({ namespace: obj.metadata.namespace as string, release, cr: parse(t) })));
}

/** The RayClusterSpec of a RayCluster, RayJob or RayService. */
export function clusterSpecOf(cr: Any): Any {
  return cr.kind === "RayCluster" ? cr.spec : cr.kind === "RayJob" ? cr.spec.rayClusterSpec : cr.spec.rayClusterConfig;
}

/** Head and worker pod templates, by group. */
export function podTemplatesOf(cr: Any): Array<[string, Any]> {
  const c = clusterSpecOf(cr);
  return [["head", c.headGroupSpec.template], ...(c.workerGroupSpecs ?? []).map((g: Any) => [g.groupName, g.template] as [string, Any])];
}

/** What the namespace offers a template: its LocalQueues and its training claims. */
export interface TrainingNamespace {
  readonly localQueues: readonly string[];
  readonly claims: readonly string[];
}

/**
 * Why a Ray training template would not run queued on the namespace's claims: no queue label or one naming no
 * LocalQueue of the namespace; a pod without the claims (each at most once) or without the checkpoint environment; a
 * job-name label that is not the object's name (CHECKPOINT_DIR would differ between retries or jobs); autoscaled or
 * variable workers (outside the admitted gang).
 */
export function trainingTemplateProblems(cr: Any, ns: TrainingNamespace): string[] {
  const problems: string[] = [];
  const queue = cr.metadata.labels?.[QUEUE_LABEL];
  if (!queue) problems.push(`${cr.kind} ${cr.metadata.name}: no ${QUEUE_LABEL} label`);
  else if (!ns.localQueues.includes(queue)) problems.push(`${cr.kind} ${cr.metadata.name}: queue ${queue} is no LocalQueue of its namespace`);
  const spec = clusterSpecOf(cr);
  if (spec.enableInTreeAutoscaling !== false) problems.push(`${cr.kind} ${cr.metadata.name}: in-tree autoscaling is not off`);
  for (const g of spec.workerGroupSpecs ?? []) {
    if (!(g.replicas === g.minReplicas && g.replicas === g.maxReplicas && g.replicas > 0)) problems.push(`${cr.kind} ${cr.metadata.name}: worker group ${g.groupName} is not a fixed number of replicas`);
  }
  for (const [group, t] of podTemplatesOf(cr)) {
    const where = `${cr.kind} ${cr.metadata.name} (${group})`;
    if (t.metadata?.labels?.[RAYJOB_NAME_LABEL] !== cr.metadata.name) problems.push(`${where}: label ${RAYJOB_NAME_LABEL} is not the ${cr.kind}'s name`);
    const mounted = ((t.spec.volumes ?? []) as Any[]).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName as string] : []));
    for (const claim of ns.claims) if (!mounted.includes(claim)) problems.push(`${where}: does not mount claim ${claim}`);
    const c = t.spec.containers[0];
    const mounts = ((c.volumeMounts ?? []) as Any[]).map((m) => m.mountPath);
    const env = Object.fromEntries(((c.env ?? []) as Any[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    if (ns.claims.length) {
      if (!mounts.includes(CHECKPOINT_MOUNT)) problems.push(`${where}: nothing mounted at ${CHECKPOINT_MOUNT}`);
      if (!String(env.CHECKPOINT_DIR ?? "").startsWith(`${CHECKPOINT_MOUNT}/`)) problems.push(`${where}: CHECKPOINT_DIR is not on the claim`);
      if (`${env[RAY_STORAGE_PATH_ENV]}/$(TRAINING_JOB_NAME)` !== env.CHECKPOINT_DIR) problems.push(`${where}: ${RAY_STORAGE_PATH_ENV}/<job> is not CHECKPOINT_DIR`);
    }
  }
  return problems;
}

/**
 * What Kueue 0.19.2's webhooks refuse in a queued RayJob or RayCluster (pkg/controller/jobs/rayjob/rayjob_webhook.go,
 * pkg/controller/jobs/raycluster/raycluster_webhook.go `validateCreate`): a RayJob on an existing cluster, without a
 * cluster spec or keeping its cluster after the job; in-tree autoscaling unless the cluster is an elastic job (the
 * `kueue.x-k8s.io/elastic-job` annotation and scheduling gate, ElasticJobsViaWorkloadSlices); a worker group named
 * `head`; more than 18 pod sets (jobframework.MaxPodSets).
 */
export function kueueRayWebhookProblems(cr: Any): string[] {
  const problems: string[] = [];
  if (cr.kind === "RayJob") {
    if (cr.spec.clusterSelector && Object.keys(cr.spec.clusterSelector).length) problems.push("spec.clusterSelector: a kueue managed job should not use an existing cluster");
    if (!cr.spec.rayClusterSpec) return [...problems, "spec.rayClusterSpec: required"];
    if (cr.spec.shutdownAfterJobFinishes !== true) problems.push("spec.shutdownAfterJobFinishes: a kueue managed job should delete the cluster after finishing");
  }
  const spec = clusterSpecOf(cr);
  const elastic = cr.metadata.annotations?.["kueue.x-k8s.io/elastic-job"] === "true";
  if (spec.enableInTreeAutoscaling === true && !elastic) problems.push("enableInTreeAutoscaling: a kueue-managed RayCluster can use autoscaling only as an elastic job");
  if ((spec.workerGroupSpecs ?? []).some((g: Any) => g.groupName === "head")) problems.push('workerGroupSpecs: "head" is reserved for the head group');
  if ((spec.workerGroupSpecs ?? []).length + 1 > 18) problems.push("workerGroupSpecs: more than 18 pod sets");
  return problems;
}
