"use strict";
// What each kind of reference file becomes as an oracle: only the data tests read, never upstream prose or code.
const { parse, parseAllDocuments } = require("yaml");
const { assertJsonSafe, canonical, stripSchema } = require("./json");

/** Parses a YAML stream strictly: a document with errors is an error, not a partial value. */
function yamlDocuments(text, file) {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length) throw new Error(`${file} (document ${i + 1}): ${doc.errors[0].message}`);
    // controller-gen output has no aliases, but other CRD generators may: never cap their expansion.
    return doc.toJS({ maxAliasCount: -1 });
  });
}

/**
 * Every CustomResourceDefinition in a file: group, kind, plural, scope and its versions (name, served, storage,
 * deprecated), with the openAPIV3Schema of each served version stripped of documentation.
 */
function crdData(text, file) {
  const crds = yamlDocuments(text, file)
    .filter((d) => d && d.kind === "CustomResourceDefinition")
    .map((d) => ({
      group: d.spec.group,
      kind: d.spec.names.kind,
      plural: d.spec.names.plural,
      scope: d.spec.scope,
      versions: (d.spec.versions || []).map((v) => {
        // The helpers treat a version as served unless it says otherwise, as before.
        const served = v.served !== false;
        const schema = served && v.schema && v.schema.openAPIV3Schema ? { schema: stripSchema(v.schema.openAPIV3Schema) } : {};
        return { name: v.name, served, storage: v.storage === true, ...(v.deprecated ? { deprecated: true } : {}), ...schema };
      }),
    }));
  if (!crds.length) throw new Error(`${file} holds no CustomResourceDefinition`);
  return canonical(assertJsonSafe(crds, file));
}

/**
 * A chart's default values as JSON: keys and default values, comments dropped. Parsed as the tests always parsed
 * them (`yaml.parse`, YAML 1.2 core schema) so every check sees the same values as before.
 */
function valuesData(text, file) {
  return canonical(assertJsonSafe(parse(text) ?? {}, file));
}

/** A values.schema.json (or add-on configuration schema) without its documentation keywords. */
function valuesSchemaData(text, file) {
  return canonical(assertJsonSafe(stripSchema(JSON.parse(text)), file));
}

/** An IAM document (a policy, or one of Karpenter's node-role, interruption-queue and index extracts) as published, keys sorted. */
function iamData(text, file) {
  return canonical(assertJsonSafe(JSON.parse(text), file));
}

/** A plain YAML configuration file (Kueue's controller-manager Configuration) as JSON. */
function configData(text, file) {
  const docs = yamlDocuments(text, file).filter((d) => d !== null);
  if (docs.length !== 1) throw new Error(`${file}: expected one YAML document, got ${docs.length}`);
  return canonical(assertJsonSafe(docs[0], file));
}

/** What each kind keeps, recorded in every oracle beside its data. */
const TRANSFORMS = {
  crd: "CustomResourceDefinitions as group, kind, plural, scope and versions (name, served, storage, deprecated); each served version's openAPIV3Schema without description, title, example(s), $comment and externalDocs; keys sorted",
  values: "the chart's values.yaml parsed with yaml.parse (YAML 1.2 core schema) as JSON: keys and default values, comments dropped; keys sorted",
  "values-schema": "the JSON Schema without description, title, example(s), $comment and externalDocs at schema positions; keys sorted",
  iam: "the IAM JSON as published (policy documents; for Karpenter also the node role, interruption queue and index extracts); keys sorted",
  config: "the YAML configuration as JSON, comments dropped; keys sorted",
};

const DERIVE = { crd: crdData, values: valuesData, "values-schema": valuesSchemaData, iam: iamData, config: configData };

/** The index summary of a CRD oracle: what a lookup by group and kind needs, without the schemas. */
function crdSummary(crds) {
  return crds.map((c) => ({ group: c.group, kind: c.kind, plural: c.plural, scope: c.scope, versions: c.versions.map((v) => ({ name: v.name, served: v.served })) }));
}

module.exports = { DERIVE, TRANSFORMS, crdSummary };
