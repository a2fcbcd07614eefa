// The Ray templates as users receive them: training (RayJob, RayCluster) in every team namespace, queued and on the
// team's training claims; Ray Serve (RayService) alone in the platform namespace `ray`. Validation against the KubeRay
// CRDs is in ray-templates.verify.ts (the schemas take seconds to compile).
import { parse } from "yaml";
import { maxGpus } from "../../constructs/tenancy/cohort";
import { efaEnv } from "../../constructs/ml/efa-environment";
import { rayEfaImage } from "../../constructs/ml/efa-images";
import { QUEUE_LABEL, RAY_GPU_IMAGE, RAY_IMAGE } from "../../constructs/serving/ray-templates";
import { RAY_SERVE_POOL, rayServeMaxGpusPerPool, teamRayWorkers } from "../../environments/lib/ray-demand";
import { servingBreakdown } from "../../environments/lib/serving-cost";
import { cohortQueues } from "../../environments/lib/tenancy-schema";
import { trainerResumable } from "../../stacks/ml/resilience";
import { validateEnvironment } from "../../environments/lib/load";
import { brokenStaging } from "../helpers/environments";
import { renderedObjects } from "../helpers/ml-helm";
import { clusterSpecOf, kueueRayWebhookProblems, podTemplatesOf, rayTemplates, trainingTemplateProblems, type TrainingNamespace } from "../helpers/ray-templates";
import { projectEnvironment, resources, stack } from "../helpers/synth";
import type { PodFootprint } from "../../constructs/kubernetes/footprint";
import { nodePoolSource, placements } from "../helpers/deploy-walk/scheduling";
import { releaseManifests } from "../helpers/gpu-reference";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ENVS = ["dev", "staging", "prod"] as const;

/**
 * What a team namespace's release offers a template: its LocalQueues, and the claims the environment's training pods
 * mount (the TrainJob runtimes' checkpoints and datasets), each of which must be a PersistentVolumeClaim there.
 */
function namespaceOf(env: string, team: string): TrainingNamespace {
  const objects = renderedObjects(stack(`${env}-teams`)).filter(({ obj }) => obj.metadata?.namespace === team).map(({ obj }) => obj);
  const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name as string);
  const mounts = trainerResumable(projectEnvironment(env))?.mounts;
  const claims = mounts ? [mounts.checkpoints.claim, ...(mounts.datasets ? [mounts.datasets.claim] : [])] : [];
  expect(names("PersistentVolumeClaim")).toEqual(expect.arrayContaining(claims));
  return { localQueues: names("LocalQueue"), claims };
}

describe.each(ENVS)("%s: Ray training templates in every team namespace", (env) => {
  const e = projectEnvironment(env);
  const teams = e.teams.tenants.map((t) => t.name);
  const templates = rayTemplates(stack(`${env}-teams`));

  test("each team namespace with a flavor for Ray workers gets a RayCluster and a RayJob, and only there", () => {
    const offered = teams.filter((t) => teamRayWorkers(e, t));
    expect(templates.map((t) => `${t.namespace}/${t.cr.kind}`).sort()).toEqual(offered.flatMap((t) => [`${t}/RayCluster`, `${t}/RayJob`]).sort());
    // prod's recsys holds inference quota only, and prod has FSx: no template (see teamRayWorkers' FSx test).
    expect(teams.filter((t) => !offered.includes(t))).toEqual(env === "prod" ? ["recsys"] : []);
  });

  test("queued in the team's LocalQueue, on every training claim of its namespace, fixed workers, the job's own checkpoint directory", () => {
    for (const { namespace, cr } of templates) {
      const ns = namespaceOf(env, namespace);
      expect(ns.claims.length).toBeGreaterThan(0);
      expect(trainingTemplateProblems(cr, ns)).toEqual([]);
    }
  });

  test("Kueue 0.19.2's webhooks accept them as queued jobs", () => {
    for (const { cr } of templates) expect(kueueRayWebhookProblems(cr)).toEqual([]);
  });

  test("pods run as the team's default service account, whose Pod Identity role is the team's", () => {
    const assoc = Object.values(resources(stack(`${env}-teams`), "aws_eks_pod_identity_association")).map((a: Any) => `${a.namespace}/${a.service_account}`);
    for (const { namespace, cr } of templates) {
      for (const [, t] of podTemplatesOf(cr)) expect(t.spec.serviceAccountName).toBe("default");
      expect(assoc).toContain(`${namespace}/default`);
    }
  });

  test("the RayJob retries a failed job resilience.checkpoints.maxRestarts times and deletes its cluster when done", () => {
    for (const { cr } of templates.filter((t) => t.cr.kind === "RayJob")) {
      expect(cr.spec.backoffLimit).toBe(e.resilience.checkpoints.maxRestarts);
      expect(cr.spec.shutdownAfterJobFinishes).toBe(true);
    }
  });

  test("workers sit on a flavor the team's queue lists, as a gang the queue can hold, on the EFA pool where the team has EFA quota", () => {
    const cohort = cohortQueues(e.teams);
    for (const { namespace, cr } of templates) {
      const placement = teamRayWorkers(e, namespace)!;
      const group = clusterSpecOf(cr).workerGroupSpecs[0];
      const requests = group.template.spec.containers[0].resources.requests;
      expect(Object.keys(cohort.find((q) => q.name === namespace)!.gpus)).toContain(placement.flavor.name);
      expect(group.template.spec.nodeSelector).toEqual(expect.objectContaining(placement.flavor.nodeLabels));
      expect(group.replicas * Number(requests["nvidia.com/gpu"])).toBeLessThanOrEqual(maxGpus(cohort, namespace, placement.flavor.name));
      expect(group.replicas).toBeLessThanOrEqual(e.ml.ray.trainingWorkers);
      // A team's own pool comes first; without one, EFA quota puts the workers on the EFA pool.
      const tenant = e.teams.tenants.find((t) => t.name === namespace)!;
      const efaQuota = !tenant.dedicatedPool && Object.keys(tenant.gpus).some((f) => f.startsWith("efa-training-"));
      expect(group.template.spec.nodeSelector["node.ml-platform.io/pool"] === "efa-training").toBe(efaQuota);
      expect(Boolean(requests["vpc.amazonaws.com/efa"])).toBe(efaQuota);
    }
  });

  test("a RayJob installs a pinned boto3 new enough for the team's Pod Identity role (botocore >= 1.34.41), and proves the role", () => {
    const jobs = templates.filter((t) => t.cr.kind === "RayJob");
    // Every team that gets the templates (with FSx, not a team whose quota is only on the inference pool).
    expect(jobs.length).toBeGreaterThan(0);
    for (const { cr } of jobs) {
      const pip: string[] = parse(cr.spec.runtimeEnvYAML).pip;
      const boto = pip.map((p) => /^boto3==(\d+)\.(\d+)\.(\d+)$/.exec(p)).find(Boolean);
      expect(boto).toBeTruthy();
      const [maj, min, patch] = boto!.slice(1).map(Number);
      expect(maj * 1e6 + min * 1e3 + patch).toBeGreaterThanOrEqual(1 * 1e6 + 34 * 1e3 + 41);
      expect(cr.spec.entrypoint).toContain("get_caller_identity");
    }
  });

  test("workers on the EFA pool run the EFA-enabled Ray image with the PyTorch runtime's EFA settings; others the plain images", () => {
    for (const { namespace, cr } of templates) {
      const placement = teamRayWorkers(e, namespace)!;
      const worker = clusterSpecOf(cr).workerGroupSpecs[0].template.spec.containers[0];
      const head = clusterSpecOf(cr).headGroupSpec.template.spec.containers[0];
      const env = Object.fromEntries((worker.env ?? []).map((v: Any) => [v.name, v.value]));
      expect(head.image).toBe(RAY_IMAGE);
      if (placement.efaInterfacesPerWorker) {
        expect(worker.image).toBe(rayEfaImage(e.account.id, e.account.region, `mlp-${e.name}`));
        for (const v of efaEnv(placement.instanceTypes.map((t) => t.name), "pytorch")) expect(env[v.name]).toBe(v.value);
      } else {
        expect(worker.image).toBe(RAY_GPU_IMAGE);
        expect(Object.keys(env).filter((k) => k.startsWith("FI_") || k.startsWith("NCCL_"))).toEqual([]);
      }
    }
  });
});

describe("the checks fail on a broken template", () => {
  const [{ namespace, cr }] = rayTemplates(stack("staging-teams")).filter((t) => t.cr.kind === "RayJob");
  const ns = namespaceOf("staging", namespace);

  test("a template without the queue label", () => {
    const bad = structuredClone(cr);
    delete bad.metadata.labels[QUEUE_LABEL];
    expect(trainingTemplateProblems(bad, ns)).toEqual(["RayJob distributed-training: no kueue.x-k8s.io/queue-name label"]);
  });

  test("a template without the claims", () => {
    const bad = structuredClone(cr);
    for (const [, t] of podTemplatesOf(bad)) t.spec.volumes = t.spec.volumes.filter((v: Any) => !v.persistentVolumeClaim);
    expect(trainingTemplateProblems(bad, ns)).toEqual(
      expect.arrayContaining(["RayJob distributed-training (head): does not mount claim training-checkpoints-fsx", "RayJob distributed-training (gpu-workers): does not mount claim training-datasets-fsx"]),
    );
  });

  test("a renamed RayJob whose pods still carry the old name, and autoscaled workers", () => {
    const bad = structuredClone(cr);
    bad.metadata.name = "finetune";
    clusterSpecOf(bad).enableInTreeAutoscaling = true;
    clusterSpecOf(bad).workerGroupSpecs[0].maxReplicas = 8;
    expect(trainingTemplateProblems(bad, ns)).toEqual(
      expect.arrayContaining([
        "RayJob finetune: in-tree autoscaling is not off",
        "RayJob finetune: worker group gpu-workers is not a fixed number of replicas",
        "RayJob finetune (head): label ml-platform.io/training-job is not the RayJob's name",
      ]),
    );
    expect(kueueRayWebhookProblems(bad)).toEqual(["enableInTreeAutoscaling: a kueue-managed RayCluster can use autoscaling only as an elastic job"]);
  });

  test("a queued RayJob that keeps its cluster, or runs on an existing one", () => {
    const keeps = { ...structuredClone(cr), spec: { ...structuredClone(cr.spec), shutdownAfterJobFinishes: false } };
    expect(kueueRayWebhookProblems(keeps)).toEqual(["spec.shutdownAfterJobFinishes: a kueue managed job should delete the cluster after finishing"]);
    const existing = { ...structuredClone(cr), spec: { ...structuredClone(cr.spec), clusterSelector: { "ray.io/cluster": "gpu-cluster" } } };
    expect(kueueRayWebhookProblems(existing)).toContain("spec.clusterSelector: a kueue managed job should not use an existing cluster");
  });
});

describe.each(ENVS)("%s: Ray Serve in namespace ray", (env) => {
  const e = projectEnvironment(env);
  const ml = stack(`${env}-ml`);
  const templates = rayTemplates(ml);

  test("only the RayService stays in ray: no training template outside the queues", () => {
    expect(templates.map((t) => `${t.namespace}/${t.cr.kind}`)).toEqual(["ray/RayService"]);
  });

  test("one-GPU Serve workers on the inference pool up to serve.maxWorkers, the GPUs rayServeMaxGpusPerPool reports", () => {
    const group = clusterSpecOf(templates[0].cr).workerGroupSpecs[0];
    expect(group.template.spec.nodeSelector["node.ml-platform.io/pool"]).toBe(RAY_SERVE_POOL);
    expect(group.maxReplicas * Number(group.template.spec.containers[0].resources.requests["nvidia.com/gpu"])).toBe(rayServeMaxGpusPerPool(e)[RAY_SERVE_POOL]);
    expect(rayServeMaxGpusPerPool({ ml: { ray: { ...e.ml.ray, enabled: false } } })).toEqual({});
  });

  test("no AWS role: the service account carries no IRSA annotation and no Ray role exists", () => {
    const sa = renderedObjects(ml).find(({ obj }) => obj.kind === "ServiceAccount" && obj.metadata.namespace === "ray")!.obj;
    expect(sa.metadata.annotations).toBeUndefined();
    expect(Object.values(resources(ml, "aws_iam_role")).map((r: Any) => r.name)).not.toContain(`mlp-${env}-ray`);
  });

  test("npm run cost lists the RayService and each team's Ray training gang", () => {
    const keys = servingBreakdown(e).map((i) => i.key);
    const offered = e.teams.tenants.filter((t) => teamRayWorkers(e, t.name));
    expect(keys.filter((k) => k.startsWith("ray/"))).toEqual(["ray/serve", ...offered.map((t) => `ray/training/${t.name}`)]);
  });
});

describe("teamRayWorkers: a gang the queue can admit", () => {
  /** Staging's vision without its dedicated pool, its quotas changed by `mutate`. */
  const sharedOnly = (mutate: (x: Any) => void) => brokenStaging((x) => (delete x.teams.tenants[0].dedicatedPool, mutate(x)));

  test("a team with a dedicated pool runs its workers there first, whole nodes, as many as the pool holds", () => {
    const e = validateEnvironment("staging", brokenStaging((x) => (x.teams.tenants[0].gpus["efa-training-a100"] = { nominal: 8 })));
    expect(teamRayWorkers(e, "vision")).toEqual(expect.objectContaining({ flavor: expect.objectContaining({ name: "team-vision-l4", owner: "vision" }), gpusPerWorker: 4, efaInterfacesPerWorker: 0, replicas: 1 }));
    // Another team never gets it, whatever it lists.
    expect(teamRayWorkers(e, "nlp")!.flavor.pool.name).toBe("gpu-training");
  });

  test("a team whose EFA quota cannot hold one whole-node worker gets the GPU training pool instead", () => {
    const e = validateEnvironment("staging", sharedOnly((x) => (x.teams.tenants[0].gpus["efa-training-a100"] = { nominal: 4 })));
    expect(teamRayWorkers(e, "vision")).toEqual(expect.objectContaining({ flavor: expect.objectContaining({ name: "gpu-training-l40s" }), gpusPerWorker: 4, replicas: 2 }));
    const holds = validateEnvironment("staging", sharedOnly((x) => (x.teams.tenants[0].gpus["efa-training-a100"] = { nominal: 8 })));
    expect(teamRayWorkers(holds, "vision")).toEqual(expect.objectContaining({ flavor: expect.objectContaining({ name: "efa-training-a100" }), gpusPerWorker: 8, efaInterfacesPerWorker: 4, replicas: 1 }));
  });

  test("with FSx, no Ray template on the inference pool (it would mount FSx on a pool kept in every zone); without FSx, one GPU there", () => {
    const inferenceOnly = (x: Any) => (x.teams.tenants[1].gpus = { "gpu-inference-l40s": { nominal: 4 } });
    expect(teamRayWorkers(validateEnvironment("staging", sharedOnly(inferenceOnly)), "nlp")).toBeUndefined();
    const noFsx = validateEnvironment("staging", sharedOnly((x) => (inferenceOnly(x), delete x.resilience.storage.fsx)));
    expect(teamRayWorkers(noFsx, "nlp")).toEqual(expect.objectContaining({ flavor: expect.objectContaining({ name: "gpu-inference-l40s" }), gpusPerWorker: 1 }));
  });

  test("no templates when Ray is off", () => {
    const e = validateEnvironment("staging", brokenStaging((x) => (x.ml.ray = { enabled: false })));
    expect(teamRayWorkers(e, "vision")).toBeUndefined();
  });
});

describe.each(["staging", "prod"] as const)("%s: Ray workers land on their flavor's NodePool and nowhere else", (env) => {
  const e = projectEnvironment(env);
  const sources = [...releaseManifests(stack(`${env}-platform`), "karpenter-node-pools").values()].filter((o) => o.kind === "NodePool").map(nodePoolSource);

  test("the worker pod (its selector, tolerations and requests) fits only the pool of the flavor Kueue admits it on", () => {
    for (const { namespace, cr } of rayTemplates(stack(`${env}-teams`))) {
      const spec = clusterSpecOf(cr).workerGroupSpecs[0].template.spec;
      const r = spec.containers[0].resources.requests;
      const extended = Object.fromEntries(Object.entries(r).filter(([k]) => k.includes("/"))) as Record<string, string>;
      const worker: PodFootprint = { name: "worker", kind: "Job", namespace, requests: { cpu: r.cpu, memory: r.memory, extended }, tolerations: spec.tolerations, nodeSelector: spec.nodeSelector };
      expect([namespace, placements(worker, sources).allowed.map((s) => s.name)]).toEqual([namespace, [`NodePool ${teamRayWorkers(e, namespace)!.flavor.pool.name}`]]);
    }
  });
});
