// Model versions a change moves (docs/delivery.md): every Triton Rollout whose pod template names another version
// (the `ml-platform.io/model-version` annotation), a model added or removed, as "model churn: version 7 → 8" with
// the canary it goes through. In staging and production the version is pinned in the environment file, so this is how
// a reviewer sees a promotion in the pull request.
import { objectsOf } from "./kubernetes";
import type { Banner } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const ANNOTATION = "ml-platform.io/model-version";
const SEED_VERSION = "0";

/** Rollouts of the in-repo releases that carry a model version, by name. */
function models(releases: Map<string, Json>): Map<string, Json> {
  return new Map(
    [...objectsOf(releases).values()]
      .map((o) => o.object)
      .filter((o) => o.kind === "Rollout" && o.spec?.template?.metadata?.annotations?.[ANNOTATION] !== undefined)
      .map((o) => [String(o.metadata.labels?.["ml-platform.io/model"] ?? o.metadata.name), o]),
  );
}

/** How a Rollout takes a new version: its experiment and weights. */
function path(rollout: Json): string {
  const steps = (rollout.spec?.strategy?.canary?.steps ?? []) as Json[];
  const weights = steps.filter((s) => s.setWeight !== undefined).map((s) => `${s.setWeight}%`);
  const experiment = steps.find((s) => s.experiment)?.experiment;
  const ab = experiment ? `A/B experiment for ${experiment.duration}, then ` : "";
  return `${ab}canary ${[...weights, "100%"].join(" → ")}, rolled back if its analysis fails`;
}

/** A banner per model whose served version changes, or that is added or removed. */
export function modelBanners(stack: string, environment: string, base: Map<string, Json>, head: Map<string, Json>): Banner[] {
  const [a, b] = [models(base), models(head)];
  const out: Banner[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [from, to] = [a.get(name)?.spec.template.metadata.annotations[ANNOTATION], b.get(name)?.spec.template.metadata.annotations[ANNOTATION]];
    if (from === to) continue;
    const at = { kind: "model-version" as const, severity: "notice" as const, environment, stack, subject: name };
    // The seed version 0 is never served: automatic promotion moves the live annotation to what the alias names.
    if (from === undefined) out.push({ ...at, message: to === SEED_VERSION ? `model ${name}: new, promoted from its MLflow alias (automatic promotion)` : `model ${name}: new, version ${to} (its first pods serve it directly)` });
    else if (to === undefined) out.push({ ...at, message: `model ${name}: removed (version ${from} stops serving)` });
    else out.push({ ...at, message: `model ${name}: version ${from} → ${to} (${path(b.get(name))})` });
  }
  return out;
}
