"use strict";
// Canonical JSON for oracles: sorted keys, documentation stripped from schemas, a stable line layout and a hash.
const { createHash } = require("node:crypto");
const { isDeepStrictEqual } = require("node:util");

/** Schema keywords that only document: removed wherever a schema sits. */
const DOCUMENTATION_KEYWORDS = new Set(["description", "title", "example", "examples", "$comment", "externalDocs"]);
/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = new Set([
  "additionalItems",
  "additionalProperties",
  "contains",
  "contentSchema",
  "else",
  "if",
  "items",
  "not",
  "propertyNames",
  "then",
  "unevaluatedItems",
  "unevaluatedProperties",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
/** Keywords whose value maps names to schemas: their keys are names (a property may be called `description`). */
const SCHEMA_MAP_KEYWORDS = new Set(["$defs", "definitions", "dependentSchemas", "patternProperties", "properties"]);

const isMap = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value with every object's keys in sorted order, so the same data always serializes to the same bytes. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isMap(value)) return value;
  const out = {};
  for (const k of Object.keys(value).sort()) out[k] = canonical(value[k]);
  return out;
}

/**
 * A JSON Schema or Kubernetes structural schema without its documentation keywords. Only schema positions are
 * walked: values of `enum`, `default`, `const`, `required`, `x-kubernetes-*` and unknown keywords are kept as they
 * are, and names under `properties` and its kin are never mistaken for keywords.
 */
function stripSchema(schema) {
  if (Array.isArray(schema)) return schema.map(stripSchema);
  if (!isMap(schema)) return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DOCUMENTATION_KEYWORDS.has(k)) continue;
    if (SCHEMA_KEYWORDS.has(k) || SCHEMA_LIST_KEYWORDS.has(k)) out[k] = stripSchema(v);
    else if (SCHEMA_MAP_KEYWORDS.has(k) && isMap(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, stripSchema(s)]));
    else if (k === "dependencies" && isMap(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, Array.isArray(s) ? s : stripSchema(s)]));
    else out[k] = v;
  }
  return out;
}

/** Throws unless JSON holds the value exactly (no NaN, Infinity, undefined, dates or other non-JSON values). */
function assertJsonSafe(value, what) {
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value)) throw new Error(`${what} holds values JSON cannot represent`);
  return value;
}

/** sha256 (hex) of the value's JSON, as recorded beside oracle data. */
function sha256(value) {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/**
 * JSON text where a value that fits in `width` columns stays on one line and larger ones break, one member per line
 * with one space of indent per level: diffs show the changed member while deep Kubernetes schemas stay small.
 */
function layout(value, width = 120) {
  return render(flatTree(value), width, 0, 0);
}

/** Each value's one-line JSON, computed once bottom-up (string concatenation keeps this linear). */
function flatTree(value) {
  if (Array.isArray(value)) {
    const kids = value.map(flatTree);
    let flat = "[";
    kids.forEach((k, i) => (flat += (i ? "," : "") + k.flat));
    return { flat: flat + "]", kids };
  }
  if (isMap(value)) {
    const names = Object.keys(value).map((k) => JSON.stringify(k));
    const kids = Object.keys(value).map((k) => flatTree(value[k]));
    let flat = "{";
    kids.forEach((k, i) => (flat += (i ? "," : "") + names[i] + ":" + k.flat));
    return { flat: flat + "}", kids, names };
  }
  return { flat: JSON.stringify(value) };
}

function render(node, width, indent, column) {
  if (!node.kids || !node.kids.length || column + node.flat.length <= width) return node.flat;
  const pad = " ".repeat(indent + 1);
  const items = node.kids.map((kid, i) => {
    const head = node.names ? `${pad}${node.names[i]}: ` : pad;
    return head + render(kid, width, indent + 1, head.length);
  });
  const [open, close] = node.names ? ["{", "}"] : ["[", "]"];
  return `${open}\n${items.join(",\n")}\n${" ".repeat(indent)}${close}`;
}

module.exports = { assertJsonSafe, canonical, layout, sha256, stripSchema };
