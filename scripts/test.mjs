#!/usr/bin/env node
// `npm test`: the type-check (tsc --noEmit) and the unit jest suite, run at the same time. tsc is single-threaded
// and takes ~10 s of CPU; run before jest it added its whole time to the suite's wall time, beside jest's two
// workers it mostly fills idle CPU. Both always run; the exit code is non-zero if either fails. tsc's report is
// printed after jest's. Arguments go to jest: `npm test -- test/efa.test.ts`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const exitOf = (child) => new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))));

// Incremental: tsc keeps what it learned in a git-ignored file and rechecks only files whose dependencies changed
// (~4.5 s of CPU instead of ~13 s when little changed, CPU jest's workers then have); a fresh clone checks everything.
const tsc = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", ".", "--incremental", "--tsBuildInfoFile", ".cache/tsc.tsbuildinfo"], { stdio: ["ignore", "pipe", "pipe"] });
let report = "";
tsc.stdout.on("data", (d) => (report += d));
tsc.stderr.on("data", (d) => (report += d));
const jest = spawn(process.execPath, [require.resolve("jest/bin/jest"), ...process.argv.slice(2)], { stdio: "inherit" });

const [tscCode, jestCode] = await Promise.all([exitOf(tsc), exitOf(jest)]);
process.stdout.write(report);
console.log(tscCode === 0 ? "tsc --noEmit -p .: no type errors" : `tsc --noEmit -p . failed (exit ${tscCode})`);
process.exitCode = tscCode || jestCode;
