// Synthesizes every environment once for the whole test run; test files read it through synthesizeAll(). The
// example environments (the shipped ones with docs/delivery.md's models) are synthesized beside them.
// First import, as in main.ts: cdktf's runtime patches must be in place before cdktf loads.
import "../scripts/lib/synth-runtime";
import { EXAMPLES_SYNTH_DIR_VAR, exampleEnvironments } from "./helpers/delivery-examples";
import { SHARED_SYNTH_DIR_VAR, projectEnvironments, synthesize } from "./helpers/synth";

export default function globalSetup(): void {
  process.env[SHARED_SYNTH_DIR_VAR] = synthesize(projectEnvironments()).outdir;
  process.env[EXAMPLES_SYNTH_DIR_VAR] = synthesize(exampleEnvironments()).outdir;
}
