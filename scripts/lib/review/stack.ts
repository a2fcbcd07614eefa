// One stack's review: resources, IAM, Helm, in-repo objects and NodePools, from the two synthesized sides.
import { grantsOf, iamChanges, widening } from "./iam";
import { helmChanges, kubernetesBanners, nodePoolChanges, objectChanges } from "./kubernetes";
import { resourcesOf } from "./resources";
import { diffResources } from "./resources";
import { modelBanners } from "./models";
import { securityBanners } from "./security";
import type { Banner, Counts, StackReview } from "./types";
import { constructPaths, refRenderer, type RefRenderer } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** The environment a stack id belongs to (`research-foundation` → `research`; parts never contain "-"). */
export function environmentOf(stack: string): string {
  return stack.slice(0, stack.lastIndexOf("-"));
}

/** Counts the way Terraform's plan summary does (a possible replacement counts as a change until confirmed). */
export function countsOf(resources: StackReview["resources"]): Counts {
  const n = (...actions: string[]) => resources.filter((r) => actions.includes(r.action)).length;
  return { add: n("create"), change: n("update", "may-replace"), replace: n("replace"), destroy: n("delete") };
}

/** Reads references with the head's stacks first, then the base's (for names only the base still has). */
function bothSides(stack: string, baseStacks: ReadonlyMap<string, Json>, headStacks: ReadonlyMap<string, Json>): RefRenderer {
  const head = refRenderer(stack, headStacks);
  const base = refRenderer(stack, baseStacks);
  return (text) => base(head(text));
}

/** A stack's review and the banners that come from its configurations (IAM, security, charts, node pools). */
export function reviewStack(stack: string, baseStacks: ReadonlyMap<string, Json>, headStacks: ReadonlyMap<string, Json>): { review: StackReview; banners: Banner[] } {
  const base = baseStacks.get(stack);
  const head = headStacks.get(stack);
  const environment = environmentOf(stack);
  const none = { add: 0, change: 0, replace: 0, destroy: 0 };
  if (base && head && JSON.stringify(base) === JSON.stringify(head)) {
    return { review: { stack, environment, status: "unchanged", counts: none, resources: [], iam: [], helm: [], objects: [], nodePools: [] }, banners: [] };
  }
  const refs = bothSides(stack, baseStacks, headStacks);
  const paths = new Map([...constructPaths(base), ...constructPaths(head)]);
  const a = resourcesOf(base);
  const b = resourcesOf(head);
  const resources = diffResources(base, head, refs, paths);
  const moves = new Map(resources.filter((r) => r.movedFrom).map((r) => [r.movedFrom!, r.address]));
  const [before, after] = [grantsOf(a, refs), grantsOf(b, refs)];
  // Only releases that differ can change charts, values or objects (parsing every release's YAML is the slow part).
  // A stack that is new or gone is all creates or all deletes: its releases' contents add nothing to review.
  const differs = (k: string) => base !== undefined && head !== undefined && JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k));
  const [ra, rb] = [a, b].map((side) => new Map([...side].filter(([k]) => k.startsWith("helm_release.") && differs(k))));
  const helm = helmChanges(ra, rb, refs);
  const nodePools = nodePoolChanges(ra, rb, refs);
  const counts = countsOf(resources);
  const status = !base ? "added" : !head ? "removed" : resources.length ? "changed" : "unchanged";
  const review: StackReview = { stack, environment, status, counts, resources, iam: iamChanges(before, after), helm, objects: objectChanges(ra, rb, refs), nodePools };
  const banners = [
    ...widening(stack, environment, before, after),
    ...securityBanners(stack, environment, a, b, moves, refs),
    ...kubernetesBanners(stack, environment, helm, nodePools),
    ...nodeGroupRolls(stack, environment, review, b),
    ...modelBanners(stack, environment, ra, rb),
  ];
  return { review, banners };
}

/** Managed node groups that replace their nodes: a new launch template version they track, or a new AMI release. */
function nodeGroupRolls(stack: string, environment: string, review: StackReview, head: Map<string, Json>): Banner[] {
  const out: Banner[] = [];
  const changed = new Map(review.resources.filter((r) => r.action === "update" || r.action === "may-replace").map((r) => [r.address, r]));
  for (const [address, cfg] of head) {
    if (!address.startsWith("aws_eks_node_group.")) continue;
    const own = changed.get(address)?.attributes.filter((c) => /^(launch_template\.version|release_version|version)$/.test(c.path)) ?? [];
    const template = /^\$\{(aws_launch_template\.[^.]+)\.latest_version\}$/.exec(String(cfg.launch_template?.version ?? cfg.launch_template?.[0]?.version ?? ""))?.[1];
    const templateChange = template ? changed.get(template) : undefined;
    const why = [...own.map((c) => `${c.path} ${c.from ?? "(unset)"} → ${c.to ?? "(unset)"}`), ...(templateChange ? [`its launch template ${templateChange.name} gets a new version (${templateChange.attributes.slice(0, 2).map((c) => c.path).join(", ")})`] : [])];
    if (why.length) {
      const name = changed.get(address)?.name ?? address;
      out.push({ kind: "node-roll", severity: "warning", environment, stack, subject: address, message: `managed node group \`${cfg.node_group_name ?? name}\` replaces every node (rolling update): ${why.join("; ")}` });
    }
  }
  return out;
}
