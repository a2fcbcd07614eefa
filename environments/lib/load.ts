import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { consistencyProblems } from "./consistency";
import { environmentSchema, type Environment, type EnvironmentInput } from "./schema";

/** Environment names become stack ids, state keys, physical names and the Environment tag. */
export const ENVIRONMENT_NAME_RE = /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/;

/** Thrown when one or more environment files are invalid; the message lists every problem. */
export class EnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvironmentError";
  }
}

/** Typing helper for environment files: `export default defineEnvironment({ ... })`. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function formatValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatIssue(env: string, issue: z.core.$ZodIssue): string {
  const where = `environment "${env}"`;
  if (issue.code === "unrecognized_keys") {
    const at = formatPath(issue.path);
    return issue.keys
      .map((k) => `${where}: ${at ? `${at}.` : ""}${k}: unknown field (got ${formatValue((issue.input as Record<string, unknown> | undefined)?.[k])}); check its spelling against environments/lib/schema.ts`)
      .join("\n  - ");
  }
  // A discriminated union reports the whole object as its input; the bad value is the discriminator.
  const input = issue.code === "invalid_union" && "discriminator" in issue && typeof issue.discriminator === "string"
    ? (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator]
    : issue.input;
  return `${where}: ${formatPath(issue.path) || "(root)"}: got ${formatValue(input)}; ${issue.message}`;
}

/** Validates one environment's input; throws EnvironmentError naming the environment, field, value and rule. */
export function validateEnvironment(name: string, input: unknown): Environment {
  if (!ENVIRONMENT_NAME_RE.test(name)) {
    throw new EnvironmentError([
      `environment "${name}": name: got ${formatValue(name)}; must be a lowercase DNS label of at most 20 characters (a-z, 0-9, -; starts with a letter), taken from the file name`,
    ]);
  }
  const result = environmentSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new EnvironmentError(result.error.issues.map((i) => formatIssue(name, i)));
  return Object.freeze({ ...result.data, name });
}

/** File names in `dir` that define environments: every `.ts`/`.js` module except declarations. */
export function environmentFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => e.name)
    .sort();
}

/**
 * Loads and validates every environment file in `dir` (the file name is the environment name).
 * All files are checked before anything is returned, so one run reports every problem.
 */
export function loadEnvironments(dir: string): Environment[] {
  const problems: string[] = [];
  const envs: Environment[] = [];
  for (const file of environmentFiles(dir)) {
    const name = file.replace(/\.(ts|js)$/, "");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, file)) as { default?: unknown };
    if (mod.default === undefined) {
      problems.push(`environment "${name}": ${file} has no default export; write \`export default defineEnvironment({ ... })\``);
      continue;
    }
    try {
      envs.push(validateEnvironment(name, mod.default));
    } catch (e) {
      if (e instanceof EnvironmentError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new EnvironmentError(problems);
  if (!envs.length) throw new EnvironmentError([`no environment files found in ${dir}`]);
  const conflicts = consistencyProblems(envs);
  if (conflicts.length) throw new EnvironmentError(conflicts);
  return envs;
}
