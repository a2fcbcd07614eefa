import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where `npm run tools` installs the third-party checkers (git-ignored). */
export const TOOLS_BIN = resolve(__dirname, "../../.tools/bin");

/**
 * Absolute path of a tool installed by `npm run tools` (scripts/tools/<name>.sh). A missing tool is an error that
 * says how to install it: the checks it runs are not optional.
 */
export function tool(name: string): string {
  const path = join(TOOLS_BIN, name);
  if (!existsSync(path)) throw new Error(`${name} is not installed in ${TOOLS_BIN}: run \`npm run tools\` (scripts/tools/${name}.sh) first`);
  return path;
}
