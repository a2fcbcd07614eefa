/** The reference directory: `ML_PLATFORM_REFERENCE_DIR` (relative to the repository root) or `<repo>/../shared/reference`. */
export function referenceDir(repoRoot: string, env?: NodeJS.ProcessEnv): string;
/** The id git gives these bytes as a blob (`git hash-object`). */
export function gitBlobId(bytes: Buffer | string): string;
/** Every file below `dir`, as sorted paths relative to it with `/` separators. */
export function listFiles(dir: string): string[];
