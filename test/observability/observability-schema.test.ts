import { validateEnvironment } from "../../environments/lib/load";
import devInput from "../../environments/dev";
import { brokenStaging, problemsOf, type LooseInput } from "../helpers/environments";

const STG = 'environment "staging"';
const PRD = 'environment "prod"';

/** Staging's input turned into a production-tier environment with `observability` replaced. */
const productionWith = (observability: LooseInput) =>
  brokenStaging((e) => {
    e.tier = "production";
    e.ml.mlflowDatabase.multiAz = true;
    // Two nodes: production's node repair rule refuses staging's one-node dedicated pool.
    e.teams.tenants[0].dedicatedPool.gpus = 8;
    e.observability = observability;
  });

describe("observability settings", () => {
  test("an environment without the section gets the documented defaults", () => {
    const { observability: _drop, ...withoutSection } = devInput as LooseInput;
    expect(validateEnvironment("dev", withoutSection).observability).toEqual({
      prometheus: { retention: "15d", volumeSizeGiB: 50, replicas: 1, memoryGiB: 4, scrapeInterval: "30s" },
      alertmanager: { replicas: 1, receivers: [] },
      ampRemoteWrite: { enabled: false },
      opencost: { enabled: false },
      slo: { tritonAvailabilityPercent: 99.9, tritonP99LatencyMs: 500 },
      alerts: {
        gpuIdle: { utilizationPercent: 5, forMinutes: 60 },
        gpuMemoryNearFull: { usedPercent: 95, forMinutes: 15 },
        tritonLatency: { forMinutes: 10 },
        tritonQueue: { queueMilliseconds: 100, forMinutes: 15 },
        karpenterLaunchFailure: { forMinutes: 15 },
        nodePoolNearLimit: { usedPercent: 90, forMinutes: 10 },
        gpuPodPending: { forMinutes: 15 },
        nodeNotReady: { forMinutes: 10 },
      },
    });
  });

  test("a receiver gets critical and warning alerts unless it names its severities", () => {
    const env = validateEnvironment("staging", brokenStaging((e) => (e.observability.alertmanager.receivers = [{ type: "webhook", name: "hook" }])));
    expect(env.observability.alertmanager.receivers).toEqual([{ type: "webhook", name: "hook", severities: ["critical", "warning"] }]);
  });

  test("fails a retention that is not a whole Prometheus duration", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.observability.prometheus.retention = "2 weeks")))).toEqual([
      `${STG}: observability.prometheus.retention: got "2 weeks"; must be a Prometheus duration of whole hours, days, weeks or years like 15d`,
    ]);
  });

  test("fails a threshold outside its range and a duration of zero minutes", () => {
    expect(
      problemsOf(
        "staging",
        brokenStaging((e) => {
          e.observability.alerts = { gpuIdle: { utilizationPercent: 120 }, gpuPodPending: { forMinutes: 0 } };
        }),
      ),
    ).toEqual([
      `${STG}: observability.alerts.gpuIdle.utilizationPercent: got 120; Too big: expected number to be <=100`,
      `${STG}: observability.alerts.gpuPodPending.forMinutes: got 0; Too small: expected number to be >=1`,
    ]);
  });

  test("fails an unknown field in the section, naming where to look", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.observability.alerts = { gpuIdel: { forMinutes: 5 } })))).toEqual([
      `${STG}: observability.alerts.gpuIdel: unknown field (got {"forMinutes":5}); check its spelling against environments/lib/schema.ts`,
    ]);
  });

  test("fails a Slack receiver without a channel and a receiver of an unknown type", () => {
    expect(
      problemsOf(
        "staging",
        brokenStaging((e) => {
          e.observability.alertmanager.receivers = [{ type: "slack", name: "team" }, { type: "email", name: "mail" }];
        }),
      ),
    ).toEqual([
      `${STG}: observability.alertmanager.receivers[0].channel: got nothing; Invalid input: expected string, received undefined`,
      `${STG}: observability.alertmanager.receivers[1].type: got "email"; Invalid discriminator value. Expected 'slack' | 'pagerduty' | 'webhook'`,
    ]);
  });

  test('fails duplicate receiver names and the reserved name "null"', () => {
    expect(
      problemsOf(
        "staging",
        brokenStaging((e) => {
          e.observability.alertmanager.receivers = [
            { type: "webhook", name: "hook" },
            { type: "pagerduty", name: "hook" },
            { type: "webhook", name: "null" },
          ];
        }),
      ),
    ).toEqual([
      `${STG}: observability.alertmanager.receivers[2].name: got "null"; must not be "null": that receiver drops alerts and is always present`,
      `${STG}: observability.alertmanager.receivers[1].name: got "hook"; must be unique among the receivers`,
    ]);
  });

  test("fails a production environment that pages nobody for critical alerts", () => {
    expect(problemsOf("prod", productionWith({ alertmanager: { receivers: [{ type: "slack", name: "chat", channel: "#alerts", severities: ["warning"] }] } }))).toEqual([
      `${PRD}: observability.alertmanager.receivers: got ["chat"]; must include a receiver for severity critical in production tier (someone must be paged)`,
    ]);
  });

  test("fails a Team tag that AWS accepts but a Kubernetes label value cannot carry", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.tags.Team = "ML Platform")))).toEqual([
      `${STG}: tags.Team: got "ML Platform"; must also be a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 . _ -, alphanumeric at both ends): namespaces carry it as a cost-allocation label`,
    ]);
  });
});
