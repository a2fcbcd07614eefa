import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderedManifests } from "./helpers/manifests";
import { stack } from "./helpers/synth";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("README stays true", () => {
  test("the quickstart commands are npm scripts of this project", () => {
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    expect(readme).toContain("npm ci && npm run synth");
    for (const name of ["synth", "test", "bench", "review", "cost", "generate:catalog", "generate:oracles"]) {
      expect([name, readme.includes(`npm run ${name}`) || (name === "test" && readme.includes("npm test"))]).toEqual([name, true]);
      expect([name, typeof scripts[name]]).toEqual([name, "string"]);
    }
  });

  test("the alert table lists exactly the alerts the platform stack renders", () => {
    const section = readme.slice(readme.indexOf("## Alerts"), readme.indexOf("## Deploy"));
    const documented = [...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1]).sort();
    const rendered = renderedManifests(stack("prod-platform"))
      .filter(({ manifest }) => manifest.kind === "PrometheusRule")
      .flatMap(({ manifest }) => (manifest as { spec: { groups: Array<{ rules: Array<{ alert?: string }> }> } }).spec.groups.flatMap((g) => g.rules.map((r) => r.alert)))
      .filter((a): a is string => typeof a === "string");
    expect(documented).toEqual([...new Set(rendered)].sort());
  });
});
