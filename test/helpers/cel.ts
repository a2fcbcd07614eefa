import { spawnSync } from "node:child_process";
import { tool } from "./tools";

/**
 * Evaluates a boolean CEL expression on a context with the CEL evaluator `npm run tools` installs
 * (scripts/tools/cel.sh: @marcbachmann/cel-js; Kubernetes itself runs cel-go).
 */
export function cel(expression: string, context: unknown): boolean {
  const run = spawnSync(process.execPath, [tool("cel-evaluate"), expression, JSON.stringify(context)], { encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`cel-evaluate failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as boolean;
}
