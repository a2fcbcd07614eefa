// The fabric check's npm script end to end on a saved log (the built
// dist/scripts/nccl-check.js, as `npm run nccl-check` runs it): exit 0 on a pass, 1 on a fail, 2 on bad usage.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "nccl-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("npm run nccl-check -- --parse", () => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: repo, encoding: "utf8" });
  const run = (...args: string[]) => spawnSync(process.execPath, ["dist/scripts/nccl-check.js", ...args], { cwd: repo, encoding: "utf8" });
  const log = (busbw: number) =>
    ["NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct (found 4 nics)", `  17179869184  4294967296  float  sum  -1  9000.0  ${busbw}  ${busbw}  0  9001.0  ${busbw}  ${busbw}  0`, `# Avg bus bandwidth    : ${busbw / 2}`].join("\n");

  test("passes a p4d run at 45 GB/s and fails one at 10 GB/s, with the figures", () => {
    expect(build.status).toBe(0);
    writeFileSync(join(dir, "good.log"), log(45));
    writeFileSync(join(dir, "slow.log"), log(10));
    const good = run("--parse", join(dir, "good.log"), "--instance-type", "p4d.24xlarge");
    expect([good.status, good.stdout]).toEqual([0, expect.stringContaining("bus bandwidth 45 GB/s (line rate 50 GB/s, pass >= 25)")]);
    const slow = run("--parse", join(dir, "slow.log"), "--instance-type", "p4d.24xlarge");
    expect([slow.status, slow.stdout]).toEqual([1, expect.stringContaining("FAIL: bus bandwidth below 25 GB/s")]);
  });

  test("usage errors exit 2: no environment, --parse without an instance type", () => {
    expect(run().status).toBe(2);
    expect(run("--parse", join(dir, "good.log")).stderr).toContain("--parse needs --instance-type");
    expect(run("--tag").stdout).toBe("efa1.43.2-ofi1.16.3-nccl2.27.7-1-tests2.16.9\n");
  });
});
