// `npm run -s stacks -- <command> <env> [options]`: plans, applies and destroys one environment's synthesized stacks
// with plain `terraform` (or OpenTofu: --terraform tofu) in dependency order, from cdktf.out/stacks/<stack>. It needs
// no cdktf CLI: it runs exactly what the README shows by hand, and the workflows call it.
//
//   order     <env>   print the stacks in apply order
//   bootstrap <env>   first apply of <env>-bootstrap: local state, then moved into the state bucket it created
//   plan      <env>   init and plan every stack (saved as cdktf.out/stacks/<stack>/tfplan)
//   apply     <env>   init and apply every stack in order (the saved plan with --saved-plan)
//   destroy   <env>   destroy every stack but bootstrap, in reverse order
// Options: --stacks <part,part> (only these parts: bootstrap, foundation, platform, ml, teams), --terraform <binary>,
//          --auto-approve, --saved-plan, --lock-false (plans without taking the state lock), --dry-run (print commands).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyOrder, readManifest } from "./lib/stack-order";

export const STACK_COMMANDS = ["order", "bootstrap", "plan", "apply", "destroy"] as const;
type Command = (typeof STACK_COMMANDS)[number];

/** Name of the override file that points the bootstrap stack at local state for its first apply. */
export const LOCAL_STATE_OVERRIDE = "bootstrap_local_override.tf.json";

export interface StackRun {
  readonly command: Command;
  readonly env: string;
  readonly outdir: string;
  readonly terraform: string;
  readonly parts?: readonly string[];
  readonly autoApprove: boolean;
  readonly savedPlan: boolean;
  readonly lockFalse: boolean;
}

/** One step: a terraform invocation in a stack directory, or a file written/removed there. */
export type Step = { readonly run: readonly string[] } | { readonly write: string; readonly content: string } | { readonly remove: string };

/** The steps of a run, in order (what --dry-run prints and what runs otherwise). */
export function steps(r: StackRun): Step[] {
  const m = readManifest(r.outdir);
  let stacks = applyOrder(m, r.env);
  if (r.parts) stacks = stacks.filter((s) => r.parts!.includes(s.slice(r.env.length + 1)));
  const dir = (s: string) => join(r.outdir, m.stacks[s].workingDirectory);
  const tf = (s: string, ...args: string[]) => ({ run: [r.terraform, `-chdir=${dir(s)}`, ...args] });
  const init = (s: string, ...extra: string[]) => tf(s, "init", "-input=false", ...extra);
  const approve = r.autoApprove ? ["-auto-approve"] : [];
  switch (r.command) {
    case "order":
      return [];
    case "bootstrap": {
      const s = `${r.env}-bootstrap`;
      const override = join(dir(s), LOCAL_STATE_OVERRIDE);
      return [
        { write: override, content: `${JSON.stringify({ terraform: { backend: { local: { path: "bootstrap.tfstate" } } } }, null, 2)}\n` },
        init(s),
        tf(s, "apply", "-input=false", ...approve),
        { remove: override },
        // Terraform copies the local state into the bucket the apply just created, then the stack is like any other.
        init(s, "-migrate-state", "-force-copy"),
        { remove: join(dir(s), "bootstrap.tfstate") },
      ];
    }
    case "plan":
      return stacks.flatMap((s) => [init(s), tf(s, "plan", "-input=false", ...(r.lockFalse ? ["-lock=false"] : []), "-out=tfplan")]);
    case "apply":
      return stacks.flatMap((s) => [init(s), r.savedPlan ? tf(s, "apply", "-input=false", "tfplan") : tf(s, "apply", "-input=false", ...approve)]);
    case "destroy": {
      // The bootstrap stack holds the state of the others and what outlives the environment: it is never destroyed here.
      const doomed = [...stacks].reverse().filter((s) => !s.endsWith("-bootstrap"));
      // Terraform would destroy the later stacks and only then stop at the first protected resource: refuse up front.
      const protectedResources = doomed.flatMap((s) => protectedIn(s, join(r.outdir, m.stacks[s].synthesizedStackPath)));
      if (protectedResources.length) {
        const shown = protectedResources.slice(0, 5).join(", ");
        throw new Error(`${r.env}: refusing to destroy: ${protectedResources.length} resource(s) carry prevent_destroy (${shown}${protectedResources.length > 5 ? ", ..." : ""}); a production-tier environment is torn down only by a reviewed change that removes those protections first`);
      }
      return doomed.flatMap((s) => [init(s), tf(s, "destroy", "-input=false", ...approve)]);
    }
  }
}

/** `<stack>: <type>.<name>` of every resource of a synthesized stack with `lifecycle.prevent_destroy`. */
function protectedIn(stack: string, file: string): string[] {
  const json = JSON.parse(readFileSync(file, "utf8")) as { resource?: Record<string, Record<string, { lifecycle?: { prevent_destroy?: boolean } }>> };
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, cfg]) => cfg.lifecycle?.prevent_destroy === true)
      .map(([name]) => `${stack}: ${type}.${name}`),
  );
}

/** Parses `<command> <env> [options]` as the CLI does. */
export function parseStackArgs(argv: readonly string[]): StackRun {
  const [command, env] = argv;
  if (!(STACK_COMMANDS as readonly string[]).includes(command) || !env || env.startsWith("-")) {
    throw new Error(`usage: npm run -s stacks -- <${STACK_COMMANDS.join("|")}> <env> [--stacks part,part] [--terraform bin] [--auto-approve] [--saved-plan] [--lock-false] [--dry-run]`);
  }
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    command: command as Command,
    env,
    outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out",
    terraform: value("--terraform") ?? "terraform",
    parts: value("--stacks")?.split(","),
    autoApprove: argv.includes("--auto-approve"),
    savedPlan: argv.includes("--saved-plan"),
    lockFalse: argv.includes("--lock-false"),
  };
}

function main(argv: readonly string[]): number {
  // `| head` closing the pipe early is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
  const run = parseStackArgs(argv);
  if (run.command === "order") {
    process.stdout.write(`${applyOrder(readManifest(run.outdir), run.env).join("\n")}\n`);
    return 0;
  }
  for (const step of steps(run)) {
    if (argv.includes("--dry-run")) {
      process.stdout.write(`${"run" in step ? step.run.join(" ") : "write" in step ? `write ${step.write}` : `remove ${step.remove}`}\n`);
      continue;
    }
    if ("write" in step) writeFileSync(step.write, step.content);
    else if ("remove" in step) rmSync(step.remove, { force: true });
    else {
      const res = spawnSync(step.run[0], step.run.slice(1), { stdio: "inherit" });
      if (res.error) throw new Error(`${step.run[0]}: ${res.error.message}`);
      if (res.status !== 0) return res.status ?? 1;
    }
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
}
