import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** Every regular file under `dir`, as sorted paths relative to it (forward slashes). */
export function filesUnder(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? [join(d, e.name)] : []));
  return walk(dir)
    .map((f) => relative(dir, f).split("\\").join("/"))
    .sort();
}

/** First differing line of two texts, for a readable finding. */
function firstDifference(a: Buffer, b: Buffer): string {
  const la = a.toString("utf8").split("\n");
  const lb = b.toString("utf8").split("\n");
  const i = la.findIndex((line, n) => line !== lb[n]);
  const n = i < 0 ? la.length : i;
  const clip = (s: string | undefined) => JSON.stringify((s ?? "<end of file>").slice(0, 120));
  return `line ${n + 1}: ${clip(la[n])} vs ${clip(lb[n])}`;
}

/**
 * Byte-for-byte comparison of two directory trees. Returns one readable line per file that exists on one side only
 * or differs, so a determinism test shows what changed between two synths.
 */
export function diffDirs(a: string, b: string): string[] {
  const fa = filesUnder(a);
  const fb = filesUnder(b);
  const out: string[] = [];
  for (const f of fa.filter((x) => !fb.includes(x))) out.push(`${f}: only in the first synth`);
  for (const f of fb.filter((x) => !fa.includes(x))) out.push(`${f}: only in the second synth`);
  for (const f of fa.filter((x) => fb.includes(x))) {
    const ba = readFileSync(join(a, f));
    const bb = readFileSync(join(b, f));
    if (!ba.equals(bb)) out.push(`${f}: differs at ${firstDifference(ba, bb)}`);
  }
  return out;
}
