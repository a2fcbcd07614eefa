import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { blocks, COST_TAG_KEYS, finding, isTrue, resourcesOf, type AuditTarget } from "./audit-context";
import { manifestLabel, renderedManifests } from "./manifests";
import type { TerraformJson } from "./synth";

const PROVIDER_LIB = join(dirname(require.resolve("@cdktf/provider-aws/package.json")), "lib");

/** Resource types of launched capacity that must tag what they launch, because default_tags do not reach it. */
export const LAUNCH_TEMPLATE_TAG_RESOURCE_TYPES = ["instance", "volume", "network-interface"] as const;

const taggableCache = new Map<string, boolean>();
let dirIndex: Map<string, string> | undefined;

/** Slow path: the provider directory whose class declares `tfResourceType = "<type>"` (built once, only on a miss). */
function providerDirOf(type: string): string | undefined {
  if (!dirIndex) {
    dirIndex = new Map();
    for (const d of readdirSync(PROVIDER_LIB)) {
      const file = join(PROVIDER_LIB, d, "index.d.ts");
      if (!existsSync(file)) continue;
      const m = /static readonly tfResourceType = "([^"]+)"/.exec(readFileSync(file, "utf8"));
      if (m) dirIndex.set(m[1], d);
    }
  }
  return dirIndex.get(type);
}

/**
 * Whether an AWS resource type takes `tags`, read from @cdktf/provider-aws: its `<Class>Config` interface declares a
 * top-level `readonly tags?:` (nested blocks such as launch-template tag_specifications have their own `tags`,
 * which do not count). Cached per type; only the types present in a stack are ever read.
 * @throws when the type is not in the provider package at all
 */
export function isTaggableType(type: string): boolean {
  const cached = taggableCache.get(type);
  if (cached !== undefined) return cached;
  let result = false;
  if (type.startsWith("aws_")) {
    const kebab = type.slice(4).replace(/_/g, "-");
    let text = existsSync(join(PROVIDER_LIB, kebab, "index.d.ts")) ? readFileSync(join(PROVIDER_LIB, kebab, "index.d.ts"), "utf8") : "";
    if (!text.includes(`tfResourceType = "${type}"`)) {
      const dir = providerDirOf(type);
      if (!dir) throw new Error(`resource type ${type} is not in @cdktf/provider-aws; cannot tell whether it takes tags`);
      text = readFileSync(join(PROVIDER_LIB, dir, "index.d.ts"), "utf8");
    }
    const start = text.search(/^export interface \w+Config extends cdktf\.TerraformMetaArguments \{$/m);
    if (start < 0) throw new Error(`no Config interface for ${type} in @cdktf/provider-aws`);
    const end = text.indexOf("\n}", start);
    result = /^ {4}readonly tags\?: /m.test(text.slice(start, end));
  }
  taggableCache.set(type, result);
  return result;
}

function tagProblems(tags: unknown, expected: Readonly<Record<string, string>>): string[] {
  if (typeof tags !== "object" || tags === null) return [`no tags (needs ${COST_TAG_KEYS.join(", ")})`];
  const t = tags as Record<string, unknown>;
  return COST_TAG_KEYS.flatMap((k) => {
    if (!(k in t)) return [`missing ${k}`];
    return t[k] === expected[k] ? [] : [`${k} is ${JSON.stringify(t[k])}, expected ${JSON.stringify(expected[k])}`];
  });
}

/** The provider entries of a stack's AWS providers, with their Terraform address (`aws` or `aws.<alias>`). */
function awsProviders(json: TerraformJson): Array<{ address: string; cfg: Record<string, unknown> }> {
  return (json.provider?.aws ?? []).map((cfg: Record<string, unknown>) => ({ address: cfg.alias ? `provider.aws.${cfg.alias}` : "provider.aws", cfg }));
}

function defaultTagsOf(cfg: Record<string, unknown>): Record<string, unknown> | undefined {
  const dt = blocks<{ tags?: Record<string, unknown> }>(cfg.default_tags);
  return dt.length ? Object.assign({}, ...dt.map((b) => b.tags ?? {})) : undefined;
}

/**
 * Cost-tag audit of one stack. Taggable resources get the cost tags from the AWS provider's default_tags, so every
 * `provider.aws` entry must carry all four with the environment's values, and no resource may override one with a
 * different value. Where default tags do not reach, the tags must be explicit: launch templates tag instances,
 * volumes and network interfaces; autoscaling groups propagate tags at launch; managed node groups launch through
 * such a launch template; Karpenter EC2NodeClasses rendered through Helm set `spec.tags` (a team-dedicated pool's, the
 * team's Team and CostCenter).
 */
export function auditTags(target: AuditTarget): string[] {
  const { id, json, costTags } = target;
  const out: string[] = [];
  const providers = awsProviders(json);
  for (const p of providers) {
    const dt = defaultTagsOf(p.cfg);
    if (!dt) out.push(finding(id, p.address, "default_tags", `no default_tags (needs ${COST_TAG_KEYS.join(", ")})`));
    else for (const problem of tagProblems(dt, costTags)) out.push(finding(id, p.address, "default_tags", problem));
  }

  const launchTemplates = json.resource?.aws_launch_template ?? {};
  for (const [type, name, cfg] of resourcesOf(json)) {
    const address = `${type}.${name}`;
    if (!type.startsWith("aws_")) continue;
    if (isTaggableType(type)) {
      const alias = typeof cfg.provider === "string" ? cfg.provider.replace(/^\$\{(.*)\}$/, "$1") : "aws";
      const provider = providers.find((p) => p.address === `provider.${alias}`);
      if (!provider) out.push(finding(id, address, "default_tags", `uses provider ${alias}, which this stack does not configure`));
      if (cfg.tags && typeof cfg.tags === "object") {
        for (const k of COST_TAG_KEYS) {
          if (k in cfg.tags && cfg.tags[k] !== costTags[k]) {
            out.push(finding(id, address, "tags", `overrides cost tag ${k} with ${JSON.stringify(cfg.tags[k])}, expected ${JSON.stringify(costTags[k])}`));
          }
        }
      }
    }
    if (type === "aws_launch_template") {
      const specs = blocks<{ resource_type?: string; tags?: unknown }>(cfg.tag_specifications);
      for (const rt of LAUNCH_TEMPLATE_TAG_RESOURCE_TYPES) {
        const spec = specs.find((s) => s.resource_type === rt);
        if (!spec) out.push(finding(id, address, "tag_specifications", `no tag_specifications for ${rt} (default_tags do not reach launched ${rt}s)`));
        else for (const problem of tagProblems(spec.tags, costTags)) out.push(finding(id, address, "tag_specifications", `${rt}: ${problem}`));
      }
    }
    if (type === "aws_autoscaling_group") {
      const tags = blocks<{ key?: string; value?: string; propagate_at_launch?: unknown }>(cfg.tag);
      for (const k of COST_TAG_KEYS) {
        const t = tags.find((x) => x.key === k);
        if (!t) out.push(finding(id, address, "tag", `no tag block for ${k} (default_tags do not propagate to instances)`));
        else if (t.value !== costTags[k]) out.push(finding(id, address, "tag", `${k} is ${JSON.stringify(t.value)}, expected ${JSON.stringify(costTags[k])}`));
        else if (!isTrue(t.propagate_at_launch)) out.push(finding(id, address, "tag", `${k} does not set propagate_at_launch = true`));
      }
    }
    if (type === "aws_eks_node_group") {
      const lt = blocks<{ id?: string; name?: string }>(cfg.launch_template)[0];
      const ref = lt && /^\$\{aws_launch_template\.([^.}]+)\.(id|name)\}$/.exec(lt.id ?? lt.name ?? "");
      if (!lt) out.push(finding(id, address, "launch_template", "no launch template: node group tags do not reach instances, volumes or ENIs"));
      else if (!ref || !(ref[1] in launchTemplates)) {
        out.push(finding(id, address, "launch_template", `launch template ${JSON.stringify(lt.id ?? lt.name)} is not an aws_launch_template of this stack, so its tag_specifications cannot be checked`));
      }
    }
  }

  for (const m of renderedManifests(target)) out.push(...auditNodeClassTags(id, m.address, m.manifest, target.nodeClassTags?.[m.manifest.metadata?.name] ?? costTags));
  return out;
}

/**
 * Karpenter EC2NodeClass `spec.tags`: Karpenter tags instances, volumes and ENIs with them; default_tags never apply. A
 * team-dedicated pool's class carries its team's Team and CostCenter (`costTags` is then the team's).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function auditNodeClassTags(stackId: string, address: string, manifest: Record<string, any>, costTags: Readonly<Record<string, string>>): string[] {
  if (manifest.kind !== "EC2NodeClass") return [];
  return tagProblems(manifest.spec?.tags, costTags).map((p) => finding(stackId, `${address} ${manifestLabel(manifest)}`, "spec.tags", p));
}
