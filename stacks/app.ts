import { App } from "cdktf";
import type { Environment } from "../environments/lib/schema";
import { BootstrapStack } from "./bootstrap-stack";
import { FoundationStack } from "./foundation-stack";
import { MlStack } from "./ml-stack";
import { PlatformStack } from "./platform-stack";
import { TeamsStack } from "./teams-stack";

/** The parts every environment is made of, in deploy order; each becomes the stack `<env>-<part>`. */
export const STACK_PARTS = ["bootstrap", "foundation", "platform", "ml", "teams"] as const;

/** The stacks of one environment, in deploy order. */
export interface EnvironmentStacks {
  readonly bootstrap: BootstrapStack;
  readonly foundation: FoundationStack;
  readonly platform: PlatformStack;
  readonly ml: MlStack;
  readonly teams: TeamsStack;
}

/** Adds every stack of one environment to the app. */
export function addEnvironment(app: App, env: Environment): EnvironmentStacks {
  const bootstrap = new BootstrapStack(app, env);
  const foundation = new FoundationStack(app, env, bootstrap);
  const platform = new PlatformStack(app, env, bootstrap, foundation);
  const ml = new MlStack(app, env, bootstrap, foundation, platform);
  const teams = new TeamsStack(app, env, foundation, ml);
  return { bootstrap, foundation, platform, ml, teams };
}

/** Builds the whole app: every environment's stacks. Environments must already be validated. */
export function buildApp(envs: readonly Environment[], outdir?: string): App {
  const app = new App({ outdir, stackTraces: false });
  for (const env of envs) addEnvironment(app, env);
  return app;
}
