import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SCHEMA_FILE } from "../helpers/provider-schema";

const generator = resolve(__dirname, "../../scripts/generate-provider-schemas.mjs");
const check = (...args: string[]) => spawnSync(process.execPath, [generator, "--check", ...args], { encoding: "utf8", timeout: 120_000 });

// Regenerating synthesizes every environment and parses the bindings (seconds), so it runs here, not in npm test.
describe("provider schema extract (scripts/generate-provider-schemas.mjs)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "mlp-schemas-check-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("the committed extract is exactly what the installed bindings and the current stacks give", () => {
    const run = check();
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  test("fails on an extract that lost an argument, naming the command (failing case)", () => {
    const doctored = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
    delete doctored.resource.aws_s3_bucket.force_destroy;
    const file = join(tmp, "provider-schemas.json");
    writeFileSync(file, `${JSON.stringify(doctored, null, 1)}\n`);
    const run = check("--out", file);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${file} is not what the installed bindings and the current stacks give`);
    expect(run.stderr).toContain("run npm run generate:provider-schemas");
  });
});
