// The promtool unit tests `npm run verify` runs (alerts.verify.ts) cover every alert each environment renders with a
// firing and a quiet case, and render annotations the way Prometheus does. promtool itself is not needed here.
import { exampleEnvironment } from "../helpers/delivery-examples";
import { EXAMPLE_ENV_PREFIX } from "../helpers/rendered-queries";
import { projectEnvironment } from "../helpers/synth";
import { environmentAlertCases, goPrecision4, humanize, humanizePercentage, promtoolTestFile, renderAnnotation } from "../helpers/promtool-tests";

// The shipped environments serve no model; their examples (docs/delivery.md) add the per-model alerts.
const ENVS = ["dev", "staging", "prod", ...["dev", "staging", "prod"].map((e) => `${EXAMPLE_ENV_PREFIX}${e}`)];

describe.each(ENVS)("%s: alert cases", (env) => {
  const { groups, cases } = environmentAlertCases(env);
  const alerts = groups.flatMap((g) => g.rules).flatMap((r) => (r.alert ? [r.alert] : []));

  test("every rendered alert has a case where it fires and one where it stays quiet, and no case names another", () => {
    const missing = alerts.flatMap((a) => [
      ...(cases.some((c) => c.alert === a && c.fires.length) ? [] : [`${a}: no firing case`]),
      ...(cases.some((c) => c.alert === a && !c.fires.length) ? [] : [`${a}: no quiet case`]),
    ]);
    expect(missing).toEqual([]);
    expect(cases.filter((c) => !alerts.includes(c.alert))).toEqual([]);
    // 15 platform alerts, 7 of node health, repair and capacity (constructs/resilience/alert-rules.ts), 3 queue alerts,
    // 6 delivery alerts and one drift-monitor staleness alert per served model, and the 5 LLM alerts where the
    // environment serves LLMs (every shipped one does).
    const e = env.startsWith(EXAMPLE_ENV_PREFIX) ? exampleEnvironment(env.slice(EXAMPLE_ENV_PREFIX.length)) : projectEnvironment(env);
    expect(alerts.length).toBe(31 + e.delivery.models.length + (e.ml.llm.models.length ? 5 : 0));
  });

  test("every case is written with the rendered rule's labels and annotations", () => {
    const file = promtoolTestFile("rules.yaml", groups, cases);
    // The recording groups run before the alert groups that read them (the ML stack's delivery and LLM groups come first:
    // its stack renders first; the LLM recording group before the LLM alerts).
    expect(file).toMatch(/group_eval_order:\n(  - ml-platform\.(delivery|llm\.recording|llm)\n)*  - ml-platform\.capacity\.recording\n  - ml-platform\.triton\.recording\n/);
    expect(file.indexOf("  - ml-platform.llm.recording\n")).toBeLessThan(file.indexOf("  - ml-platform.llm\n"));
    expect(file.match(/- name: /g)).toHaveLength(cases.length);
  });
});

describe("Prometheus's template functions", () => {
  test.each([
    [546.25, "546.2"],
    [1.0015, "1.002"],
    [97.5, "97.5"],
    [12345, "1.234e+04"],
    [9999.5, "1e+04"],
    [0.00012345, "0.0001234"],
    [0.000001, "1e-06"],
    [-2.5, "-2.5"],
  ])("%.4g of %d is Go's %s (ties to even on the exact value)", (v, out) => {
    expect(goPrecision4(v)).toBe(out);
  });

  test("humanize and humanizePercentage", () => {
    expect([humanize(600000), humanize(546250), humanize(0.0025), humanize(0)]).toEqual(["600k", "546.2k", "2.5m", "0"]);
    expect(humanizePercentage(0.0158400000001)).toBe("1.584%");
  });

  test("renders labels and values, and fails on what it cannot render", () => {
    expect(renderAnnotation("{{ $labels.node }} at {{ $value }} ({{ $value | humanize }})", { node: "n1" }, 2500)).toBe("n1 at 2500 (2.5k)");
    expect(() => renderAnnotation("{{ $labels.pod }}", { node: "n1" }, 1)).toThrow("the case's sample has no label pod");
    expect(() => renderAnnotation("{{ $value | printf \"%.2f\" }}", {}, 1)).toThrow("not rendered by promtool-tests.ts");
    expect(() => renderAnnotation("{{ $value }}", {}, undefined)).toThrow("the case gives no value");
  });
});
