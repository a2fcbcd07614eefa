// Entry point of `npm run synth` / `cdktf synth`: discover environments/*.ts, validate all, synthesize.
// Nothing imports this file. Validation runs before any stack exists, so a bad environment writes nothing.
// First import: it patches cdktf for speed before anything loads cdktf (scripts/lib/synth-runtime.ts).
import { setAsidePreviousAssets } from "./scripts/lib/synth-runtime";
import { join } from "node:path";
import { checkBudgets } from "./environments/lib/cost";
import { EnvironmentError, loadEnvironments } from "./environments/lib/load";
import { buildApp } from "./stacks/app";

try {
  const envs = loadEnvironments(join(__dirname, "environments"));
  const budgets = checkBudgets(envs);
  for (const w of budgets.warnings) console.error(`warning: ${w}`);
  if (budgets.errors.length) throw new EnvironmentError(budgets.errors);
  const app = buildApp(envs);
  void setAsidePreviousAssets(app.outdir);
  app.synth();
} catch (e) {
  if (e instanceof EnvironmentError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
