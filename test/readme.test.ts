import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseStackArgs, steps } from "../scripts/stacks";
import { applyOrder, readManifest } from "../scripts/lib/stack-order";
import { renderedManifests } from "./helpers/manifests";
import { stack, synthesizeAll } from "./helpers/synth";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
/** Lines of the README's shell code blocks. */
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim());

describe("README stays true", () => {
  test("the quickstart is two commands, and every npm script the README names exists", () => {
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toContain("npm test ");
    const named = [...new Set([...readme.matchAll(/npm run (?:-s )?([a-z:-]+)/g)].map((m) => m[1]))].sort();
    expect(named).toEqual(expect.arrayContaining(["bench", "ci", "cost", "generate:catalog", "generate:oracles", "preflight", "review", "stacks", "synth", "tools", "verify"]));
    expect(named.filter((n) => typeof scripts[n] !== "string")).toEqual([]);
  });

  test("every `npm run -s stacks` command it shows runs against the synthesized output (as --dry-run)", () => {
    const commands = shellLines.filter((l) => l.includes("npm run -s stacks -- ")).map((l) => l.slice(l.indexOf("npm run -s stacks -- ") + "npm run -s stacks -- ".length));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const c of commands) {
      const run = { ...parseStackArgs(c.split(/\s+/)), outdir: synthesizeAll().outdir };
      expect(() => steps(run)).not.toThrow();
    }
    const destroy = steps({ ...parseStackArgs(["destroy", "dev"]), outdir: synthesizeAll().outdir });
    expect(destroy.filter((s) => "run" in s && s.run.includes("destroy")).map((s) => ("run" in s ? s.run[1] : ""))).toEqual(
      ["teams", "ml", "platform", "foundation"].map((p) => `-chdir=${synthesizeAll().outdir}/stacks/dev-${p}`),
    );
  });

  test("the plain-terraform loop lists the stacks in the order the stack graph gives", () => {
    const loop = shellLines.find((l) => l.startsWith("for stack in "))!;
    expect(loop.replace(/^for stack in (.*); do$/, "$1").split(" ")).toEqual(applyOrder(readManifest(synthesizeAll().outdir), "dev"));
  });

  test("the alert table lists exactly the alerts the platform stack renders", () => {
    const section = readme.slice(readme.indexOf("## Alerts"), readme.indexOf("## Before the first deploy"));
    const documented = [...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1]).sort();
    const rendered = renderedManifests(stack("prod-platform"))
      .filter(({ manifest }) => manifest.kind === "PrometheusRule")
      .flatMap(({ manifest }) => (manifest as { spec: { groups: Array<{ rules: Array<{ alert?: string }> }> } }).spec.groups.flatMap((g) => g.rules.map((r) => r.alert)))
      .filter((a): a is string => typeof a === "string");
    expect(documented).toEqual([...new Set(rendered)].sort());
  });
});
