// `npm run bench`: wall time, CPU time and peak RSS of the README path (`npm run synth`: build dist/ if an input
// changed, then plain node) against cdktf's default path (ts-node with type-checking, cdktf unpatched) on the same
// app, runs interleaved so both see the same machine load, and whether both write the same stacks. A benchmark,
// not a test: it prints numbers and never fails on them.
// Usage: node dist/scripts/bench.js [--runs 7] [--ts-node-runs 2]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { SYNTH_PATCHES_VAR } from "./lib/synth-runtime";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The repo root, whether this runs as dist/scripts/bench.js or from scripts/. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

interface Sample {
  readonly wallMs: number;
  /** User + system CPU time in ms of the command and its waited-for children (GNU time only). */
  readonly cpuMs?: number;
  /** Peak resident set size in KiB, or undefined when it cannot be measured on this system. */
  readonly peakRssKiB?: number;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return value;
}

/** GNU time reports the peak RSS of a child and its waited-for descendants (`Maximum resident set size`). */
const gnuTime = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-v", "true"], { encoding: "utf8" }).stderr?.includes("Maximum resident set size");

/** Peak RSS (VmHWM) over a process and its descendants, read from /proc; used when GNU time is missing. */
function procPeakKiB(pid: number): number {
  let peak = 0;
  const visit = (p: number) => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) peak = Math.max(peak, Number(m[1]));
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").split(" ").filter(Boolean)) visit(Number(child));
      }
    } catch {
      // The process exited between listing and reading.
    }
  };
  visit(pid);
  return peak;
}

/** Runs one command to completion and measures it; throws with its stderr when it fails. */
function measure(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  const timeFile = join(tmpdir(), `mlp-bench-time-${process.pid}.txt`);
  const [cmd, argv] = gnuTime ? ["/usr/bin/time", ["-v", "-o", timeFile, command, ...args]] : [command, [...args]];
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let polled = 0;
    const poller = !gnuTime && process.platform === "linux" ? setInterval(() => (polled = Math.max(polled, procPeakKiB(child.pid!))), 5) : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (poller) clearInterval(poller);
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr}`));
      let peakRssKiB: number | undefined = poller ? polled : undefined;
      let cpuMs: number | undefined;
      if (gnuTime) {
        const report = readFileSync(timeFile, "utf8");
        const field = (name: string) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(report)?.[1] ?? NaN);
        peakRssKiB = field("Maximum resident set size \\(kbytes\\)");
        cpuMs = (field("User time \\(seconds\\)") + field("System time \\(seconds\\)")) * 1000;
        rmSync(timeFile, { force: true });
      }
      resolvePromise({ wallMs, cpuMs, peakRssKiB });
    });
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const maxRss = (samples: readonly Sample[]) => (samples.some((s) => s.peakRssKiB === undefined) ? undefined : Math.max(...samples.map((s) => s.peakRssKiB!)));
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (kib?: number) => (kib === undefined ? "n/a" : (kib / 1024).toFixed(0));

/** Every file under `dir` (relative paths) with its bytes, for checking that two paths write the same output. */
function treeOf(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) treeOf(p, base, out);
    else out.set(p.slice(base.length + 1), readFileSync(p, "latin1"));
  }
  return out;
}

function sameTree(a: string, b: string): boolean {
  const [ta, tb] = [treeOf(a), treeOf(b)];
  return ta.size === tb.size && [...ta].every(([path, bytes]) => tb.get(path) === bytes);
}

/** The npm that runs this bench (npm sets npm_execpath for scripts), else the one on PATH. */
function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? [process.execPath, [cli]] : ["npm", []];
}

/** The README path's budget (median wall of `npm run synth` with dist/ current, 2 cores). */
const BUDGET_MS = 1000;

async function main(): Promise<void> {
  const root = repoRoot();
  const runs = flag("--runs", 7);
  const tsNodeRuns = flag("--ts-node-runs", 2);
  const work = mkdtempSync(join(tmpdir(), "mlp-bench-"));
  // Each run writes to its own temp outdir (cdktf's App honours CDKTF_OUTDIR when no outdir is passed).
  const env = (outdir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, ...extra };
    for (const k of Object.keys(e)) if (k.startsWith("TS_NODE_") || (k === SYNTH_PATCHES_VAR && !(k in extra))) delete e[k];
    return e;
  };
  const [npm, npmArgs] = npmCommand();
  const npmSynth = (outdir: string) => measure(npm, [...npmArgs, "run", "synth"], root, env(outdir));

  await measure(process.execPath, [join(root, "scripts", "build.mjs")], root, env(join(work, "warm-up")));
  const current: Sample[] = [];
  const stale: Sample[] = [];
  const tsNode: Sample[] = [];
  // Interleaved, so every path sees the same machine load (the machine may be shared).
  for (let i = 0; i < runs; i++) {
    current.push(await npmSynth(join(work, `current-${i}`)));
    // Without its stamp dist/ is not current: the launcher rebuilds it, as after an edit.
    rmSync(join(root, "dist", ".build-stamp"), { force: true });
    stale.push(await npmSynth(join(work, `stale-${i}`)));
    if (i < tsNodeRuns) {
      // ts-node type-checks by default, as in cdktf's TypeScript template (`"app": "npx ts-node main.ts"`); cdktf runs
      // unpatched (scripts/lib/synth-runtime.ts), as it does without this project's runtime tuning.
      tsNode.push(await measure(join(root, "node_modules", ".bin", "ts-node"), ["main.ts"], root, env(join(work, `ts-node-${i}`), { [SYNTH_PATCHES_VAR]: "off" })));
    }
    process.stderr.write(`run ${i + 1}/${runs}: npm run synth ${seconds(current[i].wallMs)} s, after a change ${seconds(stale[i].wallMs)} s` + (tsNode[i] ? `, ts-node ${seconds(tsNode[i].wallMs)} s` : "") + "\n");
  }

  const identical = sameTree(join(work, "current-0"), join(work, "ts-node-0")) && sameTree(join(work, "current-0"), join(work, "stale-0"));
  const wall = (xs: Sample[]) => median(xs.map((s) => s.wallMs));
  const cpu = (xs: Sample[]) => (xs.some((s) => s.cpuMs === undefined) ? "n/a" : seconds(median(xs.map((s) => s.cpuMs!))));
  const row = (name: string, xs: Sample[]) => `| ${name} | ${xs.length} | ${seconds(wall(xs))} | ${cpu(xs)} | ${mib(maxRss(xs))} |`;
  const readmeRss = maxRss(current);
  const tsNodeRss = maxRss(tsNode);
  const out = [
    `Synth benchmark: node ${process.version}, ${cpus().length} CPU(s), ${readdirSync(join(work, "current-0", "stacks")).length} stacks; ` +
      `CPU and peak RSS via ${gnuTime ? "GNU time -v" : process.platform === "linux" ? "/proc VmHWM polling (no CPU time)" : "(unavailable)"}`,
    "",
    "| Path | Runs | Median wall (s) | Median CPU (s) | Peak RSS (MiB) |",
    "| --- | ---: | ---: | ---: | ---: |",
    row("README path: `npm run synth`, dist/ current", current),
    row("README path: `npm run synth` after an input changed (esbuild rebuilds dist/)", stale),
    row("cdktf default: `ts-node main.ts` (type-checked, cdktf unpatched)", tsNode),
    "",
    `ts-node / README path: ${(wall(tsNode) / wall(current)).toFixed(1)}x wall time` +
      (readmeRss && tsNodeRss ? `, ${(tsNodeRss / readmeRss).toFixed(1)}x peak RSS` : "") +
      `. Output identical (every file of cdktf.out): ${identical ? "yes" : "NO"}.`,
    `Budget: \`npm run synth\` with dist/ current <= ${seconds(BUDGET_MS)} s median: ${wall(current) <= BUDGET_MS ? "met" : "NOT met"} (${seconds(wall(current))} s).`,
    "(Times include npm's own start-up; the machine may be shared, so compare paths within one run.)",
  ];
  console.log(out.join("\n"));
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
