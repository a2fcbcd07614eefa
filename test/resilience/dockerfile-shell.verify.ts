// The shell of every RUN instruction of the images the platform builds, checked with shellcheck as /bin/sh runs it
// (Docker's default shell; none of the Dockerfiles sets SHELL): the build itself cannot run here (no Docker daemon, no
// network to the EFA installer), so this is what can be checked of the scripts before CI builds them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readDockerfile } from "../helpers/dockerfile";
import { tool } from "../helpers/tools";
import { REPO_ROOT, shellcheckRunStep } from "../helpers/workflows";

const images = readdirSync(join(REPO_ROOT, "images")).sort();
const runs = (text: string) => readDockerfile(text).runs;
/** Warnings and errors; style and info notes (such as an unquoted version argument in a URL) do not fail a build. */
const check = (script: string) =>
  (shellcheckRunStep(tool("shellcheck"), { shell: "sh", script }) ?? []).filter((f) => f.level === "warning" || f.level === "error").map((f) => `SC${f.code} ${f.level}: ${f.message}`);

test.each(images)("images/%s: every RUN passes shellcheck as sh", (image) => {
  const text = readFileSync(join(REPO_ROOT, "images", image, "Dockerfile"), "utf8");
  expect(text).not.toMatch(/^SHELL /m);
  for (const run of runs(text)) expect([run.slice(0, 60), check(run)]).toEqual([run.slice(0, 60), []]);
});

test("fails a bash-only test in a RUN, which /bin/sh (dash) cannot run (failing case)", () => {
  const [run] = runs("FROM a:1\nRUN plugin=$(find / -name x) \\\n && [[ -n \"$plugin\" ]]\n");
  expect(check(run)).toEqual(expect.arrayContaining([expect.stringMatching(/^SC3010 (warning|error)/)]));
});
