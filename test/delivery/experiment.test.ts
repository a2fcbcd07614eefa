// The A/B step as the Argo Rollouts v1.9.0 controller turns it into an Experiment (rollout/experiment.go,
// GetExperimentFromTemplate): the step's arms become templates of the stable and canary ReplicaSets' pod templates with
// the arm's labels added to template and selector, a Service per arm when it has a weight, and the step's analyses with
// their args. The result must be valid against the pinned Experiment CRD, its arms' series must be told apart, and
// its analysis must pass the candidate's hash to the AnalysisTemplate's argument.
import { validateCustomResource } from "../helpers/crd";
import { renderedObject } from "../helpers/ml-helm";
import { exampleStack as stack } from "../helpers/delivery-examples";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** The Experiment the controller creates for the rollout's experiment step (hashes stand in for the ReplicaSets'). */
function experimentOf(rollout: Any, hashes = { stable: "5d8f7c9b6", canary: "7b4c6d8f5" }): Any {
  const step = rollout.spec.strategy.canary.steps.find((s: Any) => s.experiment).experiment;
  const replicaSet = (hash: string) => ({
    template: { ...rollout.spec.template, metadata: { ...rollout.spec.template.metadata, labels: { ...rollout.spec.template.metadata.labels, "rollouts-pod-template-hash": hash } } },
    selector: { matchLabels: { ...rollout.spec.selector.matchLabels, "rollouts-pod-template-hash": hash } },
  });
  const templates = step.templates.map((t: Any) => {
    const rs = structuredClone(replicaSet(t.specRef === "stable" ? hashes.stable : hashes.canary));
    Object.assign(rs.template.metadata.labels, t.metadata?.labels ?? {});
    Object.assign(rs.selector.matchLabels, t.metadata?.labels ?? {});
    return { name: t.name, replicas: t.replicas, ...(t.weight !== undefined ? { service: {} } : {}), template: rs.template, selector: rs.selector };
  });
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Experiment",
    metadata: { name: `${rollout.metadata.name}-${hashes.canary}-2-0`, namespace: rollout.metadata.namespace, labels: { ...rollout.metadata.labels, "rollouts-pod-template-hash": hashes.canary } },
    spec: {
      duration: step.duration,
      progressDeadlineSeconds: rollout.spec.progressDeadlineSeconds,
      templates,
      analyses: step.analyses.map((a: Any) => ({ name: a.name, templateName: a.templateName, args: a.args })),
    },
  };
}

describe("staging's A/B experiment, as the controller creates it", () => {
  const rollout = renderedObject(stack("staging-ml"), "Rollout", "triton-churn", "triton");
  const analysis = renderedObject(stack("staging-ml"), "AnalysisTemplate", "triton-churn-canary", "triton");

  test("is valid against the Argo Rollouts v1.9.0 Experiment CRD", () => {
    expect(validateCustomResource(experimentOf(rollout))).toEqual([]);
  });

  test("the CRD check fails an arm without a name and a duration of the wrong type", () => {
    const e = experimentOf(rollout);
    delete e.spec.templates[0].name;
    e.spec.duration = 60;
    expect(validateCustomResource(e)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/spec\/templates\/0: .*name/), expect.stringMatching(/^\/spec\/duration: got 60; must be string/)]));
  });

  test("runs baseline (the stable version) and candidate (the new one), each behind its own Service, for the configured time", () => {
    const e = experimentOf(rollout);
    expect(e.spec.duration).toBe("60m");
    expect(e.spec.templates.map((t: Any) => [t.name, t.replicas, t.service, t.template.metadata.labels.arm, t.selector.matchLabels.arm])).toEqual([
      ["baseline", 1, {}, "baseline", "baseline"],
      ["candidate", 1, {}, "candidate", "candidate"],
    ]);
    // Both arms are pods of the model's root Service, which the ServiceMonitor scrapes: their series carry `arm`.
    const root = renderedObject(stack("staging-ml"), "Service", "triton-churn", "triton");
    for (const t of e.spec.templates) for (const [k, v] of Object.entries(root.spec.selector)) expect(t.template.metadata.labels[k]).toBe(v);
  });

  test("its analysis measures the candidate arm: the argument the AnalysisTemplate declares, set to the arm's hash", () => {
    const [a] = experimentOf(rollout).spec.analyses;
    expect(a.templateName).toBe(analysis.metadata.name);
    expect(a.args.map((x: Any) => x.name)).toEqual(analysis.spec.args.map((x: Any) => x.name));
    expect(a.args[0].value).toBe("{{templates.candidate.podTemplateHash}}");
    // Every query of the template selects on that argument.
    for (const m of analysis.spec.metrics.filter((x: Any) => x.name !== "input-drift")) expect(m.provider.prometheus.query).toContain(`rollouts_pod_template_hash="{{args.${a.args[0].name}}}"`);
  });
});
