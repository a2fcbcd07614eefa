import { dedicatedPoolName } from "../../constructs/karpenter/pool-labels";
import type { Environment } from "../../environments/lib/schema";
import { exampleEnvironments, synthesizeExamples } from "./delivery-examples";
import { projectEnvironments, synthesizeAll, type TerraformJson } from "./synth";

/** What every audit needs to know about one synthesized stack: its JSON and the environment it belongs to. */
export interface AuditTarget {
  /** Stack id, for example `prod-foundation`. */
  readonly id: string;
  readonly json: TerraformJson;
  /** Environment name (the value of the Environment cost tag). */
  readonly envName: string;
  /** The environment's own AWS account: the only account principals may come from. */
  readonly accountId: string;
  /** Project, Team, CostCenter and Environment as they must appear on every billable resource. */
  readonly costTags: Readonly<Record<string, string>>;
  /**
   * The cost tags of a team-dedicated pool's EC2NodeClass, by its name: the team's Team and CostCenter instead of the
   * environment's. @default - none
   */
  readonly nodeClassTags?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The cost tags every taggable resource must carry (keys only; values come from the environment). */
export const COST_TAG_KEYS = ["Project", "Team", "CostCenter", "Environment"] as const;

/** The environment a stack belongs to: stack ids are `<env>-<part>`; the longest matching env name wins. */
export function environmentOfStack(stackId: string, envs: readonly Environment[] = projectEnvironments()): Environment {
  const env = envs
    .filter((e) => stackId.startsWith(`${e.name}-`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!env) throw new Error(`stack ${stackId} belongs to no environment (have ${envs.map((e) => e.name).join(", ")})`);
  return env;
}

/** Suffix of the audit id of an example environment's ml stack: `prod-ml (example models)`. */
export const EXAMPLE_TARGET_SUFFIX = " (example models)";

/**
 * Every stack of every project environment as an audit target (reuses the per-worker synth), and the ml stacks of the
 * example environments (docs/delivery.md's models added; their other stacks are the project's), so the models'
 * Rollouts, promotion and drift roles are audited although no shipped environment serves a model.
 */
export function auditTargets(): AuditTarget[] {
  const target = (id: string, json: TerraformJson, env: Environment): AuditTarget => {
    // Built from the environment file, not from stacks/naming.ts costTags(), so a bug there cannot agree with itself.
    const tags = { Project: env.tags.Project, Team: env.tags.Team, CostCenter: env.tags.CostCenter, Environment: env.name };
    const dedicated = env.teams.tenants.filter((t) => t.dedicatedPool).map((t) => [dedicatedPoolName(t.name), { ...tags, Team: t.name, CostCenter: t.costCenter }]);
    return { id, json, envName: env.name, accountId: env.account.id, costTags: tags, nodeClassTags: Object.fromEntries(dedicated) };
  };
  const examples = synthesizeExamples().stacks.filter((s) => s.id.endsWith("-ml"));
  return [
    ...synthesizeAll().stacks.map((s) => target(s.id, s.json, environmentOfStack(s.id))),
    ...examples.map((s) => target(`${s.id}${EXAMPLE_TARGET_SUFFIX}`, s.json, environmentOfStack(s.id, exampleEnvironments()))),
  ];
}

/** One finding, formatted so a failing test says exactly where and what to fix. */
export function finding(stackId: string, address: string, rule: string, detail: string): string {
  return `${stackId} ${address}: ${rule}: ${detail}`;
}

/** Every resource of a Terraform JSON as `[type, name, config]` (skips cdktf's `//` metadata keys). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function resourcesOf(json: TerraformJson): Array<[string, string, any]> {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName ?? {})
      .filter(([name]) => !name.startsWith("//"))
      .map(([name, cfg]) => [type, name, cfg] as [string, string, unknown]),
  );
}

/** Every data source of a Terraform JSON as `[type, name, config]`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dataSourcesOf(json: TerraformJson): Array<[string, string, any]> {
  return Object.entries(json.data ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName ?? {})
      .filter(([name]) => !name.startsWith("//"))
      .map(([name, cfg]) => [type, name, cfg] as [string, string, unknown]),
  );
}

/** cdktf renders single nested blocks either as an object or as a one-element list; this reads both as a list. */
export function blocks<T = Record<string, unknown>>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/** True when a string is (or contains) a Terraform interpolation, whose value is only known at apply time. */
export function isInterpolation(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** Terraform booleans arrive as `true` or `"true"` depending on the provider schema. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}
