// `npm run bench`: synth wall time and peak RSS of the README path (esbuild build + plain node) against
// cdktf's default path (ts-node with type-checking) on the same app. A benchmark, not a test: it prints
// numbers and never fails on them. Usage: node dist/scripts/bench.js [--runs 5] [--ts-node-runs 2]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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
      if (gnuTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, "utf8"));
        peakRssKiB = m ? Number(m[1]) : undefined;
        rmSync(timeFile, { force: true });
      }
      resolvePromise({ wallMs, peakRssKiB });
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

/** Every synthesized stack file under an outdir, for checking that both paths write the same bytes. */
function stackFiles(outdir: string): Map<string, string> {
  const stacks = join(outdir, "stacks");
  return new Map(readdirSync(stacks).sort().map((id) => [id, readFileSync(join(stacks, id, "cdk.tf.json"), "utf8")]));
}

async function main(): Promise<void> {
  const root = repoRoot();
  const runs = flag("--runs", 5);
  const tsNodeRuns = flag("--ts-node-runs", 2);
  const work = mkdtempSync(join(tmpdir(), "mlp-bench-"));
  // Each run writes to its own temp outdir (cdktf's App honours CDKTF_OUTDIR when no outdir is passed).
  const env = (outdir: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
    for (const k of Object.keys(e)) if (k.startsWith("TS_NODE_")) delete e[k];
    return e;
  };

  const build: Sample[] = [];
  const synth: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = join(work, `readme-${i}`);
    build.push(await measure(process.execPath, [join(root, "scripts", "build.mjs")], root, env(outdir)));
    synth.push(await measure(process.execPath, [join(root, "dist", "main.js")], root, env(outdir)));
    process.stderr.write(`README path run ${i + 1}/${runs}: build ${seconds(build[i].wallMs)} s, synth ${seconds(synth[i].wallMs)} s\n`);
  }
  const tsNode: Sample[] = [];
  for (let i = 0; i < tsNodeRuns; i++) {
    // ts-node type-checks by default, as in cdktf's TypeScript template (`"app": "npx ts-node main.ts"`).
    tsNode.push(await measure(join(root, "node_modules", ".bin", "ts-node"), ["main.ts"], root, env(join(work, `ts-node-${i}`))));
    process.stderr.write(`ts-node run ${i + 1}/${tsNodeRuns}: ${seconds(tsNode[i].wallMs)} s\n`);
  }

  const a = stackFiles(join(work, "readme-0"));
  const b = stackFiles(join(work, "ts-node-0"));
  const identical = a.size === b.size && [...a].every(([id, text]) => b.get(id) === text);

  const total = build.map((s, i) => s.wallMs + synth[i].wallMs);
  const readmeMs = median(total);
  const tsNodeMs = median(tsNode.map((s) => s.wallMs));
  const readmeRss = maxRss([...build, ...synth]);
  const tsNodeRss = maxRss(tsNode);
  const rows: Array<[string, number, string, string]> = [
    ["`node scripts/build.mjs` (esbuild transpile, no type-check)", runs, seconds(median(build.map((s) => s.wallMs))), mib(maxRss(build))],
    ["`node dist/main.js` (synth every environment)", runs, seconds(median(synth.map((s) => s.wallMs))), mib(maxRss(synth))],
    ["README path: build + synth (`npm run synth`)", runs, seconds(readmeMs), mib(readmeRss)],
    ["cdktf default: `ts-node main.ts` (type-checked)", tsNodeRuns, seconds(tsNodeMs), mib(tsNodeRss)],
  ];
  const out = [
    `Synth benchmark: node ${process.version}, ${cpus().length} CPU(s), ${readdirSync(join(work, "readme-0", "stacks")).length} stacks; ` +
      `peak RSS via ${gnuTime ? "GNU time -v" : process.platform === "linux" ? "/proc VmHWM polling" : "(unavailable)"}`,
    "",
    "| Path | Runs | Median wall (s) | Peak RSS (MiB) |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `ts-node / README path: ${(tsNodeMs / readmeMs).toFixed(1)}x wall time` +
      (readmeRss && tsNodeRss ? `, ${(tsNodeRss / readmeRss).toFixed(1)}x peak RSS` : "") +
      `. Synthesized stacks identical: ${identical ? "yes" : "NO"}.`,
    "(Total excludes npm's own start-up; each step's peak RSS is the largest process of that step.)",
  ];
  console.log(out.join("\n"));
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
