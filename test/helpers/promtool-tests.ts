/**
 * Writes `promtool test rules` files from alert cases (alert-scenarios.ts) and the rules an environment renders, and
 * runs promtool. promtool compares labels and annotations exactly, so the expected annotations are rendered here the
 * way Prometheus renders the platform's templates: `{{ $labels.<name> }}`, `{{ $value }}` and `{{ $value | humanize }}`
 * / `{{ $value | humanizePercentage }}` (template/template.go at v3.5.3); any other template construct is an error.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { exampleEnvironment } from "./delivery-examples";
import { alertCases, type AlertCase, type InputSeries, type ScenarioSettings } from "./alert-scenarios";
import { llmAlertCases } from "./llm-alert-scenarios";
import { EXAMPLE_ENV_PREFIX, renderedRuleGroups, type RenderedRule, type RenderedRuleGroup } from "./rendered-queries";
import { projectEnvironment } from "./synth";
import { tool } from "./tools";

/** The exact decimal digits of a finite positive double and the power of ten of the first one. */
function exactDigits(v: number): { digits: string; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & ((1n << 52n) - 1n)) | (biased ? 1n << 52n : 0n);
  const exp2 = (biased || 1) - 1075;
  // v = mantissa * 2^exp2 = mantissa * 5^-exp2 / 10^-exp2 when exp2 < 0.
  const scaled = exp2 >= 0 ? (mantissa << BigInt(exp2)).toString() : (mantissa * 5n ** BigInt(-exp2)).toString();
  const point = exp2 >= 0 ? scaled.length : scaled.length + exp2;
  const digits = scaled.replace(/^0+/, "");
  return { digits: digits.replace(/0+$/, ""), exp: point - (scaled.length - digits.length) - 1 };
}

/**
 * Go's `%.4g` of a float64: 4 significant digits rounded half to even on the exact decimal value (strconv), trailing
 * zeros dropped, exponent form when the exponent is under -4 or at least 4. JavaScript's toPrecision rounds ties up.
 */
export function goPrecision4(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return "0";
  const { digits, exp: e } = exactDigits(Math.abs(v));
  let kept = BigInt(digits.slice(0, 4).padEnd(4, "0"));
  const rest = digits.slice(4);
  if (rest > "5" || (rest === "5" && kept % 2n === 1n)) kept += 1n;
  let exp = e;
  let mantissa = kept.toString();
  if (mantissa.length > 4) {
    mantissa = mantissa.slice(0, 4);
    exp += 1;
  }
  const sign = v < 0 ? "-" : "";
  const trim = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= 4) return `${sign}${trim(`${mantissa[0]}.${mantissa.slice(1)}`)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  const fixed = exp >= 0 ? `${mantissa.slice(0, exp + 1)}.${mantissa.slice(exp + 1)}` : `0.${"0".repeat(-exp - 1)}${mantissa}`;
  return sign + trim(fixed);
}

/** Go's `%v` of a float64 as text/template prints `{{ $value }}` (shortest repr; exponent form below 1e-4 or from 1e21). */
export function goValue(v: number): string {
  if (v !== 0 && (Math.abs(v) < 1e-4 || Math.abs(v) >= 1e21)) throw new Error(`no Go %v rendering for ${v} here`);
  return String(v);
}

/** Prometheus's `humanize`: SI prefixes, 4 significant digits. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goPrecision4(v);
  let prefix = "";
  if (Math.abs(v) >= 1) {
    for (const p of ["k", "M", "G", "T", "P", "E", "Z", "Y"]) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${goPrecision4(v)}${prefix}`;
}

/** Prometheus's `humanizePercentage`: a ratio as a percentage, 4 significant digits. */
export const humanizePercentage = (v: number): string => `${goPrecision4(v * 100)}%`;

/** Renders an alert annotation for a sample's labels and value. */
export function renderAnnotation(template: string, labels: Readonly<Record<string, string>>, value: number | undefined): string {
  return template.replace(/\{\{(.*?)\}\}/g, (all, body: string) => {
    const action = body.trim();
    const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(action);
    if (label) {
      if (!(label[1] in labels)) throw new Error(`template ${all}: the case's sample has no label ${label[1]}`);
      return labels[label[1]];
    }
    const piped = /^\$value(?:\s*\|\s*(humanize|humanizePercentage))?$/.exec(action);
    if (!piped) throw new Error(`template ${all}: not rendered by promtool-tests.ts`);
    if (value === undefined) throw new Error(`template ${all}: the case gives no value`);
    return piped[1] === "humanize" ? humanize(value) : piped[1] === "humanizePercentage" ? humanizePercentage(value) : goValue(value);
  });
}

const seriesText = (s: InputSeries) => `${s.metric}{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;

/** The alerting rule named `alert` among rendered groups (fails when absent). */
export function renderedAlert(groups: readonly RenderedRuleGroup[], alert: string): RenderedRule {
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!rule) throw new Error(`no rendered alert ${alert}`);
  return rule;
}

/**
 * A promtool unit-test file: one test group per case, expectations from the case and the rendered rule. promtool
 * evaluates rule groups in Go map order unless `group_eval_order` says otherwise (cmd/promtool/unittest.go
 * orderedGroups), so the file fixes the rendered order: an alert reads what the recording groups before it recorded in
 * the same evaluation, and a value in an annotation is deterministic.
 */
export function promtoolTestFile(ruleFile: string, groups: readonly RenderedRuleGroup[], cases: readonly AlertCase[]): string {
  const tests = cases.map((c) => {
    const rule = renderedAlert(groups, c.alert);
    return {
      name: `${c.alert}: ${c.title}`,
      interval: "1m",
      input_series: c.series.map((s) => ({ series: seriesText(s), values: s.values })),
      alert_rule_test: [
        {
          eval_time: `${c.atMinutes}m`,
          alertname: c.alert,
          exp_alerts: c.fires.map((f) => ({
            exp_labels: { ...f.labels, ...rule.labels },
            exp_annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, t]) => [k, renderAnnotation(t, f.labels, f.value)])),
          })),
        },
      ],
    };
  });
  return stringify({ rule_files: [ruleFile], evaluation_interval: "1m", group_eval_order: groups.map((g) => g.name), tests }, { lineWidth: 0 });
}

/**
 * Runs the installed promtool (scripts/tools/promtool.sh) in a fresh temp dir holding `files` (name to content),
 * removed afterwards.
 */
export function promtool(args: readonly string[], files: Readonly<Record<string, string>>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "mlp-promtool-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const run = spawnSync(tool("promtool"), args, { cwd: dir, encoding: "utf8", timeout: 240_000 });
    if (run.error) throw run.error;
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Prometheus rule file holding rule groups. */
export const ruleFile = (groups: readonly RenderedRuleGroup[]): string => stringify({ groups }, { lineWidth: 0 });

/**
 * An environment's rendered rule groups and the alert cases built from its settings; `settings` replaces parts of
 * them (a failing case: expectations for thresholds the rules do not use).
 */
export function environmentAlertCases(env: string, settings: Partial<ScenarioSettings> = {}): { groups: RenderedRuleGroup[]; cases: AlertCase[] } {
  const groups = renderedRuleGroups(env);
  const fixedForMinutes = Object.fromEntries(
    groups
      .flatMap((g) => g.rules)
      .flatMap((r) => {
        const m = /^([1-9][0-9]*)m$/.exec(r.for ?? "");
        return r.alert && m ? [[r.alert, Number(m[1])]] : [];
      }),
  );
  // `example:<env>`: the environment with docs/delivery.md's models (their per-model alerts).
  const e = env.startsWith(EXAMPLE_ENV_PREFIX) ? exampleEnvironment(env.slice(EXAMPLE_ENV_PREFIX.length)) : projectEnvironment(env);
  const { alerts, slo } = e.observability;
  const llm = e.ml.llm.models.length ? llmAlertCases(e.ml.llm.alerts) : [];
  return { groups, cases: [...alertCases({ alerts, slo, fixedForMinutes, delivery: e.delivery, ...settings }), ...llm] };
}
