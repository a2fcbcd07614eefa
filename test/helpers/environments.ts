import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentError, validateEnvironment } from "../../environments/lib/load";
import stagingInput from "../../environments/staging";

/**
 * An environment input loose enough to break on purpose (wrong types, unknown keys, missing fields).
 * Validation tests write invalid shapes deliberately, so the static type must not stop them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseInput = any;

/** A deep clone of environments/staging.ts's input with one thing broken by `mutate`. */
export function brokenStaging(mutate: (input: LooseInput) => void): LooseInput {
  const input: LooseInput = structuredClone(stagingInput);
  mutate(input);
  return input;
}

/** The problems `validateEnvironment` reports; fails the test when the input is accepted. */
export function problemsOf(name: string, input: unknown): readonly string[] {
  try {
    validateEnvironment(name, input);
  } catch (e) {
    if (e instanceof EnvironmentError) return e.problems;
    throw e;
  }
  throw new Error(`environment "${name}" was accepted but should have been rejected`);
}

const created: string[] = [];

/** A temp directory of CommonJS environment modules (`exports.default = ...`), as the built dist/ has them. */
export function environmentDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mlp-envs-"));
  created.push(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** Removes every directory `environmentDir` made (call from afterAll). */
export function removeEnvironmentDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The text of a CommonJS environment module exporting `input`. */
export function environmentModule(input: unknown): string {
  return `"use strict";\nexports.default = ${JSON.stringify(input, null, 2)};\n`;
}

/**
 * The `index`-th /16 of 10.0.0.0/8 that overlaps no project environment's VPC, for fixtures compared against the
 * real environments: a fork's range (any range a team picks) must not make such a test fail.
 */
export function unusedVpcCidr(index: number, taken: readonly string[]): string {
  const used = taken.map((c) => {
    const [addr, bits] = c.split("/");
    const [a, b] = addr.split(".").map(Number);
    return { a, b, bits: Number(bits) };
  });
  const free: string[] = [];
  for (let k = 0; k < 256 && free.length <= index; k++) {
    // A /16 10.k overlaps a range when that range covers it (/8../16 starting at 10.k's block) or lies inside it.
    const clash = used.some((u) => u.a === 10 && (u.bits >= 16 ? u.b === k : k >> (16 - u.bits) === u.b >> (16 - u.bits)));
    if (!clash) free.push(`10.${k}.0.0/16`);
  }
  if (free.length <= index) throw new Error("no unused /16 left in 10.0.0.0/8");
  return free[index];
}
