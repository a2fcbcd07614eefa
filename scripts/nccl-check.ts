// `npm run nccl-check -- <env> [--nodes N] [--timeout-minutes M]`: the EFA fabric check after a deploy. Applies a
// TrainJob of the `nccl-tests-efa` runtime on N EFA nodes (default 2) with kubectl (current context: the environment's
// cluster), waits for it, reads the launcher's log and holds the largest message's bus bandwidth against the instance
// type's expected figure (constructs/resilience/nccl-tests.ts). `-- --parse <log> --instance-type <type>` only judges a
// saved log; `-- --tag` prints the versions label the pull-request build check tags its build with. Exit code 0 pass, 1 fail, 2 usage.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expectedBusBandwidth, NCCL_TESTS_TAG, ncclTestsTrainJob, parseAllReduceLog } from "../constructs/resilience/nccl-tests";
import { TRAINING_NAMESPACE } from "../constructs/resilience/training-storage-layout";
import { EnvironmentError, loadEnvironments } from "../environments/lib/load";

/** The verdict on one all_reduce_perf log for an instance type. */
export function judge(log: string, instanceType: string): { pass: boolean; lines: string[] } {
  const result = parseAllReduceLog(log);
  const expected = expectedBusBandwidth(instanceType);
  if (!result) return { pass: false, lines: ["no all_reduce_perf results in the log (did the launcher run?)"] };
  if (!expected) return { pass: false, lines: [`no expected bus bandwidth for ${instanceType}: add it to EFA_NETWORK_MBPS`] };
  const lines = [
    `largest message ${result.largestBytes} B: bus bandwidth ${result.largestBusBwGBps} GB/s (line rate ${expected.lineRateGBps} GB/s, pass >= ${expected.passGBps})`,
    `average bus bandwidth ${result.avgBusBwGBps} GB/s`,
  ];
  const problems = [
    ...(result.efaSelected ? [] : ["NCCL did not report the EFA provider (NET/OFI): it ran over sockets"]),
    ...(result.wrongResults > 0 ? [`${result.wrongResults} results were wrong (-c 1)`] : []),
    ...(result.largestBusBwGBps < expected.passGBps ? [`bus bandwidth below ${expected.passGBps} GB/s`] : []),
  ];
  return { pass: problems.length === 0, lines: [...lines, ...problems.map((p) => `FAIL: ${p}`), ...(problems.length ? [] : ["PASS"])] };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function kubectl(args: string[], input?: string): string {
  return execFileSync("kubectl", args, { encoding: "utf8", input, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"] });
}

function main(): number {
  if (process.argv.includes("--tag")) {
    process.stdout.write(`${NCCL_TESTS_TAG}\n`);
    return 0;
  }
  const saved = arg("--parse");
  if (saved) {
    const type = arg("--instance-type");
    if (!type) return usage("--parse needs --instance-type");
    const v = judge(readFileSync(saved, "utf8"), type);
    process.stdout.write(`${v.lines.join("\n")}\n`);
    return v.pass ? 0 : 1;
  }
  const envName = process.argv[2];
  if (!envName || envName.startsWith("-")) return usage("name an environment");
  const env = loadEnvironments(join(__dirname, "..", "environments")).find((e) => e.name === envName);
  if (!env) return usage(`no environment ${envName}`);
  if (env.compute.efa.mode === "disabled") return usage(`environment ${envName} has no EFA pool (compute.efa.mode disabled)`);
  const nodes = Number(arg("--nodes") ?? 2);
  const timeout = Number(arg("--timeout-minutes") ?? 45);
  const name = `nccl-check-${Date.now().toString(36)}`;
  kubectl(["apply", "-f", "-"], JSON.stringify(ncclTestsTrainJob(name, nodes)));
  process.stderr.write(`TrainJob ${TRAINING_NAMESPACE}/${name} on ${nodes} EFA nodes; waiting up to ${timeout} min (new nodes take minutes)\n`);
  const selector = `jobset.sigs.k8s.io/jobset-name=${name},jobset.sigs.k8s.io/replicatedjob-name=launcher`;
  try {
    kubectl(["wait", "-n", TRAINING_NAMESPACE, "--for=condition=Complete", `trainjob/${name}`, `--timeout=${timeout}m`]);
  } catch {
    process.stderr.write("the TrainJob did not complete; judging whatever the launcher logged\n");
  }
  const log = kubectl(["logs", "-n", TRAINING_NAMESPACE, "-l", selector, "--tail=-1"]);
  const node = kubectl(["get", "pods", "-n", TRAINING_NAMESPACE, "-l", `jobset.sigs.k8s.io/jobset-name=${name},jobset.sigs.k8s.io/replicatedjob-name=node`, "-o", "jsonpath={.items[0].spec.nodeName}"]).trim();
  const type = node ? kubectl(["get", "node", node, "-o", "jsonpath={.metadata.labels.node\\.kubernetes\\.io/instance-type}"]).trim() : env.compute.efa.instanceTypes[0];
  const v = judge(log, type);
  process.stdout.write(`${v.lines.join("\n")}\n(kubectl delete trainjob -n ${TRAINING_NAMESPACE} ${name} when done)\n`);
  return v.pass ? 0 : 1;
}

function usage(why: string): number {
  process.stderr.write(`nccl-check: ${why}\nusage: npm run nccl-check -- <env> [--nodes N] [--timeout-minutes M] | --parse <log> --instance-type <type> | --tag\n`);
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (e) {
    if (e instanceof EnvironmentError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
