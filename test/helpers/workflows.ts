import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { LineCounter, Pair, isMap, isScalar, isSeq, parseDocument, type YAMLMap } from "yaml";

/** The repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(__dirname, "../..");

/** Every GitHub Actions workflow file of the repository, as paths relative to the repository root, sorted. */
export function workflowFiles(root = REPO_ROOT): string[] {
  const dir = join(root, ".github", "workflows");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(".github", "workflows", f));
}

/** Every local composite action (`.github/actions/<name>/action.yml`), relative to the repository root, sorted. */
export function actionFiles(root = REPO_ROOT): string[] {
  const dir = join(root, ".github", "actions");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, "action.yml")))
    .sort()
    .map((d) => join(".github", "actions", d, "action.yml"));
}

/** One `run:` step of a workflow with the shell GitHub runs it with. */
export interface RunStep {
  readonly file: string;
  readonly job: string;
  /** The step's `name`, else its 1-based position in the job. */
  readonly step: string;
  /** 1-based line of the step's `run:` key in the workflow file. */
  readonly line: number;
  /** The effective `shell:` value (step, then job defaults, then workflow defaults, then the runner's default). */
  readonly shell: string;
  readonly script: string;
}

/**
 * The shell a step runs with, resolved in the order actionlint 1.7.7 uses (rule_shellcheck.go getShellName): the
 * step's `shell`, the job's `defaults.run.shell`, the workflow's, then pwsh on a Windows runner label, else bash
 * (GitHub's default on Linux and macOS runners).
 */
export function effectiveShell(step: { shell?: unknown }, job: Record<string, unknown>, workflow: Record<string, unknown>): string {
  const defaults = (o: Record<string, unknown>) => ((o.defaults as { run?: { shell?: unknown } } | undefined)?.run?.shell as string | undefined) ?? "";
  if (typeof step.shell === "string" && step.shell) return step.shell;
  if (defaults(job)) return defaults(job);
  if (defaults(workflow)) return defaults(workflow);
  const runsOn = job["runs-on"];
  const labels = typeof runsOn === "string" ? [runsOn] : Array.isArray(runsOn) ? runsOn : ((runsOn as { labels?: unknown } | undefined)?.labels ?? []);
  const list = (Array.isArray(labels) ? labels : [labels]).filter((l): l is string => typeof l === "string").map((l) => l.toLowerCase());
  return list.some((l) => l === "windows" || l.startsWith("windows-")) ? "pwsh" : "bash";
}

/** The shellcheck dialect for a `shell:` value, or undefined for shells shellcheck cannot check (pwsh, python, ...). */
export function shellcheckDialect(shell: string): "bash" | "sh" | undefined {
  if (shell === "bash" || shell.startsWith("bash ")) return "bash";
  if (shell === "sh" || shell.startsWith("sh ")) return "sh";
  return undefined;
}

/**
 * Replaces every `${{ ... }}` with as many underscores, as actionlint does before shellcheck (sanitizeExpressionsInScript):
 * a word keeps the script's syntax valid where spaces would not (`if ${{ x }}; then`), and the length keeps columns.
 */
export function sanitizeExpressions(src: string): string {
  return src.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => "_".repeat(m.length));
}

/** Every `run:` step of a workflow, with its effective shell. Jobs that call a reusable workflow have none. */
export function runSteps(file: string, text: string): RunStep[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) throw new Error(`${file}: YAML error: ${doc.errors[0].message}`);
  const workflow = (doc.toJS() ?? {}) as Record<string, unknown>;
  // A composite action's steps are one "job" whose steps must each name their shell.
  const runs = doc.get("runs");
  if (isMap(runs) && runs.get("using") === "composite") {
    return stepsOf(file, runs.get("steps"), "composite", (workflow.runs as Record<string, unknown>) ?? {}, {}, lines);
  }
  const jobsNode = doc.get("jobs");
  if (!isMap(jobsNode)) return [];
  const out: RunStep[] = [];
  for (const jobPair of jobsNode.items as Pair[]) {
    const jobId = String(isScalar(jobPair.key) ? jobPair.key.value : jobPair.key);
    const jobNode = jobPair.value as YAMLMap | null;
    const job = ((workflow.jobs as Record<string, Record<string, unknown>>)[jobId] ?? {}) as Record<string, unknown>;
    out.push(...stepsOf(file, isMap(jobNode) ? jobNode.get("steps") : undefined, jobId, job, workflow, lines));
  }
  return out;
}

function stepsOf(file: string, stepsNode: unknown, jobId: string, job: Record<string, unknown>, workflow: Record<string, unknown>, lines: LineCounter): RunStep[] {
  if (!isSeq(stepsNode)) return [];
  const out: RunStep[] = [];
  stepsNode.items.forEach((stepNode, i) => {
    if (!isMap(stepNode)) return;
    const runPair = stepNode.items.find((p) => isScalar(p.key) && p.key.value === "run") as Pair | undefined;
    const step = (job.steps as Array<Record<string, unknown>>)[i];
    if (!runPair || typeof step.run !== "string") return;
    const offset = (runPair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
    out.push({
      file,
      job: jobId,
      step: typeof step.name === "string" ? step.name : `step ${i + 1}`,
      line: lines.linePos(offset).line,
      shell: effectiveShell(step, job, workflow),
      script: step.run,
    });
  });
  return out;
}

/** One shellcheck finding, with its line counted in the `run:` script. */
export interface ShellcheckFinding {
  readonly code: number;
  readonly level: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Checks excluded exactly as actionlint 1.7.7 excludes them (rule_shellcheck.go): SC1091 (sourced files exist only on
 * the runner), and SC2194/SC2050/SC2157/SC2043 (constant words and loops that are artefacts of the underscore
 * stand-ins), SC2154 (variables come from the step's `env:`).
 */
export const SHELLCHECK_EXCLUDED = "SC1091,SC2194,SC2050,SC2154,SC2157,SC2043";

/**
 * Runs shellcheck on one `run:` script the way actionlint would if it had shellcheck: expressions replaced, the
 * options GitHub's runner uses prepended (`set -eo pipefail` for bash, `set -e` for sh), every severity reported.
 * Returns undefined for a shell shellcheck does not support.
 */
export function shellcheckRunStep(shellcheck: string, step: Pick<RunStep, "shell" | "script">): ShellcheckFinding[] | undefined {
  const dialect = shellcheckDialect(step.shell);
  if (!dialect) return undefined;
  const setup = dialect === "bash" ? "set -eo pipefail" : "set -e";
  const input = `${setup}\n${sanitizeExpressions(step.script)}\n`;
  const run = spawnSync(shellcheck, ["--norc", "-f", "json", "-x", "--shell", dialect, "-e", SHELLCHECK_EXCLUDED, "-"], { input, encoding: "utf8" });
  // shellcheck exits 0 when clean and 1 when it reports something; anything else means it did not check the script.
  if (run.error || (run.status !== 0 && run.status !== 1)) throw new Error(`shellcheck failed (status ${run.status}): ${run.error?.message ?? run.stderr}`);
  const findings = JSON.parse(run.stdout) as Array<{ code: number; level: string; line: number; column: number; message: string }>;
  return findings.map((f) => ({ code: f.code, level: f.level, line: f.line - 1, column: f.column, message: f.message }));
}

/** One-line description of a finding in a workflow step, for test failure messages. */
export function describeFinding(step: RunStep, f: ShellcheckFinding): string {
  return `${step.file}:${step.line} job ${step.job}, "${step.step}" (${step.shell}): SC${f.code} ${f.level} at script line ${f.line}:${f.column}: ${f.message}`;
}
