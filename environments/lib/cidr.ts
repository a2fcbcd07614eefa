/** Minimal IPv4 CIDR arithmetic, done at synth time so plans show literal subnet ranges. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined for anything malformed or not aligned to its prefix. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return undefined;
  return { base, prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  const b = cidr.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${cidr.prefix}`;
}

/**
 * Carves consecutive blocks of the given prefix lengths out of a parent range, largest first,
 * so every block is aligned. Returns undefined when they do not fit.
 */
export function allocateSubnets(parent: Ipv4Cidr, prefixes: readonly number[]): string[] | undefined {
  const order = prefixes.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out: string[] = new Array(prefixes.length);
  let next = parent.base;
  const end = parent.base + 2 ** (32 - parent.prefix);
  for (const { p, i } of order) {
    if (p < parent.prefix || p > 28) return undefined;
    const size = 2 ** (32 - p);
    next = Math.ceil(next / size) * size;
    if (next + size > end) return undefined;
    out[i] = formatCidr({ base: next >>> 0, prefix: p });
    next += size;
  }
  return out;
}
