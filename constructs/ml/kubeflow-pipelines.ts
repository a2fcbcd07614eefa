import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import type { MlDataStores } from "../data/ml-data-stores";
import { PodIdentityRole, type PodIdentityCluster } from "../iam/pod-identity-role";
import { HelmChart } from "../kubernetes/helm-chart";
import type { PodFootprint, ReleaseFootprint } from "../kubernetes/footprint";
import { ManifestsRelease, type KubernetesObject } from "../kubernetes/manifests-release";
import { podMonitor } from "../kubernetes/prometheus-monitors";
import { systemTolerations } from "./gpu-scheduling";

/**
 * Argo CD chart 10.1.1 (Argo CD v3.4.4), the newest release in the research mirror (argoproj/argo-helm tag
 * argo-cd-10.1.1). Used only to apply Kubeflow Pipelines' official kustomize manifests.
 * @see https://argoproj.github.io/argo-helm
 */
export const ARGO_CD_CHART = { repository: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" } as const;

/** Kubeflow Pipelines release applied from github.com/kubeflow/pipelines at this tag. */
export const KFP_VERSION = "2.17.0";
export const KFP_REPO = "https://github.com/kubeflow/pipelines.git";
/** The two kustomize entry points of the official install, in order. */
export const KFP_PATHS = { clusterScoped: "manifests/kustomize/cluster-scoped-resources", platform: "manifests/kustomize/env/platform-agnostic" } as const;
/** KFP v2 pipeline root prefix inside the pipelines bucket. */
export const PIPELINE_ROOT_PREFIX = "v2/artifacts";
/** Argo Workflows key format for archived logs, as upstream (the UI derives the owning namespace from it). */
const ARGO_KEY_FORMAT = "private-artifacts/{{workflow.namespace}}/{{workflow.name}}/{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}";

/** Sync retries: the platform app waits for the CRDs of the cluster-scoped app (upstream's "apply twice"). */
const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ["ServerSideApply=true", "CreateNamespace=false"],
  retry: { limit: 10, backoff: { duration: "15s", factor: 2, maxDuration: "5m" } },
};

/** Kinds the cluster-scoped part of KFP creates (its kustomizations and the Argo Workflows remote bases). */
const CLUSTER_RESOURCES = [
  { group: "", kind: "Namespace" },
  { group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
  { group: "scheduling.k8s.io", kind: "PriorityClass" },
  { group: "admissionregistration.k8s.io", kind: "MutatingWebhookConfiguration" },
  { group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration" },
];

export interface KubeflowPipelinesProps {
  readonly cluster: PodIdentityCluster;
  readonly dataStores: MlDataStores;
  readonly region: string;
  /** Role names: prefix for `<prefix>-kfp-{runner,api-server,ui}`. */
  readonly rolePrefix: string;
  /** @default "argocd" */
  readonly argoCdNamespace?: string;
  /**
   * The LocalQueue (in this namespace) every pipeline pod is labelled for, through Argo Workflows' default workflow
   * spec: KFP has no Kueue integration, so its pods are queued as plain pods. @default - not queued
   */
  readonly queueName?: string;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** A kustomize patch Argo CD adds to the upstream kustomization (target selector plus patch document). */
export interface KustomizePatch {
  readonly target: { readonly kind: string; readonly name: string; readonly group?: string; readonly version?: string };
  readonly patch: string;
}

/**
 * Kubeflow Pipelines 2.17.0, installed declaratively from the official kustomize manifests at the pinned tag by
 * Argo CD (two Applications: cluster-scoped resources, then `env/platform-agnostic`, with sync retries for CRD
 * ordering). No upstream manifest is copied: the platform's changes are kustomize patches in the Application spec,
 * visible in the plan. They replace the in-cluster SeaweedFS object store with the S3 pipelines bucket (accessed
 * through Pod Identity by the API server, UI and pipeline pods; the SDK default credential chain is used when the
 * artifact secret is empty), and give the in-cluster MySQL a root password generated in the cluster by External
 * Secrets instead of upstream's empty one.
 */
export class KubeflowPipelines extends Construct {
  readonly argoCd: HelmChart;
  readonly extras: ManifestsRelease;
  readonly apps: ManifestsRelease;
  readonly runnerRole: PodIdentityRole;
  readonly apiServerRole: PodIdentityRole;
  readonly uiRole: PodIdentityRole;
  readonly namespace = "kubeflow";
  readonly pipelineRoot: string;
  readonly uiUrl: string;
  readonly apiUrl: string;
  /** The patches applied to `env/platform-agnostic` (exposed for tests and review). */
  readonly patches: readonly KustomizePatch[];

  constructor(scope: Construct, id: string, props: KubeflowPipelinesProps) {
    super(scope, id);
    const ns = this.namespace;
    const argoNs = props.argoCdNamespace ?? "argocd";
    const bucket = props.dataStores.bucketNames.pipelines;
    const s3Host = `s3.${props.region}.amazonaws.com`;
    this.pipelineRoot = `s3://${bucket}/${PIPELINE_ROOT_PREFIX}`;
    this.uiUrl = `http://ml-pipeline-ui.${ns}.svc.cluster.local`;
    this.apiUrl = `http://ml-pipeline.${ns}.svc.cluster.local:8888`;

    const role = (key: string, serviceAccount: string, suffix: string, description: string) =>
      new PodIdentityRole(this, key, { cluster: props.cluster, namespace: ns, serviceAccount, roleName: `${props.rolePrefix}-kfp-${suffix}`, description });
    this.runnerRole = role("runner-role", "pipeline-runner", "runner", "Kubeflow Pipelines runs: pipeline artifacts and publishing to the Triton model repository");
    props.dataStores.grantPipelineArtifactsReadWrite(this.runnerRole);
    props.dataStores.grantModelRepositoryReadWrite(this.runnerRole);
    this.apiServerRole = role("api-server-role", "ml-pipeline", "api-server", "Kubeflow Pipelines API server: pipeline artifacts bucket");
    props.dataStores.grantPipelineArtifactsReadWrite(this.apiServerRole);
    this.uiRole = role("ui-role", "ml-pipeline-ui", "ui", "Kubeflow Pipelines UI: read pipeline artifacts and archived logs");
    props.dataStores.grantPipelineArtifactsRead(this.uiRole);

    // Requests of each Argo CD component (the chart sets none): it manages two Applications.
    const argoComponents = {
      controller: { name: "argocd-application-controller", kind: "StatefulSet", requests: { cpu: "250m", memory: "512Mi" } },
      server: { name: "argocd-server", kind: "Deployment", requests: { cpu: "50m", memory: "128Mi" } },
      repoServer: { name: "argocd-repo-server", kind: "Deployment", requests: { cpu: "100m", memory: "256Mi" } },
      redis: { name: "argocd-redis", kind: "Deployment", requests: { cpu: "50m", memory: "64Mi" } },
      applicationSet: { name: "argocd-applicationset-controller", kind: "Deployment", requests: { cpu: "50m", memory: "64Mi" } },
    } as const;
    this.argoCd = new HelmChart(this, "argo-cd", {
      chart: ARGO_CD_CHART,
      releaseName: "argo-cd",
      namespace: argoNs,
      values: {
        crds: { install: true, keep: true },
        global: { tolerations: systemTolerations() },
        // No local admin (no generated password anywhere); operators use kubectl or `argocd --core`.
        configs: { cm: { "admin.enabled": false, "exec.enabled": false } },
        dex: { enabled: false },
        notifications: { enabled: false },
        ...Object.fromEntries(Object.entries(argoComponents).map(([key, c]) => [key, { resources: { requests: { ...c.requests }, limits: { memory: c.requests.memory } } }])),
      },
      footprint: {
        crds: ["argoproj.io/Application", "argoproj.io/ApplicationSet", "argoproj.io/AppProject"],
        pods: Object.values(argoComponents).map((c) => ({ name: c.name, kind: c.kind, requests: { ...c.requests }, tolerations: systemTolerations() })),
      },
      dependsOn: props.dependsOn,
    });

    // The namespace, MySQL credentials and monitors exist before Argo CD syncs the workloads that use them.
    this.extras = new ManifestsRelease(this, "extras", { releaseName: "kfp-extras", namespace: ns, dependsOn: [this.argoCd.release] });
    this.extras.add({
      apiVersion: "generators.external-secrets.io/v1alpha1",
      kind: "Password",
      metadata: { name: "kfp-mysql-root", namespace: ns },
      // Alphanumeric only: the password is passed on MLMD's command line.
      spec: { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true },
    });
    this.extras.add({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "mysql-secret", namespace: ns },
      spec: {
        // Generated once: MySQL keeps the root password of its first start in its data volume.
        refreshPolicy: "CreatedOnce",
        target: { name: "mysql-secret", creationPolicy: "Owner", deletionPolicy: "Retain", template: { engineVersion: "v2", mergePolicy: "Merge", data: { username: "root" } } },
        dataFrom: [{ sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "kfp-mysql-root" } } }],
      },
    });
    this.extras.add(podMonitor({ name: "ml-pipeline", namespace: ns, matchLabels: { app: "ml-pipeline" }, endpoints: [{ port: "http", path: "/metrics" }] }));
    this.extras.add(
      podMonitor({ name: "workflow-controller", namespace: ns, matchLabels: { app: "workflow-controller" }, endpoints: [{ port: "metrics", path: "/metrics", scheme: "https", insecureSkipVerify: true }] }),
    );

    this.patches = kfpPatches({ bucket, region: props.region, s3Host, pipelineRoot: this.pipelineRoot, queueName: props.queueName });
    this.apps = new ManifestsRelease(this, "apps", {
      releaseName: "kubeflow-pipelines",
      namespace: argoNs,
      dependsOn: [this.extras.release, ...this.roleDependables()],
      indirect: kfpFootprint(ns),
    });
    const project: KubernetesObject = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: "kubeflow-pipelines", namespace: argoNs },
      spec: {
        description: `Kubeflow Pipelines ${KFP_VERSION} from the official kustomize manifests`,
        sourceRepos: [KFP_REPO],
        destinations: [{ server: "https://kubernetes.default.svc", namespace: ns }],
        clusterResourceWhitelist: CLUSTER_RESOURCES.map((r) => ({ ...r })),
      },
    };
    this.apps.add(project);
    this.apps.add(kfpApplication("kubeflow-pipelines-cluster-scoped", argoNs, ns, KFP_PATHS.clusterScoped));
    this.apps.add(kfpApplication("kubeflow-pipelines", argoNs, ns, KFP_PATHS.platform, this.patches));
  }

  private roleDependables(): ITerraformDependable[] {
    return [this.runnerRole, this.apiServerRole, this.uiRole].flatMap((r) => [...r.dependables(), r.association]);
  }
}

/**
 * What Argo CD runs from `env/platform-agnostic` at 2.17.0 with the platform's patches (SeaweedFS removed): 13
 * Deployments, one replica each, no tolerations (so on the general pool), requests as upstream sets them (none on
 * seven of them), and MySQL's 20 GiB claim without a class (so on the default class).
 * Source: kubeflow/pipelines 2.17.0 manifests/kustomize/env/platform-agnostic rendered with kustomize.
 */
export function kfpFootprint(namespace: string): ReleaseFootprint {
  const pod = (name: string, cpu: string, memory: string, extra: Partial<PodFootprint> = {}): PodFootprint => ({ name, kind: "Deployment", namespace, requests: { cpu, memory }, ...extra });
  return {
    crds: ["argoproj.io/Workflow", "argoproj.io/WorkflowTemplate", "argoproj.io/CronWorkflow", "kubeflow.org/ScheduledWorkflow", "kubeflow.org/Viewer"],
    serviceAccounts: ["ml-pipeline", "ml-pipeline-ui", "pipeline-runner"],
    pods: [
      pod("ml-pipeline", "250m", "500Mi", { serviceAccount: "ml-pipeline", secrets: ["mysql-secret"] }),
      pod("ml-pipeline-persistenceagent", "120m", "500Mi"),
      pod("ml-pipeline-ui", "10m", "70Mi", { serviceAccount: "ml-pipeline-ui" }),
      pod("ml-pipeline-visualizationserver", "30m", "500Mi"),
      pod("mysql", "100m", "800Mi", { secrets: ["mysql-secret"], volumeClaims: [{ size: "20Gi" }] }),
      pod("workflow-controller", "100m", "500Mi"),
      ...["cache-deployer-deployment", "cache-server", "metadata-envoy-deployment", "metadata-grpc-deployment", "metadata-writer", "ml-pipeline-scheduledworkflow", "ml-pipeline-viewer-crd"].map((n) =>
        pod(n, "0", "0"),
      ),
    ],
    source: "kubeflow/pipelines 2.17.0 manifests/kustomize/env/platform-agnostic (kustomize build), requests as upstream sets them",
  };
}

function kfpApplication(name: string, argoNs: string, ns: string, path: string, patches?: readonly KustomizePatch[]): KubernetesObject {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name,
      namespace: argoNs,
      // Deleting the Application prunes what it created.
      finalizers: ["resources-finalizer.argocd.argoproj.io"],
    },
    spec: {
      project: "kubeflow-pipelines",
      source: {
        repoURL: KFP_REPO,
        targetRevision: KFP_VERSION,
        path,
        ...(patches ? { kustomize: { patches: patches.map((p) => ({ target: { ...p.target }, patch: p.patch })) } } : {}),
      },
      destination: { server: "https://kubernetes.default.svc", namespace: ns },
      syncPolicy: structuredClone(SYNC_POLICY),
    },
  };
}

const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });

/**
 * The platform's changes to `env/platform-agnostic`, as kustomize patches. Patches run before that kustomization's
 * `replacements`, which afterwards copy the namespace and `pipeline-install-config.bucketName` into Argo's artifact
 * repository text by position ('.'-field 1 and '"'-field 3); the text below keeps those positions meaning
 * "namespace" and "bucket", so the replacements rewrite them to the same values.
 */
export function kfpPatches(p: { bucket: string; region: string; s3Host: string; pipelineRoot: string; queueName?: string }): KustomizePatch[] {
  const del = (kind: string, name: string, version = "v1", group?: string): KustomizePatch => ({
    target: { kind, name, version, ...(group ? { group } : {}) },
    patch: yaml({ $patch: "delete", apiVersion: group ? `${group}/${version}` : version, kind, metadata: { name } }),
  });
  const artifactRepository = [
    "# S3 through the SDK credential chain (Pod Identity) for namespace .kubeflow.",
    "archiveLogs: true",
    "s3:",
    `  endpoint: "${p.s3Host}"`,
    `  bucket: "${p.bucket}"`,
    `  region: ${p.region}`,
    "  insecure: false",
    "  useSDKCreds: true",
    `  keyFormat: ${ARGO_KEY_FORMAT}`,
    "",
  ].join("\n");
  const providers = yaml({ s3: { default: { endpoint: p.s3Host, region: p.region, disableSSL: false, forcePathStyle: false, credentials: { fromEnv: true } } } });
  return [
    // SeaweedFS (the in-cluster object store) is replaced by the S3 bucket.
    del("Deployment", "seaweedfs", "v1", "apps"),
    del("Service", "seaweedfs"),
    del("PersistentVolumeClaim", "seaweedfs-pvc"),
    del("ServiceAccount", "seaweedfs"),
    del("NetworkPolicy", "seaweedfs", "v1", "networking.k8s.io"),
    // Empty keys make the API server and UI fall back to the AWS default credential chain (Pod Identity).
    {
      target: { kind: "Secret", name: "mlpipeline-minio-artifact", version: "v1" },
      patch: yaml({ apiVersion: "v1", kind: "Secret", metadata: { name: "mlpipeline-minio-artifact" }, stringData: { accesskey: "", secretkey: "" } }),
    },
    // mysql-secret comes from External Secrets (generated root password), not from the manifests.
    del("Secret", "mysql-secret"),
    {
      target: { kind: "Deployment", name: "mysql", group: "apps", version: "v1" },
      patch: yaml({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "mysql" },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: "mysql",
                  env: [
                    { name: "MYSQL_ALLOW_EMPTY_PASSWORD", $patch: "delete" },
                    { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-secret", key: "password" } } },
                  ],
                },
              ],
            },
          },
        },
      }),
    },
    {
      target: { kind: "ConfigMap", name: "pipeline-install-config", version: "v1" },
      patch: yaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "pipeline-install-config" }, data: { bucketName: p.bucket, defaultPipelineRoot: p.pipelineRoot } }),
    },
    {
      target: { kind: "ConfigMap", name: "kfp-launcher", version: "v1" },
      patch: yaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kfp-launcher" }, data: { defaultPipelineRoot: p.pipelineRoot, providers } }),
    },
    {
      target: { kind: "ConfigMap", name: "workflow-controller-configmap", version: "v1" },
      patch: yaml({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "workflow-controller-configmap" },
        // Argo merges workflowDefaults into every Workflow; spec.podMetadata labels each of its pods.
        data: { artifactRepository, ...(p.queueName ? { workflowDefaults: yaml({ spec: { podMetadata: { labels: { "kueue.x-k8s.io/queue-name": p.queueName } } } }) } : {}) },
      }),
    },
    {
      target: { kind: "Deployment", name: "ml-pipeline", group: "apps", version: "v1" },
      patch: yaml({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ml-pipeline" },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: "ml-pipeline-api-server",
                  env: [
                    { name: "OBJECTSTORECONFIG_HOST", value: p.s3Host },
                    { name: "OBJECTSTORECONFIG_PORT", value: "443" },
                    { name: "OBJECTSTORECONFIG_SECURE", value: "true" },
                    { name: "OBJECTSTORECONFIG_REGION", value: p.region },
                  ],
                },
              ],
            },
          },
        },
      }),
    },
    {
      target: { kind: "Deployment", name: "ml-pipeline-ui", group: "apps", version: "v1" },
      patch: yaml({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ml-pipeline-ui" },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: "ml-pipeline-ui",
                  env: [
                    { name: "AWS_REGION", value: p.region },
                    { name: "AWS_S3_ENDPOINT", value: p.s3Host },
                    { name: "ARGO_ARCHIVE_ARTIFACTORY", value: "s3" },
                    { name: "ARGO_ARCHIVE_BUCKETNAME", value: p.bucket },
                    { name: "ARGO_KEYFORMAT", value: ARGO_KEY_FORMAT },
                  ],
                },
              ],
            },
          },
        },
      }),
    },
  ];
}
