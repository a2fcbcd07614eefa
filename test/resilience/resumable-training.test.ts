// Resumable training: the training volumes (static FSx and Mountpoint PVs bound to claims of the training namespace),
// the TrainJob runtimes that mount them with the checkpoint environment, and the JobSet failure policy that restarts a
// whole job after a node loss without spending its restart budget.
import { CHECKPOINT_MOUNT, checkpointMounts, DATASETS_MOUNT, JOBSET_NAME_LABEL, RAYJOB_NAME_LABEL, withCheckpoints } from "../../constructs/resilience/checkpoints";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { declaredFootprints } from "../helpers/deploy-walk/footprints";
import { walkDeploy } from "../helpers/deploy-walk/walk";
import { renderedObjects } from "../helpers/ml-helm";
import { projectEnvironments, resources, stack, synthesizeAll, type SynthesizedStack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const objects = (env: string) => renderedObjects(stack(`${env}-ml`)).map(({ release, obj }) => ({ release, obj: obj as Json }));
const named = (env: string, kind: string, name: string): Json => objects(env).find(({ obj }) => obj.kind === kind && obj.metadata.name === name)?.obj;
const runtimePod = (env: string, name: string): Json => named(env, "ClusterTrainingRuntime", name).spec.template.spec.replicatedJobs[0].template.spec.template.spec;
const envOf = (c: Json) => Object.fromEntries(c.env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));

describe("training volumes", () => {
  test("prod: two static FSx volumes, the linked checkpoints/ and datasets/ directories as Lustre filesets, bound only to their claims in training, their data kept when a claim goes", () => {
    const pv = named("prod", "PersistentVolume", "training-training-checkpoints-fsx");
    expect(pv.spec).toEqual({
      capacity: { storage: "4800Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      claimRef: { namespace: "training", name: "training-checkpoints-fsx" },
      mountOptions: ["flock"],
      csi: {
        driver: "fsx.csi.aws.com",
        // The foundation's file system, through cross-stack outputs; one handle per volume.
        volumeHandle: expect.stringMatching(/aws_fsx_lustre_file_systemresilience_fsx_file-system_\w+id\}-checkpoints$/),
        volumeAttributes: { dnsname: expect.stringMatching(/file-system_\w+dns_name\}$/), mountname: expect.stringMatching(/file-system_\w+mount_name\}\/checkpoints$/) },
      },
    });
    expect(named("prod", "PersistentVolumeClaim", "training-checkpoints-fsx").spec).toEqual({
      accessModes: ["ReadWriteMany"],
      storageClassName: "",
      volumeName: "training-training-checkpoints-fsx",
      resources: { requests: { storage: "4800Gi" } },
    });
    const datasets = named("prod", "PersistentVolume", "training-training-datasets-fsx").spec;
    expect([datasets.claimRef, datasets.mountOptions, datasets.csi.volumeHandle, datasets.csi.volumeAttributes.mountname]).toEqual([
      { namespace: "training", name: "training-datasets-fsx" },
      ["ro", "flock"],
      expect.stringMatching(/id\}-datasets$/),
      expect.stringMatching(/mount_name\}\/datasets$/),
    ]);
  });

  test("datasets/ through Mountpoint is read-only in every environment; dev writes checkpoints/ through Mountpoint instead of FSx", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const pv = named(env, "PersistentVolume", "training-training-datasets");
      expect([env, pv.spec.accessModes, pv.spec.mountOptions]).toEqual([env, ["ReadOnlyMany"], ["region us-east-1", "prefix datasets/", "uid=1000", "gid=1000", "allow-other", "read-only"]]);
      expect(pv.spec.csi).toEqual({ driver: "s3.csi.aws.com", volumeHandle: expect.stringMatching(/-datasets$/), volumeAttributes: { bucketName: expect.stringMatching(new RegExp(`^mlp-${env}-training-\\d{12}$`)) } });
    }
    expect(named("dev", "PersistentVolume", "training-training-checkpoints-s3").spec.mountOptions).toEqual(["region us-east-1", "prefix checkpoints/", "uid=1000", "gid=1000", "allow-other", "allow-delete", "allow-overwrite"]);
    expect(named("dev", "PersistentVolume", "training-training-checkpoints-fsx")).toBeUndefined();
    expect(named("prod", "PersistentVolume", "training-training-checkpoints-s3")).toBeUndefined();
  });
});

describe("checkpoints/runs/ on FSx", () => {
  test("prod: a directory object with FSx's POSIX metadata (UID/GID 1000, drwxrwxr-x), KMS-encrypted, before the association imports", () => {
    const foundation = stack("prod-foundation");
    const [address, obj] = Object.entries(resources(foundation, "aws_s3_object")).find(([, o]: [string, Json]) => o.key === "checkpoints/runs/") as [string, Json];
    expect(obj).toEqual(
      expect.objectContaining({
        bucket: "mlp-prod-training-444455556666",
        content: "",
        server_side_encryption: "aws:kms",
        kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\./),
        metadata: { "file-owner": "1000", "file-group": "1000", "file-permissions": "0040775" },
      }),
    );
    const link = Object.values(resources(foundation, "aws_fsx_data_repository_association")).find((a: Json) => a.file_system_path === "/checkpoints") as Json;
    expect(link.depends_on).toContain(`aws_s3_object.${address}`);
    expect(Object.values(resources(stack("dev-foundation"), "aws_s3_object")).filter((o: Json) => o.key === "checkpoints/runs/")).toEqual([]);
  });
});

describe("resumable TrainJob runtimes", () => {
  test("prod: every runtime mounts FSx checkpoints/ read-write and datasets/ read-only, with the checkpoint environment", () => {
    for (const name of ["torch-distributed", "torch-distributed-gpu", "torch-distributed-efa"]) {
      const pod = runtimePod("prod", name);
      expect(pod.volumes).toEqual(
        expect.arrayContaining([
          { name: "training-0", persistentVolumeClaim: { claimName: "training-checkpoints-fsx" } },
          { name: "training-1", persistentVolumeClaim: { claimName: "training-datasets-fsx" } },
        ]),
      );
      expect(pod.containers[0].volumeMounts).toEqual(
        expect.arrayContaining([
          { name: "training-0", mountPath: CHECKPOINT_MOUNT },
          { name: "training-1", mountPath: DATASETS_MOUNT, readOnly: true },
        ]),
      );
      expect(envOf(pod.containers[0])).toEqual(
        expect.objectContaining({
          TRAINING_JOB_NAME: { fieldRef: { fieldPath: `metadata.labels['${JOBSET_NAME_LABEL}']` } },
          CHECKPOINT_DIR: "/mnt/checkpoints/runs/$(POD_NAMESPACE)/$(TRAINING_JOB_NAME)",
          CHECKPOINT_INTERVAL_SECONDS: "1800",
          DATASETS_DIR: "/mnt/datasets",
        }),
      );
    }
  });

  test("with FSx every runtime is pinned to the file system's zone (the general pool's too); dev's are not", () => {
    for (const [env, zone] of [["staging", "us-east-1b"], ["prod", "us-east-1c"]]) {
      for (const name of ["torch-distributed", "torch-distributed-gpu", "torch-distributed-efa"]) expect([env, name, runtimePod(env, name).nodeSelector["topology.kubernetes.io/zone"]]).toEqual([env, name, zone]);
    }
    expect(runtimePod("prod", "torch-distributed-efa").nodeSelector["node.ml-platform.io/pool"]).toBe("efa-training");
    expect(runtimePod("dev", "torch-distributed").nodeSelector).toBeUndefined();
  });

  test("the deploy walk refuses a runtime pinned to a zone its pool cannot launch in", () => {
    const manifest = JSON.parse(readFileSync(join(synthesizeAll().outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
    const stacks: SynthesizedStack[] = synthesizeAll()
      .stacks.filter((s) => s.id.startsWith("prod-") && manifest.stacks[s.id])
      .map((s) => ({ ...s, json: structuredClone(s.json) }));
    const pools = Object.values((stacks.find((s) => s.id === "prod-platform")!.json as Json).resource.helm_release as Record<string, Json>).find((r) => r.name === "karpenter-node-pools");
    pools.values = pools.values.map((v: string) => {
      const tree = JSON.parse(v);
      const gpu = tree.manifests.find((m: Json) => m.kind === "NodePool" && m.metadata.name === "gpu-training");
      gpu.spec.template.spec.requirements.find((r: Json) => r.key === "topology.kubernetes.io/zone").values = ["us-east-1a"];
      return JSON.stringify(tree);
    });
    const r = walkDeploy({ stacks, dependencies: Object.fromEntries(stacks.map((s) => [s.id, manifest.stacks[s.id]!.dependencies])), footprints: declaredFootprints(projectEnvironments()) });
    expect(r.findings).toEqual([expect.stringMatching(/ClusterTrainingRuntime torch-distributed-gpu \(job node\)\): no node source accepts it \(.*NodePool gpu-training: nodeSelector topology\.kubernetes\.io\/zone=us-east-1c does not match/)]);
  });

  test("dev (no FSx): checkpoints and datasets come from the two Mountpoint claims", () => {
    const pod = runtimePod("dev", "torch-distributed");
    expect(pod.volumes.filter((v: Json) => v.persistentVolumeClaim)).toEqual([
      { name: "training-0", persistentVolumeClaim: { claimName: "training-checkpoints-s3" } },
      { name: "training-1", persistentVolumeClaim: { claimName: "training-datasets" } },
    ]);
  });

  test.each(["dev", "staging", "prod"])("%s: node loss restarts the whole job outside the restart budget; other failures spend it", (env) => {
    for (const { obj } of objects(env).filter(({ obj }) => obj.kind === "ClusterTrainingRuntime" && obj.metadata.labels["trainer.kubeflow.org/framework"] === "torch")) {
      const spec = obj.spec.template.spec;
      expect(spec.failurePolicy).toEqual({ maxRestarts: 3, rules: [{ name: "node-disruption", action: "RestartJobSetAndIgnoreMaxRestarts", onJobFailureReasons: ["PodFailurePolicy"] }] });
      const job = spec.replicatedJobs[0].template.spec;
      expect(job.backoffLimit).toBe(0);
      expect(job.podFailurePolicy).toEqual({ rules: [{ action: "FailJob", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] });
      expect(job.template.spec.restartPolicy).toBe("Never");
    }
  });
});

describe("withCheckpoints (shared with the Ray templates)", () => {
  const mounts = checkpointMounts({ fsxZone: "us-east-1c", mountpoint: true }, 15)!;

  test("adds volumes once per claim and mounts only on the named containers, with the job name from the given label", () => {
    const pod = { containers: [{ name: "ray-head", env: [{ name: "A", value: "1" }] }, { name: "sidecar" }], volumes: [{ name: "x", emptyDir: {} }] };
    const out = withCheckpoints(pod, mounts, { containers: ["ray-head"], jobNameLabel: RAYJOB_NAME_LABEL });
    expect(out.volumes).toEqual([
      { name: "x", emptyDir: {} },
      { name: "training-0", persistentVolumeClaim: { claimName: "training-checkpoints-fsx" } },
      { name: "training-1", persistentVolumeClaim: { claimName: "training-datasets-fsx" } },
    ]);
    // Two directories of one claim: one volume, two mounts.
    const shared = withCheckpoints(pod, { checkpoints: { claim: "c", subPath: "a" }, datasets: { claim: "c", subPath: "b" }, intervalMinutes: 15 }, { containers: ["ray-head"], jobNameLabel: RAYJOB_NAME_LABEL });
    expect(shared.volumes).toEqual([{ name: "x", emptyDir: {} }, { name: "training-0", persistentVolumeClaim: { claimName: "c" } }]);
    expect(out.containers[1]).toEqual({ name: "sidecar" });
    expect(out.nodeSelector).toEqual({ "topology.kubernetes.io/zone": "us-east-1c" });
    expect(envOf(out.containers[0])).toEqual(expect.objectContaining({ A: "1", CHECKPOINT_INTERVAL_SECONDS: "900", TRAINING_JOB_NAME: { fieldRef: { fieldPath: "metadata.labels['ml-platform.io/training-job']" } } }));
    // The input is not modified: runtimes share pod specs.
    expect(pod.containers[0].env).toEqual([{ name: "A", value: "1" }]);
  });

  test("without FSx or Mountpoint there is nothing to mount", () => {
    expect(checkpointMounts({ mountpoint: false }, 30)).toBeUndefined();
    expect(checkpointMounts({ mountpoint: true }, 30)?.checkpoints).toEqual({ claim: "training-checkpoints-s3" });
  });
});
