import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tool } from "../helpers/tools";
import { actionlint, actionlintConfig, localCallProblems, type ActionlintFinding } from "../helpers/actionlint";
import { REPO_ROOT, actionFiles, describeFinding, runSteps, shellcheckRunStep, workflowFiles } from "../helpers/workflows";

const files = workflowFiles();
const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
const show = (file: string) => (f: ActionlintFinding) => `${file}:${f.line}:${f.column} [${f.kind}] ${f.message}`;

/** A one-job workflow around the given steps (YAML lines indented for `steps:`). */
const workflow = (steps: string[], runsOn = "ubuntu-24.04") => ["on: push", "jobs:", "  build:", `    runs-on: ${runsOn}`, "    steps:", ...steps, ""].join("\n");

test("the repository has workflows to check", () => {
  expect(files.length).toBeGreaterThan(0);
});

describe("actionlint 1.7.7 (WebAssembly)", () => {
  const lint = (file: string, text: string, config?: Parameters<typeof actionlint>[1]) => actionlint([{ file, text }], config)[0];
  let results: Map<string, ActionlintFinding[]>;
  beforeAll(() => {
    const findings = actionlint(files.map((file) => ({ file, text: read(file) })), actionlintConfig());
    results = new Map(files.map((file, i) => [file, findings[i]]));
  });

  test.each(files)("%s passes actionlint", (file) => {
    expect(results.get(file)?.map(show(file))).toEqual([]);
  });

  test.each(files)("%s calls local reusable workflows and actions with their declared inputs and secrets", (file) => {
    expect(localCallProblems(file, read(file))).toEqual([]);
  });

  test("fails a workflow with an unknown job key and an undefined expression property (failing case)", () => {
    const bad = workflow(["      - run: echo ${{ github.nope }}"]).replace("    runs-on:", "    runs_on: x\n    runs-on:");
    const findings = lint("bad.yml", bad);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "syntax-check", line: 4, message: expect.stringContaining('unexpected key "runs_on" for "job" section') }),
        expect.objectContaining({ kind: "expression", line: 7, message: expect.stringContaining('property "nope" is not defined') }),
      ]),
    );
  });

  test("fails an unknown action input and a bad runner label (failing case)", () => {
    const bad = workflow(["      - uses: actions/checkout@v4", "        with:", "          fetch_depth: 0"], "ubuntu-42.04");
    const kinds = lint("bad.yml", bad).map((f) => f.kind);
    expect(kinds.sort()).toEqual(["action", "runner-label"]);
  });

  test("accepts a self-hosted label only when actionlint.yaml lists it", () => {
    const text = workflow(["      - run: echo hi"], "[self-hosted, gpu-a10g]");
    expect(lint("w.yml", text).map((f) => f.kind)).toEqual(["runner-label"]);
    expect(lint("w.yml", text, { selfHostedLabels: ["gpu-*"] })).toEqual([]);
  });
});

describe("shellcheck 0.10 on every run: step (as actionlint runs it)", () => {
  let shellcheck: string;
  beforeAll(() => {
    shellcheck = tool("shellcheck");
  });
  const check = (step: { shell: string; script: string }) => shellcheckRunStep(shellcheck, step);
  const codes = (step: { shell: string; script: string }) => check(step)?.map((f) => f.code);

  test("is ShellCheck 0.10", () => {
    expect(spawnSync(shellcheck, ["--version"], { encoding: "utf8" }).stdout).toMatch(/^version: 0\.10\.\d+$/m);
  });

  test.each([...files, ...actionFiles()])("%s: every run script passes shellcheck", (file) => {
    const steps = runSteps(file, read(file));
    const findings = steps.flatMap((s) => (check(s) ?? []).map((f) => describeFinding(s, f)));
    expect(findings).toEqual([]);
  });

  test("fails an unquoted variable and a syntax error, naming the step and the script line (failing case)", () => {
    const [step] = runSteps("bad.yml", workflow(["      - name: Copy", "        run: |", '          echo "ok"', "          cp $SRC dest"]));
    const findings = check(step)!;
    expect(findings.map((f) => describeFinding(step, f))).toEqual([
      expect.stringMatching(/^bad\.yml:7 job build, "Copy" \(bash\): SC2086 info at script line 2:\d+: Double quote to prevent globbing/),
    ]);
    expect(codes({ shell: "bash", script: 'if [ -n "$X" ]; then\n  echo yes\n' })).toContain(1046); // missing fi
  });

  test("replaces ${{ }} before checking: the raw expression is a shell error, the stand-in is not", () => {
    const step = { shell: "bash", script: 'if ${{ inputs.dry-run }}; then\n  echo "${{ github.sha }}"\nfi\n' };
    expect(codes(step)).toEqual([]);
    const raw = spawnSync(shellcheck, ["-f", "json", "--shell", "bash", "-"], { input: step.script, encoding: "utf8" });
    expect(JSON.parse(raw.stdout).length).toBeGreaterThan(0);
  });

  test("checks with the step's shell: [[ ]] is fine in bash, not in sh; pwsh is not shellcheck's", () => {
    const script = '[[ -n "$X" ]] && echo set\n';
    expect(codes({ shell: "bash", script })).toEqual([]);
    expect(codes({ shell: "sh", script })).toContain(3010);
    const [pwsh] = runSteps("w.yml", workflow(["      - run: Write-Output $env:X"], "windows-2022"));
    expect(pwsh.shell).toBe("pwsh");
    expect(check(pwsh)).toBeUndefined();
  });

  test("applies the runner's set -eo pipefail: an unguarded cd is fine under errexit, as under actionlint", () => {
    // Without the prepended options shellcheck cannot know errexit is on; with them, SC2164 (cd without || exit)
    // stays quiet exactly as it does under actionlint.
    expect(codes({ shell: "bash", script: "cd build\nmake\n" })).toEqual([]);
    const bare = spawnSync(shellcheck, ["-f", "json", "--shell", "bash", "-"], { input: "cd build\nmake\n", encoding: "utf8" });
    expect(JSON.parse(bare.stdout).map((f: { code: number }) => f.code)).toEqual([2164]);
  });
});
