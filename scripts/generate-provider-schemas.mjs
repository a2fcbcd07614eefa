#!/usr/bin/env node
// `npm run generate:provider-schemas`: writes test/fixtures/provider-schemas.json, the configurable arguments of
// every provider, resource, data source and ephemeral type the stacks use, read from the installed cdktf provider
// bindings, so a fast unit test (test/audit/provider-schema.test.ts) can check every synthesized block offline.
//
// Which types: every environment is synthesized (esbuild into a temp dir, the app run there) and every type found
// in the output is extracted; a type the stacks start to use later makes the test fail until this is rerun.
//
// Where the schema comes from: each binding's generated `synthesizeHclAttributes()` and `<struct>ToHclTerraform()`
// (lib/<type>/index.js and lib/<type>/index-structs/*.js). They list exactly the arguments the provider accepts in
// configuration (computed-only attributes are absent), with cdktf's own view of each: `isBlock`, `type`
// (simple | list | set | map | struct) and `storageClassType`, and the value expression names the struct mapper of
// each nested block (called directly for a block of at most one element, through listMapperHcl for a list or set).
// The .jsii assemblies carry the same names only in doc links and no block/attribute distinction, and the AWS one is
// 130 MB; the generated JS is read per type.
//
// Types the bindings do not have are listed in BUILTIN and DOCUMENTED below with their upstream source.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
// `--out <file>` writes elsewhere; `--check` compares instead of writing and exits 1 when the file is stale.
const outFlag = process.argv.indexOf("--out");
if (outFlag >= 0 && !process.argv[outFlag + 1]) throw new Error("--out needs a file");
const OUT = outFlag >= 0 ? resolve(process.argv[outFlag + 1]) : join(root, "test/fixtures/provider-schemas.json");
const CHECK = process.argv.includes("--check");
const PACKAGES = { aws: "@cdktf/provider-aws", kubernetes: "@cdktf/provider-kubernetes", helm: "@cdktf/provider-helm" };

/** Terraform's built-in `terraform` provider: no binding package carries it. */
const BUILTIN = {
  source: "terraform.io/builtin/terraform: hashicorp/terraform internal/builtin/providers/terraform/data_source_state.go (dataSourceRemoteStateGetSchema)",
  data: {
    terraform_remote_state: { backend: "string", config: "any", defaults: "any", workspace: "string" },
  },
};

/** Ephemeral resources: cdktf 0.21 generates no bindings for them, so their arguments come from the provider docs. */
const DOCUMENTED = {
  ephemeral: {
    aws_secretsmanager_random_password: {
      source:
        "hashicorp/terraform-provider-aws website/docs/ephemeral-resources/secretsmanager_random_password.html.markdown (Argument Reference; random_password is computed)",
      body: {
        exclude_characters: "string",
        exclude_lowercase: "bool",
        exclude_numbers: "bool",
        exclude_punctuation: "bool",
        exclude_uppercase: "bool",
        include_space: "bool",
        password_length: "number",
        region: "string",
        require_each_included_type: "bool",
      },
    },
  },
};

/** Synthesizes every environment with the real app, built into a temp dir, and returns the stacks' JSON. */
function synthesizeAll() {
  const tmp = mkdtempSync(join(tmpdir(), "mlp-schemas-"));
  try {
    symlinkSync(join(root, "node_modules"), join(tmp, "node_modules"), "dir");
    const build = spawnSync(process.execPath, [join(root, "scripts/build.mjs"), "--outdir", join(tmp, "dist")], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    const req = createRequire(join(tmp, "dist", "main.js"));
    const { loadEnvironments } = req("./environments/lib/load.js");
    const { buildApp } = req("./stacks/app.js");
    const outdir = join(tmp, "cdktf.out");
    buildApp(loadEnvironments(join(tmp, "dist", "environments")), outdir).synth();
    return readdirSync(join(outdir, "stacks")).map((id) => JSON.parse(readFileSync(join(outdir, "stacks", id, "cdk.tf.json"), "utf8")));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function jsFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return jsFiles(p);
      return p.endsWith(".js") ? [p] : [];
    });
}

/** The binding directory (lib/<dir>) of a type: the conventional name if its class declares that type, else a scan. */
function bindingDir(pkgLib, kind, type) {
  const declares = (dir) => {
    const index = join(pkgLib, dir, "index.js");
    return existsSync(index) && readFileSync(index, "utf8").includes(`.tfResourceType = "${type}";`);
  };
  if (kind === "provider") return "provider";
  const prefix = type.slice(0, type.indexOf("_") + 1);
  const guess = kind === "data" ? `data-${type.replace(/_/g, "-")}` : type.slice(prefix.length).replace(/_/g, "-");
  if (declares(guess)) return guess;
  const found = readdirSync(pkgLib).filter((d) => (kind === "data") === d.startsWith("data-") && declares(d));
  if (found.length !== 1) throw new Error(`${kind} ${type}: ${found.length ? `declared by several bindings: ${found.join(", ")}` : "no binding declares it"}`);
  return found[0];
}

// One argument in an `attrs` literal of the generated code: name, value expression, isBlock, type, storageClassType.
const ENTRY = /^\s+"?([A-Za-z0-9_]+)"?: \{\n\s+value: (.+),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "([^"]+)",\n\s+\},?$/gm;
const PRIMITIVE_MAPPER = /cdktf\.(string|number|boolean|any)ToHclTerraform/g;
const PRIMITIVE = { string: "string", number: "number", boolean: "bool", any: "any" };

/** The entries of the `const attrs = { ... }` literal that follows `start` in `src`. */
function attrEntries(src, start, where) {
  const open = src.indexOf("const attrs = {", start);
  if (open < 0) throw new Error(`${where}: no attrs literal`);
  if (src.startsWith("const attrs = {};", open)) return [];
  // The generator closes every non-empty literal with this comment and the filter that follows it.
  const close = src.indexOf("// remove undefined attributes", open);
  if (close < 0) throw new Error(`${where}: no end of the attrs literal`);
  const literal = src.slice(open, close);
  const entries = [...literal.matchAll(ENTRY)].map((m) => ({ name: m[1], value: m[2], isBlock: m[3] === "true", type: m[4], storage: m[5] }));
  // Every argument is one entry of six lines: a literal the pattern does not fully cover would silently lose some.
  const declared = literal.match(/^\s+"?[A-Za-z0-9_]+"?: \{$/gm)?.length ?? 0;
  if (declared !== entries.length) throw new Error(`${where}: parsed ${entries.length} of ${declared} arguments; the generated code changed shape`);
  return entries;
}

/**
 * The argument names of the plain JSON mapper (`synthesizeAttributes()` or `<struct>ToTerraform()`) that starts at
 * `start`: a second listing of the same arguments in the same file, so a parse that drifts from the code is caught.
 */
function plainNames(src, start, where) {
  const open = src.indexOf("return {", start);
  if (open < 0) throw new Error(`${where}: no returned object`);
  if (src.startsWith("return {};", open)) return [];
  // The object closes at the indentation of its `return`; its keys are one level deeper.
  const indent = open - src.lastIndexOf("\n", open) - 1;
  const close = src.indexOf(`\n${" ".repeat(indent)}};`, open);
  const keyLine = new RegExp(`^ {${indent + 4}}"?([A-Za-z0-9_]+)"?: `, "gm");
  return [...src.slice(open, close).matchAll(keyLine)].map((m) => m[1]);
}

/** Fails unless both mappers of one block list the same argument names. */
function sameNames(hcl, plain, where) {
  const a = hcl.map((e) => e.name).sort();
  const b = [...plain].sort();
  if (a.join() !== b.join()) throw new Error(`${where}: synthesizeHclAttributes and synthesizeAttributes disagree: ${a.join(",")} vs ${b.join(",")}`);
  return hcl;
}

/** "list(string)", "map(map(string))", ... from cdktf's storageClassType of a primitive collection. */
function collectionType(type, storage, where) {
  const m = /^(string|number|boolean|any)((?:List|Map)*)$/.exec(storage);
  if (!m) throw new Error(`${where}: unknown storage class ${storage}`);
  const kinds = m[2].match(/List|Map/g) ?? [];
  let t = PRIMITIVE[m[1]];
  kinds.forEach((k, i) => {
    const outer = i === kinds.length - 1;
    t = k === "Map" ? `map(${t})` : `${outer && type === "set" ? "set" : "list"}(${t})`;
  });
  if ((kinds.length === 0) !== (type === "simple")) throw new Error(`${where}: type ${type} does not match storage class ${storage}`);
  return t;
}

/** Compact schema of one block body: argument name -> type string, or { nesting, body } for a nested block. */
function body(functions, entries, where) {
  const out = {};
  for (const e of entries) {
    const at = `${where}.${e.name}`;
    const mapper = [...e.value.replace(PRIMITIVE_MAPPER, "").matchAll(/(\w+)ToHclTerraform/g)].map((m) => m[1]);
    if (!mapper.length) {
      if (e.isBlock) throw new Error(`${at}: a block without a struct mapper`);
      out[e.name] = collectionType(e.type, e.storage, at);
      continue;
    }
    if (mapper.length !== 1 || !functions.has(mapper[0])) throw new Error(`${at}: cannot resolve struct mapper ${mapper.join(", ")}`);
    if (/hashMapperHcl/.test(e.value)) throw new Error(`${at}: maps of objects are not supported`);
    // listMapperHcl: any number of elements; a direct call: cdktf's single-object API for a block of at most one
    // element ("list"/"set") or a single nested object ("struct").
    const nesting = /listMapperHcl\(/.test(e.value) ? e.type : e.type === "struct" ? "object" : "one";
    if (!["list", "set", "one", "object"].includes(nesting)) throw new Error(`${at}: unexpected nesting ${e.type}`);
    const fn = functions.get(mapper[0]);
    out[e.name] = { nesting, body: body(functions, fn.entries(), at) };
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Schema of one type from its binding directory. */
function extract(pkgLib, dir, type) {
  const functions = new Map();
  let classSrc;
  for (const file of jsFiles(join(pkgLib, dir))) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/^function (\w+)ToHclTerraform\(struct\) \{$/gm)) {
      const plain = src.indexOf(`\nfunction ${m[1]}ToTerraform(struct) {`);
      if (plain < 0) throw new Error(`${type}: ${m[1]}ToHclTerraform has no ${m[1]}ToTerraform beside it`);
      const where = `${type} ${m[1]}ToHclTerraform`;
      functions.set(m[1], { entries: () => sameNames(attrEntries(src, m.index, where), plainNames(src, plain, where), where) });
    }
    if (src.includes(`.tfResourceType = "${type}";`)) classSrc = src;
  }
  const method = classSrc?.indexOf("    synthesizeHclAttributes() {\n") ?? -1;
  const plain = classSrc?.indexOf("    synthesizeAttributes() {\n") ?? -1;
  if (method < 0 || plain < 0) throw new Error(`${type}: no synthesizeHclAttributes/synthesizeAttributes in lib/${dir}`);
  const where = `${type} synthesizeHclAttributes`;
  return body(functions, sameNames(attrEntries(classSrc, method, where), plainNames(classSrc, plain, where), where), type);
}

const stacks = synthesizeAll();
const used = { provider: new Set(), resource: new Set(), data: new Set(), ephemeral: new Set() };
for (const s of stacks) for (const kind of Object.keys(used)) for (const type of Object.keys(s[kind] ?? {})) used[kind].add(type);

const schema = { generatedBy: "npm run generate:provider-schemas (scripts/generate-provider-schemas.mjs)", providers: {}, provider: {}, resource: {}, data: {}, ephemeral: {} };
const providerOf = (kind, type) => (kind === "provider" ? type : type.slice(0, type.indexOf("_")));
for (const kind of Object.keys(used)) {
  for (const type of [...used[kind]].sort()) {
    const provider = providerOf(kind, type);
    if (DOCUMENTED[kind]?.[type]) {
      schema[kind][type] = DOCUMENTED[kind][type].body;
      schema.providers[provider] ??= {};
      (schema.providers[provider].documented ??= {})[`${kind}.${type}`] = DOCUMENTED[kind][type].source;
      continue;
    }
    if (provider === "terraform") {
      if (!BUILTIN[kind]?.[type]) throw new Error(`${kind} ${type}: a built-in type this script does not know; add it to BUILTIN`);
      schema[kind][type] = BUILTIN[kind][type];
      schema.providers.terraform = { source: BUILTIN.source };
      continue;
    }
    const pkg = PACKAGES[provider];
    if (!pkg) throw new Error(`${kind} ${type}: no cdktf binding package known for provider ${provider}; add it to PACKAGES`);
    const pkgRoot = join(root, "node_modules", pkg);
    const meta = JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8"));
    schema.providers[provider] = { ...schema.providers[provider], package: pkg, packageVersion: meta.version, source: meta.cdktf.provider.name, version: meta.cdktf.provider.version };
    if (kind === "ephemeral") throw new Error(`ephemeral ${type}: cdktf bindings have no ephemeral resources; add its documented schema to DOCUMENTED`);
    const lib = join(pkgRoot, "lib");
    schema[kind][type] = extract(lib, bindingDir(lib, kind, type), type);
  }
}
schema.providers = Object.fromEntries(Object.entries(schema.providers).sort(([a], [b]) => (a < b ? -1 : 1)));
const text = `${JSON.stringify(schema, null, 1)}\n`;
const count = Object.keys(used).map((k) => `${used[k].size} ${k}`).join(", ");
if (CHECK) {
  if (!existsSync(OUT) || readFileSync(OUT, "utf8") !== text) {
    console.error(`${OUT} is not what the installed bindings and the current stacks give (${count}): run npm run generate:provider-schemas`);
    process.exitCode = 1;
  } else console.log(`${OUT} is current: ${count}`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${count}`);
}
