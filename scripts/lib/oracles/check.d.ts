/** Result of {@link checkOracles}. */
export interface OracleCheck {
  /** One line per problem, naming the file and, where regeneration fixes it, `npm run generate:oracles`. */
  readonly problems: string[];
  /** Oracles the index lists. */
  readonly oracles: number;
  /** Files regenerated in memory and compared byte for byte. */
  readonly regenerated: number;
  /** Whether the reference directory was there and checked against. */
  readonly referenceChecked: boolean;
}

/** Checks the oracles of a repository; with `referenceDir`, also against the reference data (see check.js). */
export function checkOracles(options: { repoRoot: string; referenceDir?: string; regenerate?: "all" | ((refPath: string) => boolean) }): OracleCheck;
