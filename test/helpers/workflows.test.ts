import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actionlintConfig, localCallProblems } from "./actionlint";
import { effectiveShell, runSteps, sanitizeExpressions, shellcheckDialect } from "./workflows";

describe("workflow run-step extraction (pure; the tools run in test/governance/workflow-lint.verify.ts)", () => {
  test("replaces each ${{ }} with underscores of the same length, as actionlint does", () => {
    expect(sanitizeExpressions('echo "${{ github.sha }}" ${{ x }}')).toBe(`echo "${"_".repeat(17)}" ${"_".repeat(8)}`);
    expect(sanitizeExpressions("a ${{ f(\n 'x') }} b")).toBe(`a ${"_".repeat(15)} b`);
    expect(sanitizeExpressions("unterminated ${{ x")).toBe("unterminated ${{ x");
  });

  test("resolves the shell from step, job defaults, workflow defaults, then the runner", () => {
    const wf = { defaults: { run: { shell: "sh" } } };
    const job = { "runs-on": "ubuntu-24.04", defaults: { run: { shell: "bash -e {0}" } } };
    expect(effectiveShell({ shell: "python" }, job, wf)).toBe("python");
    expect(effectiveShell({}, job, wf)).toBe("bash -e {0}");
    expect(effectiveShell({}, { "runs-on": "ubuntu-24.04" }, wf)).toBe("sh");
    expect(effectiveShell({}, { "runs-on": "ubuntu-24.04" }, {})).toBe("bash");
    expect(effectiveShell({}, { "runs-on": "windows-2022" }, {})).toBe("pwsh");
    expect(effectiveShell({}, { "runs-on": ["self-hosted", "Windows"] }, {})).toBe("pwsh");
    expect(effectiveShell({}, { "runs-on": { group: "g", labels: ["windows-latest"] } }, {})).toBe("pwsh");
    expect(effectiveShell({}, { "runs-on": "${{ matrix.os }}" }, {})).toBe("bash");
  });

  test("maps shells to shellcheck dialects and leaves the others unchecked", () => {
    expect(["bash", "bash --noprofile --norc -eo pipefail {0}", "sh", "sh -e {0}", "pwsh", "python", "cmd", "bashx"].map(shellcheckDialect)).toEqual([
      "bash",
      "bash",
      "sh",
      "sh",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("lists every run step with its job, name or position, line and shell; reusable-workflow jobs have none", () => {
    const text = [
      "on: push",
      "defaults:",
      "  run:",
      "    shell: sh",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - run: echo one",
      "      - name: Two",
      "        shell: bash",
      "        run: |",
      "          echo two",
      "  call:",
      "    uses: ./.github/workflows/other.yml",
      "",
    ].join("\n");
    expect(runSteps("w.yml", text)).toEqual([
      { file: "w.yml", job: "build", step: "step 2", line: 10, shell: "sh", script: "echo one" },
      { file: "w.yml", job: "build", step: "Two", line: 13, shell: "bash", script: "echo two\n" },
    ]);
  });

  test("rejects a workflow that is not valid YAML with the file name", () => {
    expect(() => runSteps("bad.yml", "jobs: [a\n")).toThrow(/^bad\.yml: YAML error/);
  });
});

describe("local reusable workflows and actions (what actionlint's WebAssembly build cannot read)", () => {
  const root = mkdtempSync(join(tmpdir(), "mlp-wf-"));
  beforeAll(() => {
    mkdirSync(join(root, ".github", "workflows"), { recursive: true });
    mkdirSync(join(root, ".github", "actions", "setup"), { recursive: true });
    writeFileSync(
      join(root, ".github", "workflows", "callee.yml"),
      "on:\n  workflow_call:\n    inputs:\n      environment: { required: true, type: string }\n      dry-run: { required: false, type: boolean }\n    secrets:\n      token: { required: true }\njobs: {}\n",
    );
    writeFileSync(join(root, ".github", "workflows", "push.yml"), "on: push\njobs: {}\n");
    writeFileSync(join(root, ".github", "actions", "setup", "action.yml"), "name: setup\ninputs:\n  node: { required: true }\n  cache: { required: true, default: npm }\nruns: { using: composite, steps: [] }\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const caller = (job: string) => `on: push\njobs:\n  j:\n${job}`;
  const step = (uses: string, inputs: string) => caller(`    runs-on: ubuntu-24.04\n    steps:\n      - uses: ${uses}\n        with: ${inputs}\n`);

  test("accepts declared inputs and inherited or named secrets", () => {
    expect(localCallProblems("c.yml", caller("    uses: ./.github/workflows/callee.yml\n    with: { environment: dev }\n    secrets: inherit\n"), root)).toEqual([]);
    expect(localCallProblems("c.yml", caller("    uses: ./.github/workflows/callee.yml\n    with: { environment: dev }\n    secrets: { token: x }\n"), root)).toEqual([]);
    expect(localCallProblems("c.yml", step("./.github/actions/setup", "{ node: 20 }"), root)).toEqual([]);
  });

  test("reports an unknown input, a missing required input and secret, a missing file and a non-callable workflow", () => {
    const where = "c.yml job j (uses ./.github/workflows/callee.yml)";
    expect(localCallProblems("c.yml", caller("    uses: ./.github/workflows/callee.yml\n    with: { envx: dev }\n"), root)).toEqual([
      `${where}: input "envx" is not defined (defined: environment, dry-run)`,
      `${where}: required input "environment" is not given`,
      `${where}: required secret "token" is not given`,
    ]);
    expect(localCallProblems("c.yml", caller("    uses: ./.github/workflows/nope.yml\n"), root)).toEqual(["c.yml job j (uses ./.github/workflows/nope.yml): the called workflow does not exist"]);
    expect(localCallProblems("c.yml", caller("    uses: ./.github/workflows/push.yml\n"), root)).toEqual(["c.yml job j (uses ./.github/workflows/push.yml): the called workflow has no on.workflow_call trigger"]);
  });

  test("reports a local action's unknown and missing required inputs, and a missing action", () => {
    expect(localCallProblems("c.yml", step("./.github/actions/setup", "{ nodee: 20 }"), root)).toEqual([
      'c.yml job j step 1 (uses ./.github/actions/setup): input "nodee" is not defined (defined: node, cache)',
      'c.yml job j step 1 (uses ./.github/actions/setup): required input "node" is not given',
    ]);
    expect(localCallProblems("c.yml", step("./.github/actions/nope", "{}"), root)).toEqual(["c.yml job j step 1 (uses ./.github/actions/nope): no action.yml in ./.github/actions/nope"]);
  });

  test("reads self-hosted runner labels from actionlint.yaml and refuses settings it would not apply", () => {
    expect(actionlintConfig(root)).toEqual({ selfHostedLabels: [] });
    writeFileSync(join(root, ".github", "actionlint.yaml"), "self-hosted-runner:\n  labels: [gpu, codebuild-*]\n");
    expect(actionlintConfig(root)).toEqual({ selfHostedLabels: ["gpu", "codebuild-*"] });
    writeFileSync(join(root, ".github", "actionlint.yaml"), "config-variables: [FOO]\n");
    expect(() => actionlintConfig(root)).toThrow(/config-variables not applied by the WebAssembly actionlint/);
    rmSync(join(root, ".github", "actionlint.yaml"));
  });
});
