// Entry point of `npm run synth` / `cdktf synth`: discover environments/*.ts, validate all, synthesize.
// Nothing imports this file. Validation runs before any stack exists, so a bad environment writes nothing.
import { join } from "node:path";
import { EnvironmentError, loadEnvironments } from "./environments/lib/load";
import { buildApp } from "./stacks/app";

try {
  const envs = loadEnvironments(join(__dirname, "environments"));
  buildApp(envs).synth();
} catch (e) {
  if (e instanceof EnvironmentError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
