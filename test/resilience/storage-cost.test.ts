// FSx and Mountpoint in the cost ceiling (`npm run cost`): the file system billed whole, Mountpoint listed at $0.
import { FSX_THROUGHPUT_MBPS_PER_TIB } from "../../constructs/storage/fsx-lustre-rules";
import { costCeiling, HOURS_PER_30_DAYS } from "../../environments/lib/cost";
import { FSX_USD_PER_GB_MONTH, resilienceCostItems } from "../../environments/lib/resilience-cost";
import { projectEnvironments } from "../helpers/synth";

const env = (name: string) => projectEnvironments().find((e) => e.name === name)!;

describe("training storage in the cost ceiling", () => {
  test("prod's 4800 GiB at 250 MB/s/TiB is $0.21/GB-month, counted in the total; dev (no FSx) has only the $0 Mountpoint line", () => {
    const prod = costCeiling(env("prod"));
    const fsx = prod.items.find((i) => i.key === "storage/fsx-lustre")!;
    expect(fsx.usdPerHour).toBeCloseTo((4800 * 0.21) / HOURS_PER_30_DAYS, 3);
    expect(fsx.basis).toContain("4800 GiB PERSISTENT_2 SSD at 250 MB/s/TiB");
    expect(costCeiling(env("dev")).items.filter((i) => i.key.startsWith("storage/"))).toEqual([expect.objectContaining({ key: "storage/mountpoint-s3", usdPerHour: 0 })]);
  });

  test("every throughput tier the schema accepts has a price, and a tier without one names the environment and field", () => {
    for (const [type, tiers] of Object.entries(FSX_THROUGHPUT_MBPS_PER_TIB)) {
      expect([type, tiers.filter((t) => FSX_USD_PER_GB_MONTH[type as keyof typeof FSX_USD_PER_GB_MONTH][t] === undefined)]).toEqual([type, []]);
    }
    const e = env("prod");
    const odd = { ...e, resilience: { ...e.resilience, storage: { ...e.resilience.storage, fsx: { ...e.resilience.storage.fsx!, perUnitStorageThroughput: 200 } } } };
    expect(() => resilienceCostItems(odd, HOURS_PER_30_DAYS)).toThrow('environment "prod": resilience.storage.fsx.perUnitStorageThroughput: no price for 200');
  });
});
