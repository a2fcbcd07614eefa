import { Release } from "@cdktf/provider-helm/lib/release";
import { AssetType, ITerraformDependable, Lazy, TerraformAsset, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import * as path from "node:path";
import type { ReleaseFootprint } from "./footprint";
import { helmValuesDocument } from "./helm-chart";

/** A Kubernetes object as rendered by the in-repo `manifests` chart. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly finalizers?: readonly string[];
  };
  readonly [key: string]: unknown;
}

export interface ManifestsReleaseProps {
  readonly releaseName: string;
  /** Namespace of the Helm release secret (objects carry their own namespaces). */
  readonly namespace: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Wait for the rendered workloads to become ready. Turn off for objects whose readiness depends on capacity that
   * takes longer than the release timeout to appear (GPU nodes).
   * @default true
   */
  readonly wait?: boolean;
  /** Also wait until every Job of the release has completed (Helm's wait_for_jobs). @default false */
  readonly waitForJobs?: boolean;
  /**
   * What a controller creates from these objects after the release (Argo CD syncing an Application): the deploy walk
   * checks it like an upstream chart's footprint. @default - nothing beyond the objects themselves
   */
  readonly indirect?: ReleaseFootprint;
}

/** Where the in-repo chart lives, relative to this file in both src and dist layouts. */
const CHART_DIR = path.resolve(__dirname, "../../charts/manifests");

/** One copy of the chart per stack: every release of the stack installs the same chart with its own values. */
const stackCharts = new WeakMap<TerraformStack, TerraformAsset>();
function stackChart(scope: Construct): TerraformAsset {
  const stack = TerraformStack.of(scope);
  let chart = stackCharts.get(stack);
  if (!chart) {
    chart = new TerraformAsset(stack, "manifests-chart", { path: CHART_DIR, type: AssetType.DIRECTORY });
    stackCharts.set(stack, chart);
  }
  return chart;
}

/**
 * Custom resources (NodePools, ServiceMonitors, ...) rendered through the in-repo `charts/manifests` chart,
 * shipped with the stack as a cdktf asset. Unlike `kubernetes_manifest`, a Helm release needs no API server
 * at plan time, so plans work before the cluster or the CRDs exist. Objects are listed in the plan as values.
 */
export class ManifestsRelease extends Construct {
  readonly release: Release;
  readonly indirect?: ReleaseFootprint;
  private readonly objects: KubernetesObject[] = [];

  constructor(scope: Construct, id: string, props: ManifestsReleaseProps) {
    super(scope, id);
    this.indirect = props.indirect;
    const chart = stackChart(this);
    this.release = new Release(this, "release", {
      name: props.releaseName,
      namespace: props.namespace,
      createNamespace: true,
      chart: chart.path,
      values: [Lazy.stringValue({ produce: () => helmValuesDocument({ manifests: this.objects }) })],
      timeout: 600,
      cleanupOnFail: true,
      maxHistory: 10,
      ...(props.wait === false ? { wait: false } : {}),
      ...(props.waitForJobs ? { waitForJobs: true } : {}),
      dependsOn: props.dependsOn,
    });
  }

  /** Adds an object; names must be unique per kind and namespace. Returns the object for chaining in tests. */
  add<T extends KubernetesObject>(obj: T): T {
    const key = (o: KubernetesObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    if (this.objects.some((o) => key(o) === key(obj))) throw new Error(`duplicate manifest ${key(obj)} in release ${this.node.id}`);
    this.objects.push(obj);
    return obj;
  }

  /** The objects rendered so far. */
  manifests(): readonly KubernetesObject[] {
    return this.objects;
  }
}
