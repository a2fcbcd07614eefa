import { rmSync } from "node:fs";
import { EXAMPLES_SYNTH_DIR_VAR } from "./helpers/delivery-examples";
import { SHARED_SYNTH_DIR_VAR } from "./helpers/synth";

export default function globalTeardown(): void {
  for (const v of [SHARED_SYNTH_DIR_VAR, EXAMPLES_SYNTH_DIR_VAR]) {
    const dir = process.env[v];
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
