import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { generateOracles } from "../../scripts/lib/oracles/generate";
import { gitBlobId } from "../../scripts/lib/oracles/sources";

const REPO = resolve(__dirname, "../..");

/** A made-up upstream commit for the fixture's SOURCES.md rows. */
export const FIXTURE_COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** A small CRD as controller-gen writes it, with documentation the oracle must drop. */
export const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.demo.example.com
spec:
  group: demo.example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        description: A widget.
        type: object
        properties:
          spec:
            type: object
            properties:
              description:
                description: A field that is called description.
                type: string
              size:
                type: integer
                minimum: 1
  - name: v1beta1
    served: false
    storage: false
    schema:
      openAPIV3Schema:
        type: object
`;

/** A repository (generator sources only) and a reference directory made from scratch, for the oracle checks' failing cases. */
export interface OracleFixture {
  readonly repo: string;
  readonly reference: string;
  /** Writes a reference file and records it in SOURCES.md as a verbatim copy with its blob id. */
  addReference(refPath: string, text: string): void;
  /** Writes every file the generator derives from the reference into the repository. */
  generate(): void;
}

/** A fresh fixture holding `demo/values.yaml` and the Widget CRD, its oracles generated. */
export function oracleFixture(): OracleFixture {
  const root = mkdtempSync(join(tmpdir(), "mlp-oracles-"));
  const repo = join(root, "repo");
  const reference = join(root, "reference");
  // The check fingerprints the generator's sources in the repository it checks.
  cpSync(join(REPO, "scripts", "lib", "oracles"), join(repo, "scripts", "lib", "oracles"), { recursive: true });
  mkdirSync(join(repo, "test", "oracles"), { recursive: true });
  const rows = new Map<string, string>();
  const writeSources = () =>
    writeFileSync(
      join(reference, "SOURCES.md"),
      `# Reference data: sources\n\n## Verbatim copies\n\n| File | Bytes | Source repository | Path | Ref | Commit | Date | Last change | Version | Blob |\n|---|---|---|---|---|---|---|---|---|---|\n${[...rows.values()].join("\n")}\n`,
    );
  const fixture: OracleFixture = {
    repo,
    reference,
    addReference(refPath, text) {
      mkdirSync(dirname(join(reference, refPath)), { recursive: true });
      writeFileSync(join(reference, refPath), text);
      const blob = gitBlobId(Buffer.from(text));
      rows.set(
        refPath,
        `| \`${refPath}\` | ${Buffer.byteLength(text)} | github.com/example/demo | \`charts/${refPath}\` | \`v1.0.0\` | \`${FIXTURE_COMMIT}\` | 2026-01-01T00:00:00Z | \`${FIXTURE_COMMIT}\` (2026-01-01) | demo 1.0.0 | \`${blob}\` |`,
      );
      writeSources();
    },
    generate() {
      for (const [file, text] of generateOracles({ repoRoot: repo, referenceDir: reference })) {
        mkdirSync(dirname(join(repo, file)), { recursive: true });
        writeFileSync(join(repo, file), text);
      }
    },
  };
  fixture.addReference("demo/values.yaml", "# The chart's defaults.\nreplicas: 1 # how many\nimage:\n  tag: 1.0.0\n");
  fixture.addReference("demo/crds/demo.example.com_widgets.yaml", WIDGET_CRD);
  fixture.generate();
  return fixture;
}
