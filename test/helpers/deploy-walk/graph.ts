import type { TerraformJson } from "../synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** One resource or data source of a stack. */
export interface TfNode {
  /** `type.name` or `data.type.name`. */
  readonly address: string;
  readonly type: string;
  readonly config: Record<string, Any>;
}

const EXPRESSION = /\$\{([^}]*)\}/g;
const REFERENCE = /\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/g;

/**
 * The order Terraform applies one stack in: an edge for every `depends_on` and every reference between blocks. What
 * is guaranteed to exist before a resource is created is exactly its ancestors; anything else may be created at the
 * same time (Terraform runs independent resources in parallel), so "earlier on the deploy path" means ancestor.
 */
export class StackGraph {
  readonly nodes = new Map<string, TfNode>();
  private readonly deps = new Map<string, Set<string>>();
  private readonly ancestorCache = new Map<string, ReadonlySet<string>>();

  constructor(readonly stackId: string, json: TerraformJson) {
    for (const [kind, blocks] of [
      ["resource", json.resource ?? {}],
      ["data", json.data ?? {}],
    ] as const) {
      for (const [type, byName] of Object.entries(blocks)) {
        for (const [name, config] of Object.entries(byName as Record<string, Any>)) {
          const address = kind === "data" ? `data.${type}.${name}` : `${type}.${name}`;
          this.nodes.set(address, { address, type, config });
        }
      }
    }
    for (const node of this.nodes.values()) {
      const deps = new Set<string>((node.config.depends_on ?? []) as string[]);
      const { depends_on: _ignored, ...rest } = node.config;
      for (const expr of JSON.stringify(rest).matchAll(EXPRESSION)) {
        for (const ref of expr[1].matchAll(REFERENCE)) if (ref[1] !== node.address && this.nodes.has(ref[1])) deps.add(ref[1]);
      }
      for (const d of deps) if (!this.nodes.has(d)) throw new Error(`${stackId}: ${node.address} depends on ${d}, which is not in the stack`);
      this.deps.set(node.address, deps);
    }
  }

  /** Everything that exists before `address` is created. */
  ancestors(address: string): ReadonlySet<string> {
    const cached = this.ancestorCache.get(address);
    if (cached) return cached;
    const out = new Set<string>();
    for (const d of this.deps.get(address) ?? []) {
      out.add(d);
      for (const a of this.ancestors(d)) out.add(a);
    }
    this.ancestorCache.set(address, out);
    return out;
  }

  /** The blocks in an order Terraform may apply them (dependencies first; ties by address). */
  order(): string[] {
    const done = new Set<string>();
    const out: string[] = [];
    const visit = (a: string, path: string[]) => {
      if (done.has(a)) return;
      if (path.includes(a)) throw new Error(`${this.stackId}: dependency cycle ${[...path, a].join(" -> ")}`);
      for (const d of [...(this.deps.get(a) ?? [])].sort()) visit(d, [...path, a]);
      done.add(a);
      out.push(a);
    };
    for (const a of [...this.nodes.keys()].sort()) visit(a, []);
    return out;
  }
}
