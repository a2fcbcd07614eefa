"use strict";
// Whether the committed oracles are current. Without the reference directory: each oracle's data matches its
// recorded hash, provenance is well-formed, the index matches the files and the generator. With it, also: every
// reference file has an oracle, none changed since, and regenerated oracles equal the committed bytes.
const { existsSync, readFileSync } = require("node:fs");
const { isDeepStrictEqual } = require("node:util");
const { join } = require("node:path");
const { CATALOG, readCatalogModule } = require("./catalog");
const { crdSummary } = require("./derive");
const { sha256 } = require("./json");
const generate = require("./generate");
const { HEX40, gitBlobId, listFiles, parseSources } = require("./sources");

const RERUN = `run \`${generate.COMMAND}\``;
const REPOSITORY = /^github\.com\/[\w.-]+\/[\w.-]+$/;

/** Problems with one oracle's provenance record (empty when every field is present and well-formed). */
function provenanceProblems(source, refPath) {
  const out = [];
  if (!source || typeof source !== "object") return ["has no source record"];
  if (source.referenceFile !== refPath) out.push(`source.referenceFile is ${JSON.stringify(source.referenceFile)}, not ${refPath}`);
  if (!REPOSITORY.test(source.repository ?? "")) out.push(`source.repository ${JSON.stringify(source.repository)} is not github.com/<owner>/<name>`);
  for (const k of ["ref", "path"]) if (typeof source[k] !== "string" || !source[k]) out.push(`source.${k} is missing`);
  for (const k of ["commit", "blob", "referenceBlob"]) if (!HEX40.test(source[k] ?? "")) out.push(`source.${k} ${JSON.stringify(source[k])} is not a 40-hex git id`);
  // A verbatim copy is the upstream blob itself; only an extract may differ from it.
  if (!source.derivedFrom && source.blob !== source.referenceBlob) out.push("source.blob differs from source.referenceBlob but the file is not marked as derived");
  return out;
}

/** An oracle file read back: its record and data, or a reason it cannot be read. */
function readOracle(repoRoot, refPath, entry) {
  const path = join(repoRoot, entry.file);
  if (!existsSync(path)) return { error: "is missing" };
  const text = readFileSync(path, "utf8");
  try {
    if (entry.kind === "catalog") return { text, ...readCatalogModule(text, CATALOG[refPath].constant), kind: "catalog" };
    const o = JSON.parse(text);
    return { text, record: { source: o.source, sha256: o.sha256 }, data: o.data, kind: o.kind };
  } catch (e) {
    return { error: `cannot be read (${e.message})` };
  }
}

/**
 * Checks the oracles of the repository at `repoRoot`. `referenceDir` (optional) enables the checks against the
 * reference data; `regenerate` is "all" to rebuild every oracle in memory and compare bytes, or a predicate on
 * reference paths to rebuild only those. Returns `{ problems, oracles, regenerated, referenceChecked }`; each
 * problem names the file and, where regeneration fixes it, the command.
 */
function checkOracles({ repoRoot, referenceDir, regenerate }) {
  const problems = [];
  const indexPath = join(repoRoot, generate.INDEX_FILE);
  if (!existsSync(indexPath)) return { problems: [`${generate.INDEX_FILE} is missing: ${RERUN}`], oracles: 0, regenerated: 0, referenceChecked: false };
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  const entries = Object.entries(index.oracles ?? {});

  if (index.generator !== generate.generatorFingerprint(repoRoot)) problems.push(`${generate.INDEX_FILE}: the generator changed since the oracles were generated: ${RERUN}`);
  const readme = join(repoRoot, generate.README_FILE);
  if (!existsSync(readme) || readFileSync(readme, "utf8") !== generate.README_TEXT) problems.push(`${generate.README_FILE} differs or is missing: ${RERUN}`);

  const loaded = new Map();
  for (const [refPath, entry] of entries) {
    const at = entry.file ?? refPath;
    if (entry.kind !== generate.kindOf(refPath) || entry.file !== generate.oraclePath(refPath)) {
      problems.push(`${generate.INDEX_FILE}: ${refPath} maps to ${entry.kind} ${entry.file}, the generator says ${generate.kindOf(refPath)} ${generate.oraclePath(refPath)}: ${RERUN}`);
      continue;
    }
    const o = readOracle(repoRoot, refPath, entry);
    if (o.error) {
      problems.push(`${at} ${o.error}: ${RERUN}`);
      continue;
    }
    loaded.set(refPath, o);
    if (o.kind !== entry.kind) problems.push(`${at}: kind ${JSON.stringify(o.kind)}, the index says ${entry.kind}: ${RERUN}`);
    const actual = sha256(o.data);
    if (o.record.sha256 !== actual) problems.push(`${at}: its data hashes to ${actual}, not the recorded ${o.record.sha256} (edited by hand?): ${RERUN}`);
    for (const p of provenanceProblems(o.record.source, refPath)) problems.push(`${at}: ${p}: ${RERUN}`);
    if (entry.kind === "crd" && (!Array.isArray(o.data) || !isDeepStrictEqual(entry.crds, crdSummary(o.data)))) {
      problems.push(`${generate.INDEX_FILE}: the CRD summary of ${refPath} does not match ${at}: ${RERUN}`);
    }
  }

  const known = new Set([generate.INDEX_FILE, generate.README_FILE, ...entries.map(([, e]) => e.file)]);
  for (const f of listFiles(join(repoRoot, generate.ORACLE_DIR))) {
    const file = `${generate.ORACLE_DIR}/${f}`;
    if (!known.has(file)) problems.push(`${file} is not in ${generate.INDEX_FILE} (left over?): ${RERUN}`);
  }

  let regenerated = 0;
  const referenceChecked = !!referenceDir && existsSync(join(referenceDir, "SOURCES.md"));
  if (referenceChecked) {
    problems.push(...referenceProblems(repoRoot, referenceDir, index, loaded));
    if (regenerate) {
      const only = regenerate === "all" ? undefined : regenerate;
      let files = new Map();
      try {
        files = generate.generateOracles({ repoRoot, referenceDir, only });
      } catch (e) {
        problems.push(`cannot regenerate the oracles: ${e.message}`);
      }
      regenerated = files.size;
      for (const [file, text] of files) {
        const path = join(repoRoot, file);
        if (!existsSync(path)) problems.push(`${file} is missing: ${RERUN}`);
        else if (readFileSync(path, "utf8") !== text) problems.push(`${file} differs from what the generator derives from ${referenceDir}: ${RERUN}`);
      }
    }
  }
  return { problems: [...new Set(problems)], oracles: entries.length, regenerated, referenceChecked };
}

/** Coverage and freshness against the reference directory, without deriving anything (hashing only). */
function referenceProblems(repoRoot, referenceDir, index, loaded) {
  const problems = [];
  const refFiles = listFiles(referenceDir);
  let planned;
  try {
    planned = generate.plan(refFiles);
  } catch (e) {
    return [e.message];
  }
  const sources = parseSources(readFileSync(join(referenceDir, "SOURCES.md"), "utf8"));
  for (const refPath of planned.oracles.keys()) if (!index.oracles[refPath]) problems.push(`reference file ${refPath} has no oracle: ${RERUN}`);
  for (const refPath of Object.keys(index.oracles)) {
    if (!planned.oracles.has(refPath)) problems.push(`${index.oracles[refPath].file}: its reference file ${refPath} is gone: ${RERUN}`);
  }
  if (!isDeepStrictEqual(index.excluded, planned.excluded)) problems.push(`${generate.INDEX_FILE}: the excluded reference files differ from the generator's: ${RERUN}`);
  for (const [refPath, o] of loaded) {
    if (!planned.oracles.has(refPath)) continue;
    const bytes = readFileSync(join(referenceDir, refPath));
    if (gitBlobId(bytes) !== o.record.source.referenceBlob) {
      problems.push(`${index.oracles[refPath].file}: ${refPath} changed since the oracle was generated (git blob ${gitBlobId(bytes)}): ${RERUN}`);
      continue;
    }
    let expected;
    try {
      expected = generate.provenance(refPath, bytes, sources);
    } catch (e) {
      problems.push(e.message);
      continue;
    }
    if (!isDeepStrictEqual(o.record.source, expected)) problems.push(`${index.oracles[refPath].file}: its source record differs from SOURCES.md: ${RERUN}`);
  }
  return problems;
}

module.exports = { checkOracles, provenanceProblems };
