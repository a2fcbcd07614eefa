"use strict";
// Provenance of the reference data: parses ../shared/reference/SOURCES.md and computes git blob ids, so every oracle
// can say which upstream file, commit and blob it was derived from.
const { createHash } = require("node:crypto");
const { readdirSync, statSync } = require("node:fs");
const { isAbsolute, join, resolve } = require("node:path");

const HEX40 = /^[0-9a-f]{40}$/;

/** The reference directory: `ML_PLATFORM_REFERENCE_DIR` (relative to the repository root) or `<repo>/../shared/reference`. */
function referenceDir(repoRoot, env = process.env) {
  const fromEnv = env.ML_PLATFORM_REFERENCE_DIR;
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(repoRoot, fromEnv);
  return resolve(repoRoot, "..", "shared", "reference");
}

/** The id git gives these bytes as a blob (`git hash-object`). */
function gitBlobId(bytes) {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Every file below `dir`, as sorted paths relative to it with `/` separators. */
function listFiles(dir, prefix = "") {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) return listFiles(dir, rel);
      return e.isFile() || statSync(join(dir, rel)).isFile() ? [rel] : [];
    })
    .sort();
}

// | `file` | bytes | github.com/o/r | `path` | `ref` | `commit` | date | last change | chart version | `blob` |
const VERBATIM_ROW =
  /^\| `([^`]+)` \| \d+ \| (github\.com\/[^\s|]+) \| `([^`]+)` \| `([^`]+)` \| `([0-9a-f]{40})` \| [^|]+ \| [^|]+ \| ([^|]+) \| `([0-9a-f]{40})` \|$/;

/**
 * Files the reference holds as extracts of an upstream document rather than verbatim copies. SOURCES.md describes
 * each in prose, with abbreviated commits and without the source document's blob id; the full commit and the blob
 * (`git rev-parse <commit>:<path>`) were read from a mirror of each repository on 2026-11-29. `section` names the
 * SOURCES.md heading whose text must mention the file, the path and the commit, so this table cannot drift from it.
 */
const DERIVED = [
  {
    files: /^karpenter\/iam\//,
    section: "### Karpenter IAM",
    repository: "github.com/aws/karpenter-provider-aws",
    ref: "main",
    commit: "1d927085dd81a9df9301e613f371dac5b4d16bfe",
    path: "website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml",
    blob: "2c2ca72301a002c68185979fc4d2c8dab0f9c13a",
  },
  {
    files: /^feast\/iam\/dynamodb-/,
    section: "### Feast IAM",
    repository: "github.com/feast-dev/feast",
    ref: "v0.66.0",
    commit: "1d5be950cf718a674cb01eaf0fd0ad6f0a4c6335",
    path: "docs/reference/online-stores/dynamodb.md",
    blob: "faf2f9a15b8dcbfa7dfbb0de70af3dcd77052872",
  },
  {
    files: /^feast\/iam\/redshift-/,
    section: "### Feast IAM",
    repository: "github.com/feast-dev/feast",
    ref: "v0.66.0",
    commit: "1d5be950cf718a674cb01eaf0fd0ad6f0a4c6335",
    path: "docs/reference/offline-stores/redshift.md",
    blob: "e33a1856cb21a1c53529a8ec543cc58dfb88e90e",
  },
  {
    files: /^aws-fsx-csi-driver\/iam\//,
    section: "### FSx for Lustre CSI driver IAM",
    repository: "github.com/kubernetes-sigs/aws-fsx-csi-driver",
    ref: "helm-chart-aws-fsx-csi-driver-1.17.0",
    commit: "5b227125add708cd0b87c76abe1a4c074e71dfc5",
    path: "docs/install.md",
    blob: "97721a9e4ac3a410645c263599c8a27afe0db1f0",
  },
  {
    files: /^aws-mountpoint-s3-csi-driver\/iam\//,
    section: "### Mountpoint for Amazon S3 IAM",
    repository: "github.com/awslabs/mountpoint-s3",
    ref: "v1.22.3",
    commit: "1141b9514fdd1bc85fc25683d2b386a5c185f913",
    path: "doc/CONFIGURATION.md",
    blob: "a02da2042b5caf552f8f5bf93b9125abfcf7a706",
  },
  {
    files: /^karpenter\/(instance-types\.tsv|docs\/instance-types\.md)$/,
    section: "## Instance catalog and prices",
    repository: "github.com/aws/karpenter-provider-aws",
    ref: "main",
    commit: "1d927085dd81a9df9301e613f371dac5b4d16bfe",
    path: "website/content/en/docs/reference/instance-types.md",
    blob: "f22c5c00325d8a37350d7880e3a26efb359d20d7",
  },
  {
    files: /^pricing\/ec2-on-demand-linux\.tsv$/,
    section: "## Instance catalog and prices",
    repository: "github.com/aws/karpenter-provider-aws",
    ref: "main",
    commit: "6fc13b5236fd04fd16ff3f9dc7490d0813994099",
    path: "pkg/providers/pricing/zz_generated.pricing_aws.go",
    blob: "f9e947e9f370b3646a3635d99fdc4622d084166d",
  },
];

/** The text of a SOURCES.md section: from its heading to the next heading of the same or a higher level. */
function sectionText(markdown, heading) {
  const start = markdown.indexOf(`\n${heading}`);
  if (start < 0) return undefined;
  const level = heading.split(" ")[0];
  const rest = markdown.slice(start + heading.length + 1);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

/** What the table row that names `file` in a section says it was extracted from (its cells but the name and size). */
function rowDescription(section, file) {
  const rows = section.split("\n").filter((l) => /^\| `[^`]+` \|/.test(l));
  const at = rows.findIndex((l) => l.startsWith(`| \`${file}\` |`));
  if (at < 0) return undefined;
  const cells = rows[at].split(" | ").slice(1).map((c) => c.replace(/\s*\|$/, "").trim());
  const text = cells.filter((c) => !/^\d+$/.test(c)).join("; ").replace(/`/g, "");
  // A row may point at the one before it; name that file, since the oracle is read without the table.
  return at > 0 ? text.replace("the file above", /^\| `([^`]+)`/.exec(rows[at - 1])[1]) : text;
}

/**
 * Provenance of every file SOURCES.md records, keyed by path in the reference directory: repository, ref, commit,
 * path in the repository and git blob; derived files also say what they were extracted from. Throws when a derived
 * entry no longer matches what SOURCES.md says.
 */
function parseSources(markdown) {
  const out = new Map();
  for (const line of markdown.split("\n")) {
    const m = VERBATIM_ROW.exec(line.trim());
    if (!m) continue;
    const [, file, repository, path, ref, commit, version, blob] = m;
    out.set(file, { repository, ref, commit, path, blob, version: version.trim() });
  }
  for (const d of DERIVED) {
    const section = sectionText(markdown, d.section);
    // Without the section nothing is recorded from it; a reference file it would cover then has no provenance,
    // which the generator reports for that file.
    if (!section) continue;
    for (const needle of [d.path, d.commit.slice(0, 8)]) {
      if (!section.includes(needle)) throw new Error(`SOURCES.md section "${d.section}" no longer mentions ${needle}: update DERIVED in scripts/lib/oracles/sources.js`);
    }
    const files = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]).filter((f) => d.files.test(f));
    for (const file of files) {
      out.set(file, {
        repository: d.repository,
        ref: d.ref,
        commit: d.commit,
        path: d.path,
        blob: d.blob,
        derived: rowDescription(section, file),
      });
    }
  }
  return out;
}

module.exports = { HEX40, DERIVED, gitBlobId, listFiles, parseSources, referenceDir };
