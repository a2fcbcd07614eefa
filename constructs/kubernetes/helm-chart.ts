import { Release } from "@cdktf/provider-helm/lib/release";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ReleaseFootprint } from "./footprint";

/** A chart pinned to one version in one repository (HTTPS index or `oci://`). */
export interface ChartRef {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

export interface HelmChartProps {
  readonly chart: ChartRef;
  /** Release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /** @default true */
  readonly createNamespace?: boolean;
  /** Chart values; rendered as one JSON document in the plan (see helmValuesDocument). */
  readonly values: Record<string, unknown>;
  /** @default 600 */
  readonly timeoutSeconds?: number;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
  /** Wait for resources to be ready (Deployments available, Jobs complete). @default true */
  readonly wait?: boolean;
  /**
   * What the release installs and runs, declared next to its values because an upstream chart cannot be rendered
   * offline; the deploy walk checks it (prerequisites before each pod, capacity, placement).
   */
  readonly footprint: ReleaseFootprint;
}

/**
 * The `values` document of a helm_release: pretty-printed JSON. The Terraform Helm provider and Helm read values
 * with sigs.k8s.io/yaml, which follows go-yaml v2's YAML 1.1 rules: unquoted `on`, `yes`, `y`, `No` or `1_000`
 * are booleans and numbers there, and a YAML 1.2 writer leaves those strings unquoted, so they would reach the
 * chart changed. JSON quotes every string, is YAML in both versions, and still reads one value per line in a plan.
 */
export function helmValuesDocument(values: Record<string, unknown>): string {
  return JSON.stringify(values, null, 2);
}

/**
 * One Helm release of a pinned upstream chart. Values are kept as an object (`values`) so tests can check
 * every key against the chart's values.yaml, and rendered deterministically (helmValuesDocument) for the plan.
 */
export class HelmChart extends Construct {
  readonly release: Release;
  readonly chartRef: ChartRef;
  readonly values: Record<string, unknown>;
  readonly namespace: string;
  readonly footprint: ReleaseFootprint;

  constructor(scope: Construct, id: string, props: HelmChartProps) {
    super(scope, id);
    if (!/^\d+\.\d+\.\d+$|^v\d+\.\d+\.\d+$/.test(props.chart.version)) {
      throw new Error(`chart ${props.chart.chart}: version must be an exact pin like 1.2.3, got "${props.chart.version}"`);
    }
    this.chartRef = props.chart;
    this.values = props.values;
    this.namespace = props.namespace;
    this.footprint = props.footprint;
    this.release = new Release(this, "release", {
      name: props.releaseName,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? true,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.chart.version,
      values: [helmValuesDocument(props.values)],
      timeout: props.timeoutSeconds ?? 600,
      atomic: false,
      cleanupOnFail: true,
      wait: props.wait ?? true,
      maxHistory: 10,
      dependsOn: props.dependsOn,
    });
  }
}
