// Helm releases and the Kubernetes objects they render, as a reviewer thinks of them: chart versions (major bumps
// flagged), value changes, in-repo objects by kind and name (NodePool gpu-inference), Karpenter NodePool limits,
// and which pools roll every node (a NodePool template or its EC2NodeClass changed: Karpenter drift).
import { parse as parseYaml } from "yaml";
import type { Banner, HelmChange, NodePoolChange, ObjectChange } from "./types";
import { describeChange, diffValues, type RefRenderer } from "./values";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const parsed = new WeakMap<object, Json>();

/** A release's values: its YAML documents merged in order, as Helm merges `values` (parsed once per release). */
export function helmValues(cfg: Json): Json {
  if (cfg && typeof cfg === "object" && parsed.has(cfg)) return parsed.get(cfg);
  const merged: Json = {};
  for (const v of cfg?.values ?? []) {
    try {
      Object.assign(merged, parseYaml(String(v)) ?? {});
    } catch {
      merged["(unparsed values)"] = v;
    }
  }
  for (const s of cfg?.set_sensitive ?? []) merged[`set_sensitive:${s.name}`] = "(sensitive)";
  if (cfg && typeof cfg === "object") parsed.set(cfg, merged);
  return merged;
}

const inRepo = (cfg: Json) => typeof cfg?.chart === "string" && cfg.chart.startsWith("assets/");

/** Objects an in-repo chart renders from its `manifests` value, by "Kind/namespace/name". */
export function objectsOf(releases: Map<string, Json>): Map<string, { release: string; object: Json }> {
  const out = new Map<string, { release: string; object: Json }>();
  for (const cfg of releases.values()) {
    if (!inRepo(cfg)) continue;
    const manifests = helmValues(cfg).manifests;
    if (!Array.isArray(manifests)) continue;
    for (const m of manifests) {
      if (!m?.kind || !m?.metadata?.name) continue;
      out.set(`${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`, { release: cfg.name, object: m });
    }
  }
  return out;
}

const releasesOf = (resources: Map<string, Json>) => new Map([...resources].filter(([k]) => k.startsWith("helm_release.")));

/** Chart versions and values per release (in-repo objects are reported by objectChanges instead). */
export function helmChanges(a: Map<string, Json>, b: Map<string, Json>, refs: RefRenderer): HelmChange[] {
  const ra = releasesOf(a);
  const rb = releasesOf(b);
  const out: HelmChange[] = [];
  for (const address of [...new Set([...ra.keys(), ...rb.keys()])].sort()) {
    const x = ra.get(address);
    const y = rb.get(address);
    const chartOf = (r: Json) => (r ? `${r.chart}${r.version ? ` ${r.version}` : ""}` : "(none)");
    const chart = chartOf(x) !== chartOf(y) && !(inRepo(x) && inRepo(y)) ? { from: chartOf(x), to: chartOf(y) } : undefined;
    const strip = (r: Json) => {
      const { manifests: _m, ...rest } = helmValues(r);
      return inRepo(r) ? rest : helmValues(r);
    };
    const values = x && y ? diffValues(strip(x), strip(y), refs) : [];
    if (chart || values.length) out.push({ release: (y ?? x).name ?? address, namespace: (y ?? x).namespace ?? "default", chart, values });
  }
  return out;
}

/** Objects of in-repo charts added, removed and changed, each with its changed fields. */
export function objectChanges(a: Map<string, Json>, b: Map<string, Json>, refs: RefRenderer): ObjectChange[] {
  const oa = objectsOf(releasesOf(a));
  const ob = objectsOf(releasesOf(b));
  const out: ObjectChange[] = [];
  for (const id of [...new Set([...oa.keys(), ...ob.keys()])].sort()) {
    const [kind, namespace, name] = id.split("/");
    const x = oa.get(id);
    const y = ob.get(id);
    const base = { release: (y ?? x)!.release, kind, name, ...(namespace ? { namespace } : {}) };
    if (!x) out.push({ ...base, action: "create", attributes: [] });
    else if (!y) out.push({ ...base, action: "delete", attributes: [] });
    else {
      const attributes = diffValues(x.object, y.object, refs);
      if (attributes.length) out.push({ ...base, action: "update", attributes });
    }
  }
  return out;
}

const byKind = (objects: Map<string, { object: Json }>, kind: string) =>
  new Map([...objects.values()].filter((o) => o.object.kind === kind).map((o) => [String(o.object.metadata.name), o.object]));

/** NodePool limit changes and the pools whose every node Karpenter replaces. */
export function nodePoolChanges(a: Map<string, Json>, b: Map<string, Json>, refs: RefRenderer): NodePoolChange[] {
  const oa = objectsOf(releasesOf(a));
  const ob = objectsOf(releasesOf(b));
  const [pa, pb, ca, cb] = [byKind(oa, "NodePool"), byKind(ob, "NodePool"), byKind(oa, "EC2NodeClass"), byKind(ob, "EC2NodeClass")];
  const out: NodePoolChange[] = [];
  for (const name of [...new Set([...pa.keys(), ...pb.keys()])].sort()) {
    const x = pa.get(name);
    const y = pb.get(name);
    const limits = JSON.stringify(x?.spec?.limits ?? null) !== JSON.stringify(y?.spec?.limits ?? null) ? { from: x?.spec?.limits ?? null, to: y?.spec?.limits ?? null } : undefined;
    let rolls: string | undefined;
    if (x && !y) rolls = "the NodePool is removed: Karpenter drains and terminates all its nodes";
    else if (x && y) {
      const template = diffValues(x.spec?.template, y.spec?.template, refs, "spec.template");
      const classRef = String(y.spec?.template?.spec?.nodeClassRef?.name ?? "");
      const nodeClass = ca.has(classRef) && cb.has(classRef) ? diffValues(ca.get(classRef).spec, cb.get(classRef).spec, refs, "spec") : [];
      const budgets = (y.spec?.disruption?.budgets ?? []).map((d: Json) => d.nodes).filter(Boolean);
      const pace = budgets.length ? ` (at most ${budgets.join(" / ")} of its nodes at a time, per its disruption budgets; pods annotated karpenter.sh/do-not-disrupt keep their node until they finish)` : "";
      if (template.length) rolls = `its template changed (${template.slice(0, 3).map(describeChange).join("; ")}${template.length > 3 ? `; and ${template.length - 3} more` : ""}): every node drifts and is replaced${pace}`;
      else if (nodeClass.length) rolls = `its EC2NodeClass ${classRef} changed (${nodeClass.slice(0, 3).map(describeChange).join("; ")}${nodeClass.length > 3 ? `; and ${nodeClass.length - 3} more` : ""}): every node drifts and is replaced${pace}`;
    }
    if (limits || rolls) out.push({ nodePool: name, ...(limits ? { limits } : {}), ...(rolls ? { rolls } : {}) });
  }
  return out;
}

/** Major version of a chart version string, 0.x minors counted as majors (SemVer: 0.y may break). */
function major(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  return m[1] === "0" ? `0.${m[2]}` : m[1];
}

/** A banner per chart whose major version (or 0.x minor) changes, per node pool that rolls. */
export function kubernetesBanners(stack: string, environment: string, helm: HelmChange[], pools: NodePoolChange[]): Banner[] {
  const out: Banner[] = [];
  for (const h of helm) {
    if (!h.chart) continue;
    const [from, to] = [h.chart.from.split(" ")[1] ?? "", h.chart.to.split(" ")[1] ?? ""];
    const [ma, mb] = [major(from), major(to)];
    if (ma && mb && ma !== mb) {
      out.push({ kind: "chart-major", severity: "warning", environment, stack, subject: h.release, message: `chart \`${h.release}\` ${from} → ${to}${ma.startsWith("0.") ? " (a 0.x minor: breaking under SemVer)" : " (major version)"}: read its upgrade notes; CRDs and values may have changed` });
    }
  }
  for (const p of pools) {
    if (!p.rolls) continue;
    out.push({ kind: "node-roll", severity: /training|efa/.test(p.nodePool) ? "critical" : "warning", environment, stack, subject: p.nodePool, message: `NodePool \`${p.nodePool}\` rolls: ${p.rolls}` });
  }
  return out;
}
