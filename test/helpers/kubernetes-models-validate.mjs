// Runs kubernetes-models' own validation on Kubernetes objects: reads a JSON array of objects on stdin and writes a
// JSON array with one list of problems per object. kubernetes-models 5 is ESM only, which jest's CommonJS runtime
// cannot load, so test/helpers/core-schema.ts runs this file with node instead.
import { readFileSync } from "node:fs";

function splitApiVersion(apiVersion) {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

// ajv error objects, localized by kubernetes-models (runValidateFunc), as `<path>: <message>`.
function describe(error) {
  const at = error.instancePath || "/";
  const allowed = error.keyword === "enum" ? ` (${error.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")})` : "";
  return `${at}: ${error.message ?? error.keyword}${allowed}`;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const obj of objects) {
  const { group, version } = splitApiVersion(String(obj.apiVersion));
  let models;
  try {
    models = await import(`kubernetes-models/${group ? `${group}/` : ""}${version}`);
  } catch {
    results.push([`kubernetes-models has no API ${obj.apiVersion}`]);
    continue;
  }
  const Model = models[obj.kind];
  if (typeof Model !== "function" || Model.apiVersion !== obj.apiVersion || Model.kind !== obj.kind) {
    results.push([`kubernetes-models has no kind ${obj.kind} in ${obj.apiVersion}`]);
    continue;
  }
  try {
    new Model(obj).validate();
    results.push([]);
  } catch (e) {
    results.push(Array.isArray(e?.errors) ? e.errors.map(describe) : [`/: ${e?.message ?? e}`]);
  }
}
process.stdout.write(JSON.stringify(results));
