// Synthesizes every environment once for the whole test run; test files read it through synthesizeAll().
// First import, as in main.ts: cdktf's runtime patches must be in place before cdktf loads.
import "../scripts/lib/synth-runtime";
import { SHARED_SYNTH_DIR_VAR, projectEnvironments, synthesize } from "./helpers/synth";

export default function globalSetup(): void {
  const { outdir } = synthesize(projectEnvironments());
  process.env[SHARED_SYNTH_DIR_VAR] = outdir;
}
