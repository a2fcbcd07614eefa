import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { consistencyProblems } from "./consistency";
import { duplicateKeys } from "./duplicate-keys";
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
  // Long enough for any ARN; a longer value (a whole object) is cut, keeping a string's closing quote.
  const text = JSON.stringify(value);
  if (text.length <= 160) return text;
  return typeof value === "string" ? `${text.slice(0, 156)}..."` : `${text.slice(0, 157)}...`;
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

/** What `dir` holds: environment modules, and entries that are not (each with the reason). */
export function environmentFiles(dir: string): { readonly modules: string[]; readonly strays: string[] } {
  const modules: string[] = [];
  const strays: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Dotfiles are editor and OS litter (.DS_Store, swap files); lib/ is the schema.
    if (e.name.startsWith(".") || (e.isDirectory() && e.name === "lib")) continue;
    if (e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts")) modules.push(e.name);
    else if (e.isDirectory()) strays.push(`environments/${e.name}/: a directory; environment files sit directly in environments/ (only lib/ is allowed beside them)`);
    else {
      const stem = e.name.replace(/(\.d)?\.[^.]+$/, "").replace(/\..*$/, "");
      strays.push(`environments/${e.name}: not an environment file, so it would be ignored: environments are TypeScript modules named <name>.ts (rename it to ${stem}.ts, or move it out of environments/)`);
    }
  }
  return { modules, strays };
}

/** `path` read as text, or undefined when it cannot be read (the require that follows reports why). */
function sourceOf(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The value at `path` inside `root`, for messages (undefined when the path leaves the object). */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = root;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** Requires one environment module; a syntax error or a throw becomes a problem naming the file and line. */
function requireEnvironment(name: string, file: string, path: string): { value?: unknown; problem?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { value: (require(path) as { default?: unknown }).default };
  } catch (e) {
    // Duck-typed: an error thrown by a module evaluated in another realm (a test runner's sandbox) is no `instanceof Error`.
    const err = e !== null && typeof e === "object" && "message" in e ? (e as Error) : new Error(String(e));
    const line = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`).exec(err.stack ?? "")?.[1];
    const first = err.message.split("\n")[0];
    return { problem: `environment "${name}": ${file}${line ? ` line ${line}` : ""}: cannot be loaded: ${err.name}: ${first}; fix the file (the error is the file's own, not a validation rule)` };
  }
}

/**
 * Loads and validates every environment file in `dir` (the file name is the environment name).
 * All files are checked before anything is returned, so one run reports every problem: files that are not
 * environment modules, files that fail to load, keys written twice, schema violations, then (when every file is
 * valid on its own) conflicts between environments.
 */
export function loadEnvironments(dir: string): Environment[] {
  const { modules, strays } = environmentFiles(dir);
  const problems: string[] = [...strays];
  const envs: Environment[] = [];
  for (const file of modules) {
    const name = file.replace(/\.(ts|js)$/, "");
    const path = join(dir, file);
    const loaded = requireEnvironment(name, file, path);
    if (loaded.problem) {
      problems.push(loaded.problem);
      continue;
    }
    if (loaded.value === undefined) {
      problems.push(`environment "${name}": ${file} has no default export; write \`export default defineEnvironment({ ... })\``);
      continue;
    }
    const duplicates = duplicateKeys(sourceOf(path) ?? "");
    for (const d of duplicates) {
      // Lines of a built .js module are not the lines of its .ts source (esbuild's own warning names those).
      const lines = file.endsWith(".ts") ? `${file} lines ${d.firstLine} and ${d.line}` : file;
      problems.push(
        `environment "${name}": ${formatPath(d.path) || "(root)"}: got ${formatValue(valueAt(loaded.value, d.path))}; written twice in one object (${lines}), so the later value silently replaced the earlier: keep one`,
      );
    }
    if (duplicates.length) continue;
    try {
      envs.push(validateEnvironment(name, loaded.value));
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
