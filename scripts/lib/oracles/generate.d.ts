/** The command that regenerates every oracle. */
export const COMMAND: string;
/** Repository path of the oracle directory (`test/oracles`). */
export const ORACLE_DIR: string;
/** Repository path of the oracle index. */
export const INDEX_FILE: string;
/** Every generated file in memory, by repository path (see generate.js). */
export function generateOracles(options: { repoRoot: string; referenceDir: string; only?: (refPath: string) => boolean }): Map<string, string>;
