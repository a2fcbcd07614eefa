import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PolicyDocument, PolicyStatement } from "../../constructs/iam/policy";
import type { TerraformJson } from "./synth";

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";

// App creates `<outdir>/stacks` on construction; Testing.synth renders in memory and writes nothing else.
// One fixed, pre-created dir keeps test runs from piling up temp dirs (recursive mkdir is race-free).
const OUTDIR = join(tmpdir(), "mlp-construct-tests");

/** A cdktf App for in-memory synthesis with `Testing.synth`. */
export function testApp(): App {
  mkdirSync(join(OUTDIR, "stacks"), { recursive: true });
  return Testing.app({ outdir: OUTDIR });
}

/** Parsed `Testing.synth` output of one stack. */
export function synthStack(stack: TerraformStack): TerraformJson {
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** Builds constructs in a minimal stack (one AwsProvider) and returns the parsed synthesized JSON. */
export function synthConstruct<T>(build: (stack: TerraformStack) => T): { json: TerraformJson; built: T } {
  const stack = new TerraformStack(testApp(), "test");
  new AwsProvider(stack, "aws", { region: REGION });
  const built = build(stack);
  return { json: synthStack(stack), built };
}

/** All resources of one type, keyed by logical id. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function ofType(json: TerraformJson, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}

/** The single resource of a type as [logicalId, config]; fails when there is not exactly one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function single(json: TerraformJson, type: string): [string, any] {
  const entries = Object.entries(ofType(json, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}: ${entries.map(([id]) => id).join(", ")}`);
  return entries[0];
}

/** The resource of a type whose config satisfies `match`, as [logicalId, config]; fails unless exactly one does. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function find(json: TerraformJson, type: string, match: (cfg: any) => boolean): [string, any] {
  const hits = Object.entries(ofType(json, type)).filter(([, cfg]) => match(cfg));
  if (hits.length !== 1) throw new Error(`expected exactly one matching ${type}, found ${hits.length}`);
  return hits[0];
}

/** A Terraform reference expression as cdktf renders it: `${type.id.attr}`. */
export function ref(type: string, logicalId: string, attr = "id"): string {
  return `\${${type}.${logicalId}.${attr}}`;
}

/** The logical id a reference expression points to (`${aws_x.id.attr}` -> id), checking the type. */
export function target(expression: string, type: string): string {
  const m = new RegExp(`^\\$\\{${type}\\.([^.}]+)\\.[^}]+\\}$`).exec(expression);
  if (!m) throw new Error(`${JSON.stringify(expression)} is not a reference to a ${type}`);
  return m[1];
}

/** The `depends_on` entries of a resource as `type.id` strings. */
export function dependsOn(cfg: { depends_on?: string[] }): string[] {
  return cfg.depends_on ?? [];
}

/** Parses a policy document attribute (rendered by policyJson). */
export function policyDoc(text: string): PolicyDocument {
  return JSON.parse(text) as PolicyDocument;
}

/** Statement actions as an array. */
export function actionsOf(s: PolicyStatement): readonly string[] {
  return typeof s.Action === "string" ? [s.Action] : s.Action;
}
