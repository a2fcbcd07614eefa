// What the platform requires of its Dockerfiles, read without Docker (no daemon and no registry here): every base
// image pinned to a tag other than `latest` (or a digest), build arguments with fixed defaults, and a final USER that
// is UID 1000, since every runtime runs restricted.

/** The parts of a Dockerfile the checks read. */
export interface DockerfileFacts {
  readonly from: string[];
  readonly args: Record<string, string | undefined>;
  readonly users: string[];
  readonly runs: string[];
}

/** Joins continuation lines and drops comments, then collects FROM, ARG, USER and RUN instructions. */
export function readDockerfile(text: string): DockerfileFacts {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const facts: DockerfileFacts = { from: [], args: {}, users: [], runs: [] };
  for (const line of lines) {
    const [, word, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (word?.toUpperCase()) {
      case "FROM":
        facts.from.push(rest.split(/\s+/)[0]);
        break;
      case "ARG": {
        const [name, value] = rest.split("=", 2);
        facts.args[name.trim()] = value?.trim();
        break;
      }
      case "USER":
        facts.users.push(rest.trim());
        break;
      case "RUN":
        facts.runs.push(rest);
        break;
    }
  }
  return facts;
}

/** Substitutes `${NAME}` and `$NAME` with the build arguments' defaults. */
function expand(s: string, args: DockerfileFacts["args"]): string {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => args[a ?? b] ?? m);
}

/** Problems with a Dockerfile's pins and user, one line each; empty when it is fine. */
export function dockerfileProblems(text: string): string[] {
  const f = readDockerfile(text);
  const problems: string[] = [];
  if (f.from.length === 0) problems.push("no FROM");
  for (const raw of f.from) {
    const image = expand(raw, f.args);
    if (image.includes("$")) problems.push(`FROM ${raw}: a build argument without a default`);
    else if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:[\w][\w.-]*$/.test(image.slice(image.lastIndexOf("/") + 1))) problems.push(`FROM ${image}: not pinned to a tag or digest`);
    else if (/:latest$/.test(image)) problems.push(`FROM ${image}: pinned to latest`);
  }
  for (const [name, value] of Object.entries(f.args)) {
    if (value === undefined || value === "") problems.push(`ARG ${name}: no default`);
    else if (/^latest$/i.test(value)) problems.push(`ARG ${name}=${value}: latest`);
  }
  for (const run of f.runs) if (/(^|[^A-Za-z0-9])latest([^A-Za-z0-9]|$)/.test(expand(run, f.args))) problems.push(`RUN mentions latest: ${run.slice(0, 80)}`);
  const user = f.users.at(-1);
  if (!user || !/^1000(:1000)?$/.test(user)) problems.push(`final USER is ${user ?? "root (none set)"}, not 1000`);
  return problems;
}
