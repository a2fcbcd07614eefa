// Teams' training storage: every team namespace holds the claims the TrainJob runtimes mount, under the names the
// `training` namespace uses, bound to volumes of their own (unique handles; S3 checkpoints in the team's own prefix,
// mounted with the team's role). That a TrainJob's pods find them is the deploy walk's (test/deploy/deploy-walk.test.ts).
import { TRAINING_NAMESPACE } from "../../constructs/resilience/training-storage-layout";
import { renderedObjects } from "../helpers/ml-helm";
import { projectEnvironments, resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The objects of the stacks that hold training volumes: `training`'s (ml) and the teams'. */
const envObjects = (env: string): Json[] => [stack(`${env}-ml`), stack(`${env}-teams`)].flatMap((s) => renderedObjects(s).map(({ obj }) => obj));
const claimsIn = (objects: Json[], ns: string) => objects.filter((o) => o.kind === "PersistentVolumeClaim" && o.metadata.namespace === ns).map((o) => o.metadata.name).sort();
const pv = (env: string, name: string): Json => renderedObjects(stack(`${env}-teams`)).find(({ obj }) => obj.kind === "PersistentVolume" && obj.metadata.name === name)?.obj;

/** Volume handles used by more than one PersistentVolume of a driver: kubelet mounts only one of them per node. */
function sharedHandles(objects: Json[]): string[] {
  const seen = new Map<string, number>();
  for (const o of objects.filter((o) => o.kind === "PersistentVolume" && o.spec.csi)) {
    const key = `${o.spec.csi.driver} ${o.spec.csi.volumeHandle}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

describe.each(projectEnvironments().map((e) => e.name))("%s: teams' training claims", (env) => {
  const objects = envObjects(env);
  const teams = projectEnvironments().find((e) => e.name === env)!.teams.tenants.map((t) => t.name);

  test("every team namespace has the training namespace's claims, each bound to a volume reserved for it", () => {
    const training = claimsIn(objects, TRAINING_NAMESPACE);
    expect(training.length).toBeGreaterThan(0);
    for (const team of teams) {
      expect([team, claimsIn(objects, team)]).toEqual([team, training]);
      for (const claim of training) expect(pv(env, `${team}-${claim}`).spec.claimRef).toEqual({ namespace: team, name: claim });
    }
  });

  test("no two volumes share a handle (a second pod on a node with the same handle would never mount)", () => {
    expect(sharedHandles(objects)).toEqual([]);
  });
});

test("the handle check fails on two volumes of one handle", () => {
  const objects = envObjects("dev").filter((o) => o.kind === "PersistentVolume");
  const copy = structuredClone(objects[0]);
  copy.metadata.name = "copy";
  expect(sharedHandles([...objects, copy])).toEqual([`${copy.spec.csi.driver} ${copy.spec.csi.volumeHandle}`]);
});

test("dev: sandbox's S3 checkpoints are its own prefix, with its own role; datasets/ stays shared and read-only", () => {
  const checkpoints = pv("dev", "sandbox-training-checkpoints-s3").spec;
  expect(checkpoints.mountOptions).toEqual(["region us-east-1", "prefix teams/sandbox/checkpoints/", "uid=1000", "gid=1000", "allow-other", "allow-delete", "allow-overwrite"]);
  expect(checkpoints.csi).toEqual({ driver: "s3.csi.aws.com", volumeHandle: "mlp-dev-training-111122223333-checkpoints-sandbox", volumeAttributes: { bucketName: "mlp-dev-training-111122223333", authenticationSource: "pod" } });
  const datasets = pv("dev", "sandbox-training-datasets").spec;
  expect([datasets.accessModes, datasets.mountOptions]).toEqual([["ReadOnlyMany"], ["region us-east-1", "prefix datasets/", "uid=1000", "gid=1000", "allow-other", "read-only"]]);
  expect(datasets.csi.volumeAttributes).toEqual({ bucketName: "mlp-dev-training-111122223333" });
});

test("staging: vision's FSx checkpoints are its own directory of the file system; datasets/ stays shared and read-only", () => {
  const checkpoints = pv("staging", "vision-training-checkpoints-fsx").spec.csi;
  expect(checkpoints.driver).toBe("fsx.csi.aws.com");
  expect(checkpoints.volumeHandle).toMatch(/aws_fsx_lustre_file_systemresilience_fsx_file-system_\w+id\}-checkpoints-vision$/);
  expect(checkpoints.volumeAttributes).toEqual({ dnsname: expect.stringMatching(/file-system_\w+dns_name\}$/), mountname: expect.stringMatching(/file-system_\w+mount_name\}\/checkpoints\/teams\/vision$/) });
  const datasets = pv("staging", "vision-training-datasets-fsx").spec;
  expect([datasets.mountOptions, datasets.csi.volumeAttributes.mountname]).toEqual([["ro", "flock"], expect.stringMatching(/mount_name\}\/datasets$/)]);
  // The fileset's runs/ directory, owned by the training pods' UID once imported.
  const dirs = Object.values(resources(stack("staging-teams"), "aws_s3_object")) as Json[];
  expect(dirs.map((d) => [d.bucket, d.key, d.metadata])).toEqual(
    expect.arrayContaining([["mlp-staging-training-111122223333", "checkpoints/teams/vision/runs/", { "file-owner": "1000", "file-group": "1000", "file-permissions": "0040775" }]]),
  );
  expect(resources(stack("dev-teams"), "aws_s3_object")).toEqual({});
});
