// Readers of the providers' source for scripts/generate-force-new.mjs: the AWS provider through the per-function
// index of its Go source, the Helm provider's framework schema and the Kubernetes provider's plugin-SDK schemas.
// Attribute names behind `names.Attr*` constants are matched against the attribute names in the type's cdktf binding.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { entries, functionBody, literalBody, schemaMapBody, stringLiteral, stripComments, walkFrameworkSchema, walkSdkSchema } from "./go-schema.mjs";

const require = createRequire(join(resolve(import.meta.dirname, "../.."), "package.json"));

/** Runs git on a bare snapshot (a fetched git dir). */
export const git = (dir, ...args) => {
  const r = spawnSync("git", ["--git-dir", dir, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} in ${dir}: ${r.stderr}`);
  return r.stdout.trim();
};

/** Extracts `paths` of `tag` into a temp dir; returns it. */
export function extract(dir, tag, paths) {
  const out = mkdtempSync(join(tmpdir(), "force-new-"));
  // Piped in the shell: the archive of the AWS index is larger than a child-process buffer may be.
  const r = spawnSync("bash", ["-c", 'set -o pipefail; git --git-dir "$1" archive --format=tar "$2" "${@:4}" | tar -x -C "$3"', "extract", dir, tag, out, ...paths], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git archive ${tag} in ${dir}: ${r.stderr}`);
  return out;
}

/** Per resource type of a cdktf binding package, every attribute name it knows (to resolve names.Attr* constants). */
export function bindingNames(pkg) {
  const lib = join(require.resolve(`${pkg}/package.json`), "..", "lib");
  const byType = new Map();
  for (const d of readdirSync(lib, { withFileTypes: true })) {
    // Data sources share their resource's type name (lib/data-aws-*): read resources only.
    if (!d.isDirectory() || d.name.startsWith("data-")) continue;
    const file = join(lib, d.name, "index.js");
    if (!existsSync(file)) continue;
    let text = readFileSync(file, "utf8");
    const type = /\.tfResourceType = "([a-z0-9_]+)"/.exec(text)?.[1];
    if (!type) continue;
    const structs = join(lib, d.name, "index-structs");
    if (existsSync(structs)) for (const f of readdirSync(structs)) if (f.endsWith(".js")) text += readFileSync(join(structs, f), "utf8");
    const names = new Set([...text.matchAll(/^\s+([a-z][a-z0-9_]*): (?:\{|cdktf\.)/gm)].map((m) => m[1]));
    // Computed attributes appear only as getter arguments: getStringAttribute('arn'), new cdktf.StringMap(this, 'tags_all').
    for (const m of text.matchAll(/(?:Attribute\(|\(this, )['"]([a-z][a-z0-9_]*)['"]/g)) names.add(m[1]);
    byType.set(type, names);
  }
  return byType;
}
const norm = (s) => s.replace(/_/g, "").toLowerCase();

/** Resolves a schema key expression for one type: a string literal, names.AttrX or a package constant. */
function keyResolver(type, candidates, pkgDir, unresolvedConstants) {
  const byNorm = new Map();
  for (const n of candidates) byNorm.set(norm(n), [...(byNorm.get(norm(n)) ?? []), n]);
  return (key) => {
    const lit = stringLiteral(key);
    if (lit !== undefined) return lit;
    const attr = /^names\.Attr(\w+)$/.exec(key);
    if (attr) {
      const hits = byNorm.get(attr[1].toLowerCase()) ?? [];
      if (hits.length === 1) return hits[0];
      unresolvedConstants.add(`${type}: ${key} (${hits.length ? hits.join("|") : "no binding attribute"})`);
      return undefined;
    }
    const file = join(pkgDir, `var.${key}.goindex`);
    if (/^\w+$/.test(key) && existsSync(file)) {
      const m = new RegExp(`\\b${key}\\s*(?:string\\s*)?=\\s*("[^"]*")`).exec(readFileSync(file, "utf8"));
      if (m) return stringLiteral(m[1]);
    }
    return undefined;
  };
}

// Helpers that declare computed-only, tag or timeout attributes: never ForceNew.
const KNOWN_HELPERS = /^(tftags\.Tags\w*|framework\.(IDAttribute|ARNAttributeComputedOnly|IDAttributeDeprecatedWithAlternate)\w*|timeouts\.(Block|Attributes))\(/;

/** The schema literal a helper function or package variable yields: { kind: schema | resource | map, body }. */
function follower(internalDir, pkgDir) {
  const cache = new Map();
  const read = (file) => {
    if (!cache.has(file)) cache.set(file, stripComments(readFileSync(file, "utf8")));
    return cache.get(file);
  };
  // `pkg` is the package a name is looked up in: undefined for the resource's own package.
  const locate = (pkg, name, kind) => {
    const file = `${kind}.${name}.goindex`;
    if (!pkg) return existsSync(join(pkgDir, file)) ? join(pkgDir, file) : undefined;
    return findFiles(internalDir, file).find((f) => f.includes(`/${pkg}/`));
  };
  const kinds = [["schema", /&schema\.Schema\s*\{/], ["resource", /&schema\.Resource\s*\{/], ["map", /map\[string\]\*schema\.Schema\s*\{/]];
  const follow = (expr, here, depth = 0) => {
    const m = /^(?:(\w+)\.)?(\w+)(\([^]*\))?$/.exec(expr.trim());
    if (!m || depth > 3) return undefined;
    const pkg = m[1] ?? here;
    const name = m[2];
    const fnFile = locate(pkg, name, "func");
    if (fnFile) {
      const body = functionBody(read(fnFile), name);
      if (body === undefined) return undefined;
      for (const [kind, re] of kinds) {
        const b = literalBody(body, new RegExp(`return\\s+${re.source}`));
        if (b !== undefined) return { kind, body: b };
      }
      return undefined;
    }
    const varFile = locate(pkg, name, "var");
    if (!varFile) return undefined;
    const text = read(varFile);
    const at = new RegExp(`\\b${name}\\s*=\\s*`).exec(text);
    if (!at) return undefined;
    const rest = text.slice(at.index + at[0].length);
    for (const [kind, re] of kinds) if (new RegExp(`^${re.source}`).test(rest)) return { kind, body: literalBody(rest, re) };
    // var X = sync.OnceValue(makeSchemaFunc(...)): the schema is what makeSchemaFunc's closure returns.
    const once = /^sync\.OnceValue\(\s*(?:(\w+)\.)?(\w+)\(/.exec(rest);
    return once ? follow(`${once[2]}()`, once[1] ?? pkg, depth + 1) : undefined;
  };
  return (expr) => follow(expr, undefined);
}

const fileIndex = new Map();
function findFiles(dir, name) {
  if (!fileIndex.has(dir)) {
    const all = new Map();
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else all.set(e.name, [...(all.get(e.name) ?? []), join(d, e.name)]);
      }
    };
    walk(dir);
    fileIndex.set(dir, all);
  }
  return fileIndex.get(dir).get(name) ?? [];
}

/** Keys named by ForceNewIf*(key, ...) or d.ForceNew(key) in a text. */
function conditionalKeys(text, resolveKey) {
  // Keys are Terraform paths ("compute_config.0.node_role_arn"): list indexes dropped to match the table's paths.
  const keys = [...text.matchAll(/(?:ForceNewIf\w*|\.ForceNew)\(\s*("[^"]*"|names\.Attr\w+|\w+)/g)].map((m) => (resolveKey(m[1]) ?? m[1]).replace(/\.\d+(?=\.|$)/g, ""));
  return [...new Set(keys)];
}

/** Every resource type of the AWS provider at `tag`, from the function index's snapshot at `indexDir`. */
export function awsTypes(indexDir, tag, bindings, unresolvedConstants) {
  const tree = extract(indexDir, tag, ["index/terraform-provider-aws-index.json", "index/internal"]);
  const index = JSON.parse(readFileSync(join(tree, "index/terraform-provider-aws-index.json"), "utf8"));
  if (index.version !== tag) throw new Error(`${indexDir} ${tag}: index says version ${index.version}`);
  const internal = join(tree, "index/internal");
  const out = {};
  for (const svc of index.services) {
    const pkgDir = join(internal, "service", svc.service_name);
    const rel = (f) => `${svc.service_name}/${f}`;
    for (const [type, r] of Object.entries(svc.aws_sdk_resources ?? {})) {
      const resolveKey = keyResolver(type, bindings.get(type) ?? new Set(), pkgDir, unresolvedConstants);
      const ctx = { resolveKey, follow: follower(internal, pkgDir), knownHelper: (e) => KNOWN_HELPERS.test(e.trim()) };
      const create = svc.resource_crud_methods?.[type]?.create_method;
      const found = create && sdkResourceFunction(pkgDir, create);
      if (!found) {
        out[type] = { forceNew: [], conditional: [], unresolved: ["(schema function not found)"], source: rel("?") };
        continue;
      }
      const schemaField = entries(literalBody(found.body, /return\s+&schema\.Resource\s*\{/) ?? "").find((e) => e.key === "Schema" || e.key === "SchemaFunc");
      const map = schemaField && schemaMapBody(schemaField.value, ctx);
      const walked = map === undefined ? { forceNew: [], unresolved: ["(schema map not found)"] } : walkSdkSchema(map, ctx);
      const customize = entries(literalBody(found.body, /return\s+&schema\.Resource\s*\{/) ?? "").find((e) => e.key === "CustomizeDiff")?.value ?? "";
      let conditional = conditionalKeys(customize, resolveKey);
      for (const ident of new Set(customize.match(/\b[a-z]\w*CustomizeDiff\w*|\bresource\w+CustomizeDiff\w*|\bcustomizeDiff\w*/g) ?? [])) {
        const f = join(pkgDir, `func.${ident}.goindex`);
        if (existsSync(f)) conditional.push(...conditionalKeys(stripComments(readFileSync(f, "utf8")), resolveKey));
      }
      conditional = [...new Set(conditional)].filter((k) => !walked.forceNew.includes(k)).sort();
      out[type] = { forceNew: walked.forceNew.sort(), conditional, unresolved: walked.unresolved.sort(), source: rel(found.file) };
    }
    for (const [type, r] of Object.entries(svc.aws_framework_resources ?? {})) {
      const resolveKey = keyResolver(type, bindings.get(type) ?? new Set(), pkgDir, unresolvedConstants);
      const ctx = { resolveKey, follow: () => undefined, knownHelper: (e) => KNOWN_HELPERS.test(e.trim()) };
      const struct = frameworkStruct(pkgDir, r);
      const file = `method.${struct}.Schema.goindex`;
      if (!existsSync(join(pkgDir, file))) {
        out[type] = { forceNew: [], conditional: [], unresolved: ["(Schema method not found)"], source: rel(file) };
        continue;
      }
      const src = stripComments(readFileSync(join(pkgDir, file), "utf8"));
      const schema = literalBody(functionBody(src, "Schema") ?? "", /schema\.Schema\s*\{/) ?? "";
      const walked = { forceNew: [], conditional: [], unresolved: [] };
      for (const e of entries(schema)) {
        const body = (e.key === "Attributes" || e.key === "Blocks") && literalBody(e.value, /^map\[string\]schema\.\w+\s*\{/);
        if (body !== undefined && body !== false) walkFrameworkSchema(body, ctx, "", walked);
        else if (e.key === "Attributes" || e.key === "Blocks") walked.unresolved.push(`(${e.key}: ${e.value.slice(0, 60)})`);
      }
      const modify = join(pkgDir, `method.${struct}.ModifyPlan.goindex`);
      if (existsSync(modify)) {
        const text = stripComments(readFileSync(modify, "utf8"));
        if (/RequiresReplace/.test(text)) {
          const roots = [...text.matchAll(/path\.Root\(\s*("[^"]*"|names\.Attr\w+)\s*\)/g)].map((m) => resolveKey(m[1])).filter(Boolean);
          walked.conditional.push(...(roots.length ? roots : ["(ModifyPlan)"]));
        }
      }
      out[type] = {
        forceNew: [...new Set(walked.forceNew)].sort(),
        conditional: [...new Set(walked.conditional)].filter((k) => !walked.forceNew.includes(k)).sort(),
        unresolved: walked.unresolved.sort(),
        source: rel(file),
      };
    }
  }
  rmSync(tree, { recursive: true, force: true });
  return out;
}

/**
 * The struct whose Schema method declares a framework resource: the index's struct_type, else the struct its factory
 * `new<Name>Resource` returns, else the struct that one embeds (aws_vpc_security_group_egress_rule embeds the rule base).
 */
function frameworkStruct(pkgDir, r) {
  const has = (s) => existsSync(join(pkgDir, `method.${s}.Schema.goindex`));
  if (r.struct_type && has(r.struct_type)) return r.struct_type;
  const factory = join(pkgDir, `func.new${r.name.replace(/[^A-Za-z0-9]/g, "")}Resource.goindex`);
  const made = existsSync(factory) ? /&(\w+)\{/.exec(readFileSync(factory, "utf8"))?.[1] : undefined;
  if (!made || has(made)) return made ?? r.struct_type;
  const typeFile = join(pkgDir, `type.${made}.goindex`);
  const body = existsSync(typeFile) ? literalBody(stripComments(readFileSync(typeFile, "utf8")), /struct\s*\{/) ?? "" : "";
  return body.split("\n").map((l) => l.trim()).find((l) => /^\w+$/.test(l) && has(l)) ?? made;
}

/** The `func X() *schema.Resource` of a package whose body names the resource's create function. */
function sdkResourceFunction(pkgDir, create) {
  const guess = `func.${create.replace(/Create$/, "")}.goindex`;
  const files = [guess, ...readdirSync(pkgDir).filter((f) => f.startsWith("func.") && f !== guess)];
  for (const file of files) {
    const path = join(pkgDir, file);
    if (!existsSync(path)) continue;
    const src = stripComments(readFileSync(path, "utf8"));
    const m = /^func\s+(\w+)\(\)\s*\*schema\.Resource\s*\{/m.exec(src);
    if (!m) continue;
    const body = functionBody(src, m[1]);
    if (body && new RegExp(`:\\s*${create}\\b`).test(body)) return { file, body };
  }
  return undefined;
}

/** helm_release from the Helm provider's framework schema. */
export function helmTypes(dir, tag, bindings, unresolvedConstants) {
  const file = "helm/resource_helm_release.go";
  const src = stripComments(git(dir, "show", `${tag}:${file}`));
  const schema = literalBody(functionBody(src, "Schema") ?? "", /schema\.Schema\s*\{/) ?? "";
  const ctx = { resolveKey: keyResolver("helm_release", bindings.get("helm_release") ?? new Set(), "", unresolvedConstants), follow: () => undefined, knownHelper: (e) => KNOWN_HELPERS.test(e.trim()) };
  const walked = { forceNew: [], conditional: [], unresolved: [] };
  for (const e of entries(schema)) {
    const body = (e.key === "Attributes" || e.key === "Blocks") ? literalBody(e.value, /^map\[string\]schema\.\w+\s*\{/) : undefined;
    if (body !== undefined) walkFrameworkSchema(body, ctx, "", walked);
  }
  return { helm_release: { forceNew: walked.forceNew.sort(), conditional: walked.conditional.sort(), unresolved: walked.unresolved.sort(), source: file } };
}

/** The Kubernetes provider's plugin-SDK resources that have cdktf bindings. */
export function kubernetesTypes(dir, tag, bindings, unresolvedConstants) {
  const tree = extract(dir, tag, ["kubernetes"]);
  const kdir = join(tree, "kubernetes");
  const goFiles = readdirSync(kdir).filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"));
  const all = goFiles.map((f) => stripComments(readFileSync(join(kdir, f), "utf8"))).join("\n");
  const ctxFor = (resolveKey) => {
    const follow = (expr) => {
      const m = /^(\w+)\(([^]*)\)$/.exec(expr.trim());
      const body = m && functionBody(all, m[1]);
      if (body === undefined || body === null) return undefined;
      // Metadata helpers return another helper's result, or build `fields := metadataFields(...)`, add
      // `fields["x"] = &schema.Schema{...}` and return a list block of those fields: rebuild that map.
      const delegate = /return\s+(\w+\([^()]*\))\s*$/.exec(body.trim());
      if (delegate) return follow(delegate[1]);
      const base = /fields\s*:=\s*(\w+\([^()]*\))/.exec(body);
      if (!base) {
        for (const [kind, re] of [["schema", /return\s+&schema\.Schema\s*\{/], ["resource", /return\s+&schema\.Resource\s*\{/], ["map", /return\s+map\[string\]\*schema\.Schema\s*\{/]]) {
          const b = literalBody(body, re);
          if (b !== undefined) return { kind, body: b };
        }
        return undefined;
      }
      const baseMap = follow(base[1]);
      if (baseMap?.kind !== "map") return undefined;
      const extra = [...body.matchAll(/fields\["(\w+)"\]\s*=\s*&schema\.Schema\s*\{/g)].map((x) => `"${x[1]}": {${literalBody(body.slice(x.index), /&schema\.Schema\s*\{/)}}`);
      const wrapper = literalBody(body, /return\s+&schema\.Schema\s*\{/) ?? "";
      const fields = `${baseMap.body},\n${extra.join(",\n")}`;
      return { kind: "schema", body: wrapper.replace(/Schema:\s*fields/, `Schema: map[string]*schema.Schema{${fields}}`) };
    };
    return { resolveKey, follow, knownHelper: () => false };
  };
  const out = {};
  for (const file of goFiles.filter((f) => /^resource_kubernetes_\w+\.go$/.test(f))) {
    const type = file.replace(/^resource_/, "").replace(/\.go$/, "");
    if (!bindings.has(type)) continue;
    const src = stripComments(readFileSync(join(kdir, file), "utf8"));
    const m = /^func\s+(resourceKubernetes\w+)\(\)\s*\*schema\.Resource\s*\{/m.exec(src);
    if (!m) continue;
    const ctx = ctxFor(keyResolver(type, bindings.get(type), "", unresolvedConstants));
    const resource = literalBody(functionBody(src, m[1]) ?? "", /return\s+&schema\.Resource\s*\{/) ?? "";
    const schemaField = entries(resource).find((e) => e.key === "Schema" || e.key === "SchemaFunc");
    const map = schemaField && schemaMapBody(schemaField.value, ctx);
    const walked = map === undefined ? { forceNew: [], unresolved: ["(schema map not found)"] } : walkSdkSchema(map, ctx);
    out[type] = { forceNew: [...new Set(walked.forceNew)].sort(), conditional: [], unresolved: walked.unresolved.sort(), source: `kubernetes/${file}` };
  }
  rmSync(tree, { recursive: true, force: true });
  return out;
}
