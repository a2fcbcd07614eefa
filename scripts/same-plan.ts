// `node dist/scripts/same-plan.js <approved.json> <new.json>`: exits 0 when two `terraform show -json` plans make the
// same changes (same resources, actions and planned values), 1 with the differing addresses otherwise. The deploy
// workflow uses it before applying an approved plan whose inputs may have moved since it was approved.
import { readFileSync } from "node:fs";

interface PlanJson {
  readonly resource_changes?: ReadonlyArray<{ readonly address: string; readonly change: { readonly actions: readonly string[]; readonly after?: unknown; readonly after_unknown?: unknown } }>;
}

/** The changes of a plan: address → actions and the planned values (sensitive ones are compared, never printed). */
export function planChanges(plan: PlanJson): Map<string, string> {
  return new Map(
    (plan.resource_changes ?? [])
      .filter((c) => !c.change.actions.every((a) => a === "no-op" || a === "read"))
      .map((c) => [c.address, JSON.stringify({ actions: c.change.actions, after: c.change.after ?? null, unknown: c.change.after_unknown ?? null })]),
  );
}

/** The addresses whose change differs between two plans. */
export function differingAddresses(a: PlanJson, b: PlanJson): string[] {
  const x = planChanges(a);
  const y = planChanges(b);
  return [...new Set([...x.keys(), ...y.keys()])].filter((k) => x.get(k) !== y.get(k)).sort();
}

if (require.main === module) {
  const [approved, fresh] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")) as PlanJson);
  const diff = differingAddresses(approved, fresh);
  if (diff.length) {
    console.error(`the plan changed since it was approved: ${diff.join(", ")}`);
    process.exitCode = 1;
  }
}
