import { rmSync } from "node:fs";
import { SHARED_SYNTH_DIR_VAR } from "./helpers/synth";

export default function globalTeardown(): void {
  const dir = process.env[SHARED_SYNTH_DIR_VAR];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
