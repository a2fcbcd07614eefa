// The TrainJob examples in the docs are what a team can submit as written: valid against the pinned Trainer CRD, in a
// team namespace of a shipped environment, and labelled for the LocalQueue every team namespace has (that their pods
// find the claims they mount there is checked by the deploy walk, test/deploy/deploy-walk.test.ts).
import { DEFAULT_LOCAL_QUEUE, QUEUE_LABEL } from "../../constructs/tenancy/names";
import { validateCustomResource } from "../helpers/crd";
import { docExamples as examples } from "../helpers/doc-examples";
import { projectEnvironments } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const teams = new Set(projectEnvironments().flatMap((e) => e.teams.tenants.map((t) => t.name)));

/** What keeps a TrainJob example from running as written through a team's queue. */
function problems(j: Any): string[] {
  const out = validateCustomResource(j);
  if (j.metadata.labels?.[QUEUE_LABEL] !== DEFAULT_LOCAL_QUEUE) out.push(`${j.metadata.name}: ${QUEUE_LABEL} is ${j.metadata.labels?.[QUEUE_LABEL]}, not ${DEFAULT_LOCAL_QUEUE}`);
  if (!teams.has(j.metadata.namespace)) out.push(`${j.metadata.name}: namespace ${j.metadata.namespace} is no shipped team's`);
  return out;
}

test.each(["ml-services.md", "tenancy.md"])("%s: its TrainJob examples queue in a team's LocalQueue and are valid TrainJobs", (doc) => {
  const jobs = examples(doc, "TrainJob");
  expect(jobs.length).toBeGreaterThan(0);
  expect(jobs.flatMap(problems)).toEqual([]);
});

test("the check fails on an example without the queue label or in a namespace that is no team's", () => {
  const [job] = examples("ml-services.md", "TrainJob");
  expect(problems({ ...job, metadata: { name: job.metadata.name, namespace: "team-a" } })).toEqual([
    "llm-finetune: kueue.x-k8s.io/queue-name is undefined, not default",
    "llm-finetune: namespace team-a is no shipped team's",
  ]);
  expect(problems({ ...job, spec: { ...job.spec, trainer: { ...job.spec.trainer, numNodes: "four" } } })).toHaveLength(1);
});
