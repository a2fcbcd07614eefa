import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Every YAML object of `kind` in the fenced yaml blocks of docs/<doc>: what the docs tell users to apply. */
export function docExamples(doc: string, kind: string): Any[] {
  const text = readFileSync(join(__dirname, "..", "..", "docs", doc), "utf8");
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => parseAllDocuments(b).map((d) => d.toJS())).filter((o) => o?.kind === kind);
}
