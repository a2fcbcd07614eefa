import { stringify } from "yaml";
import { findInstanceType } from "../catalog/instance-types";
import { migGpuOf, migResource } from "../catalog/mig";
import type { NodeSelectorTerm } from "../kubernetes/footprint";
import type { KubernetesObject } from "../kubernetes/manifests-release";
import { nodeOverlay } from "../karpenter/node-overlay";

/**
 * GPU sharing of the platform's pools: what the NVIDIA device plugin 0.20.0 advertises on each pool's nodes (its
 * per-node configuration, chosen by the node label `nvidia.com/device-plugin.config`), the labels the NodePools put
 * on their nodes, the MIG layouts the GPU Operator's mig-manager applies, and the NodeOverlays that tell Karpenter
 * what a shared node offers (it only knows whole GPUs).
 *
 * Sources: k8s-device-plugin v0.20.0 README "Shared Access to GPUs" and api/config/v1 (config `version: v1`,
 * `flags.migStrategy`, `sharing.timeSlicing.{renameByDefault,failRequestsGreaterThanOne,resources[{name,replicas}]}`);
 * gpu-operator v26.7.0 controllers/state_manager.go and nodelabeling_controller.go (the labels below);
 * Karpenter v1.14.1 pkg/controllers/nodeoverlay (overlays match the NodePool name and template labels, and
 * `cloudprovider.InstanceType.ApplyCapacityOverlay` assigns the overlay's quantities over the type's own).
 */

/** How one pool shares its GPUs (the environment's `compute.gpuSharing` or `compute.sharedGpuPool.sharing`). */
export type SharingMode =
  | { readonly mode: "none" }
  | { readonly mode: "time-slicing"; readonly replicas: number }
  | { readonly mode: "mig"; readonly strategy: "single" | "mixed"; readonly layouts: Readonly<Record<string, string>> };

/** A pool that shares its GPUs. */
export interface SharedPool {
  /** NodePool name (also the device plugin config name and, for MIG, the mig-parted config name). */
  readonly pool: string;
  readonly instanceTypes: readonly string[];
  readonly sharing: Exclude<SharingMode, { mode: "none" }>;
}

/** Node label the device plugin's config manager reads to pick a named configuration. */
export const DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config";
/** Configuration of nodes without the label (whole GPUs, no MIG). */
export const DEFAULT_DEVICE_PLUGIN_CONFIG = "default";
/** Node label naming the mig-parted config mig-manager applies. */
export const MIG_CONFIG_LABEL = "nvidia.com/mig.config";
/** Node label mig-manager sets to `success` once the node's MIG instances exist. */
export const MIG_CONFIG_STATE_LABEL = "nvidia.com/mig.config.state";
/** Node label the GPU Operator reads (without GPU Feature Discovery) to deploy mig-manager on a node. */
export const MIG_CAPABLE_LABEL = "nvidia.com/mig.capable";
/** Node label that keeps every GPU Operator operand off a node (`false`). */
export const GPU_OPERANDS_LABEL = "nvidia.com/gpu.deploy.operands";
/** The NFD label of NVIDIA PCI devices; the GPU Operator treats only nodes carrying it as GPU nodes. */
export const NFD_NVIDIA_PCI_LABEL = "feature.node.kubernetes.io/pci-10de.present";

const yaml = (o: unknown) => stringify(o, { sortMapEntries: false, lineWidth: 0 });

/** One device plugin configuration file (config version v1). */
function pluginConfig(sharing: SharingMode): string {
  if (sharing.mode === "time-slicing") {
    return yaml({
      version: "v1",
      flags: { migStrategy: "none" },
      // Whole-GPU requests keep their resource name; asking for two slices would only get two turns on one GPU.
      sharing: { timeSlicing: { renameByDefault: false, failRequestsGreaterThanOne: true, resources: [{ name: "nvidia.com/gpu", replicas: sharing.replicas }] } },
    });
  }
  return yaml({ version: "v1", flags: { migStrategy: sharing.mode === "mig" ? sharing.strategy : "none" } });
}

/** The device plugin's named configurations (`config.map`), its default, and the resources its nodes advertise. */
export function devicePluginConfigs(pools: readonly SharedPool[]): { map: Record<string, string>; default: string; advertises: string[] } {
  const map: Record<string, string> = { [DEFAULT_DEVICE_PLUGIN_CONFIG]: pluginConfig({ mode: "none" }) };
  const advertises = new Set(["nvidia.com/gpu"]);
  for (const p of pools) {
    map[p.pool] = pluginConfig(p.sharing);
    for (const t of p.instanceTypes) for (const r of Object.keys(nodeCapacity(p, t))) advertises.add(r);
  }
  return { map, default: DEFAULT_DEVICE_PLUGIN_CONFIG, advertises: [...advertises].sort() };
}

/**
 * What one node of a shared pool offers, as the device plugin will advertise it: time-slicing multiplies
 * `nvidia.com/gpu`; MIG single advertises each slice as `nvidia.com/gpu`; MIG mixed advertises
 * `nvidia.com/mig-<profile>` and no whole GPUs.
 */
export function nodeCapacity(p: SharedPool, instanceType: string): Record<string, number> {
  const gpus = findInstanceType(instanceType)?.gpuCount ?? 0;
  const s = p.sharing;
  if (s.mode === "time-slicing") return { "nvidia.com/gpu": gpus * s.replicas };
  const layout = migGpuOf(instanceType)?.layouts[s.layouts[instanceType] ?? ""];
  if (!layout) throw new Error(`${p.pool}: ${instanceType} has no MIG layout (validation should have said so)`);
  if (s.strategy === "single") return { "nvidia.com/gpu": gpus * Object.values(layout)[0] };
  return { "nvidia.com/gpu": 0, ...Object.fromEntries(Object.entries(layout).map(([profile, n]) => [migResource(profile), gpus * n])) };
}

/** Labels a shared pool's NodePool puts on its nodes (the pool's own labels come from pool-labels.ts). */
export function sharedPoolNodeLabels(p: SharedPool): Record<string, string> {
  return {
    [DEVICE_PLUGIN_CONFIG_LABEL]: p.pool,
    // mig-manager applies this pool's config; `mig.capable` lets the GPU Operator deploy mig-manager without GFD.
    ...(p.sharing.mode === "mig" ? { [MIG_CONFIG_LABEL]: p.pool, [MIG_CAPABLE_LABEL]: "true" } : {}),
  };
}

/**
 * One NodeOverlay per instance type of a shared pool, scoped to the pool (`karpenter.sh/nodepool`), giving Karpenter
 * the capacity the device plugin will advertise there: without it Karpenter sees whole GPUs and never launches a node
 * for a pod that requests `nvidia.com/mig-1g.10gb` (or packs time-sliced pods one per GPU).
 */
export function sharingOverlays(p: SharedPool): KubernetesObject[] {
  return p.instanceTypes.map((t) =>
    nodeOverlay({
      name: `${p.pool}-${t.replace(/\./g, "-")}`,
      requirements: [
        { key: "karpenter.sh/nodepool", operator: "In", values: [p.pool] },
        { key: "node.kubernetes.io/instance-type", operator: "In", values: [t] },
      ],
      capacity: Object.fromEntries(Object.entries(nodeCapacity(p, t)).map(([r, n]) => [r, String(n)])),
    }),
  );
}

/**
 * The mig-parted configuration mig-manager applies (one named config per MIG pool, one entry per GPU model of its
 * types, selected by PCI device id), plus `all-disabled`, the GPU Operator's default for MIG-capable nodes.
 */
export function migPartedConfig(pools: readonly SharedPool[]): string {
  const configs: Record<string, unknown[]> = { "all-disabled": [{ devices: "all", "mig-enabled": false }] };
  for (const p of pools) {
    if (p.sharing.mode !== "mig") continue;
    const layouts = p.sharing.layouts;
    const byGpu = new Map(p.instanceTypes.map((t) => [migGpuOf(t)!, layouts[t]]));
    configs[p.pool] = [...byGpu].map(([gpu, name]) => ({ "device-filter": [gpu.pciDeviceId], devices: "all", "mig-enabled": true, "mig-devices": { ...gpu.layouts[name] } }));
  }
  return yaml({ version: "v1", "mig-configs": configs });
}

/**
 * Required node affinity for DaemonSets that hold GPUs open (device plugin, DCGM exporter) once MIG pools exist: on
 * nodes that get a MIG config they start only after mig-manager reports `success`, because MIG mode cannot change
 * while a process holds the GPU and a device plugin started before the slices exist would never advertise them.
 * Other GPU nodes keep the device plugin chart's own terms.
 */
export function gpuClientAffinity(): NodeSelectorTerm[] {
  return [
    { matchExpressions: [{ key: NFD_NVIDIA_PCI_LABEL, operator: "In", values: ["true"] }, { key: MIG_CONFIG_LABEL, operator: "DoesNotExist" }] },
    { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }, { key: MIG_CONFIG_LABEL, operator: "DoesNotExist" }] },
    { matchExpressions: [{ key: MIG_CONFIG_STATE_LABEL, operator: "In", values: ["success"] }] },
  ];
}
