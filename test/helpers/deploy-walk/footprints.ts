import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { HelmChart } from "../../../constructs/kubernetes/helm-chart";
import { ManifestsRelease } from "../../../constructs/kubernetes/manifests-release";
import type { Environment } from "../../../environments/lib/schema";
import type { FootprintIndex } from "./world";

/**
 * The footprints the constructs declare (HelmChart `footprint`, ManifestsRelease `indirect`), keyed by
 * `<stack> helm_release.<logical id>` like the synthesized blocks. Builds the app without synthesizing it.
 */
export function declaredFootprints(envs: readonly Environment[]): FootprintIndex {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require("../../../stacks/app") as typeof import("../../../stacks/app");
  const app = buildApp(envs);
  const index = new Map<string, { footprint?: HelmChart["footprint"]; indirect?: ManifestsRelease["indirect"] }>();
  const key = (c: Construct, logicalId: string) => `${TerraformStack.of(c).node.id} helm_release.${logicalId}`;
  for (const c of app.node.findAll()) {
    if (c instanceof HelmChart) index.set(key(c, c.release.friendlyUniqueId), { footprint: c.footprint });
    if (c instanceof ManifestsRelease && c.indirect) index.set(key(c, c.release.friendlyUniqueId), { indirect: c.indirect });
  }
  return index;
}
