// docs/delivery.md stays true: its alert table lists exactly the delivery alerts the ML stack renders, and the
// settings example it shows is accepted by the schema.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { deliverySettings } from "../../environments/lib/delivery-schema";
import { renderedManifests } from "../helpers/manifests";
import { exampleStack as stack } from "../helpers/delivery-examples";

const doc = readFileSync(join(__dirname, "../../docs/delivery.md"), "utf8");

describe("docs/delivery.md", () => {
  test("the alert table lists exactly the alerts of the PrometheusRule ml-delivery", () => {
    const section = doc.slice(doc.indexOf("## Alerts and dashboard"), doc.indexOf("## Operating"));
    const documented = [...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1]).sort();
    const rendered = renderedManifests(stack("prod-ml"))
      .map(({ manifest }) => manifest as { kind: string; metadata: { name: string }; spec: { groups: Array<{ rules: Array<{ alert?: string }> }> } })
      .filter((m) => m.kind === "PrometheusRule" && m.metadata.name === "ml-delivery")
      .flatMap((m) => m.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)))
      .filter((a): a is string => typeof a === "string");
    expect(rendered.length).toBeGreaterThan(0);
    expect(documented).toEqual([...new Set(rendered)].sort());
  });

  test("the configuration example is a valid delivery section", () => {
    const block = /## Configuration\n\n```ts\ndelivery: (\{[^]*?\n\}),\n```/.exec(doc)![1];
    // TypeScript object syntax without comments is a YAML flow mapping (unquoted keys, trailing commas).
    const example = parse(block.replace(/\/\/.*$/gm, ""));
    const parsed = deliverySettings.safeParse(example);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data!.models.map((m) => m.version)).toEqual([7]);
  });

  test("the dashboard's weight panel says it shows the observed share, since Argo Rollouts exports no weight metric", () => {
    const board = renderedManifests(stack("prod-ml"))
      .map(({ manifest }) => manifest as { kind: string; metadata: { name: string }; data?: Record<string, string> })
      .find((m) => m.kind === "ConfigMap" && m.metadata.name === "ml-platform-dashboard-rollouts")!;
    const panels = Object.values(board.data!).flatMap((text) => JSON.parse(text).panels as Array<{ title: string; description?: string }>);
    const share = panels.find((p) => p.title === "Canary's share of requests (observed weight)")!;
    expect(share.description).toMatch(/^The observed share, not the configured weight: .*Argo Rollouts exports no weight metric/);
    expect(doc).toContain("Argo Rollouts v1.9.0 exports no\n  weight metric");
  });
});
