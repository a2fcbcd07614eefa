import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { blocks, finding, resourcesOf } from "./audit-context";
import { parseValuesDocument } from "./manifests";
import type { TerraformJson } from "./synth";

/**
 * Key names whose value is a credential. Keys are split into words (snake, kebab, camel case) and match when they
 * END in one of these word sequences: `password`, `db_password`, `aws_secret_access_key`, `client_secret`,
 * `authToken`. Names that merely mention a secret (`secretsEncryption`, `secret_arn`, `existingSecret`,
 * `passwordKey`, `http_tokens`, `manage_master_user_password`) do not match.
 */
const SECRET_WORD_SUFFIXES: readonly string[][] = [
  ["password"],
  ["passwd"],
  ["passphrase"],
  ["secret"],
  ["token"],
  ["private", "key"],
  ["access", "key"],
  ["secret", "key"],
  ["api", "key"],
  ["secret", "string"],
  ["credentials"],
];

/** Words that make a key a switch or pointer for a secret rather than the secret (`manage_master_user_password`). */
const POINTER_PREFIXES = new Set(["existing", "use", "manage", "create", "enable", "enabled", "generate", "rotate", "require", "required"]);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** True when a key name denotes a credential value (see SECRET_WORD_SUFFIXES). */
export function isSecretKeyName(key: string): boolean {
  const w = words(key);
  return SECRET_WORD_SUFFIXES.some((suffix) => {
    if (w.length < suffix.length) return false;
    if (!suffix.every((s, i) => w[w.length - suffix.length + i] === s)) return false;
    return !w.slice(0, w.length - suffix.length).some((x) => POINTER_PREFIXES.has(x));
  });
}

/**
 * A value that carries a secret literally: a non-empty string that is not a Terraform reference/expression, an ARN,
 * a Kubernetes-style `$(VAR)` reference or a boolean spelled as a string.
 */
export function isLiteralSecretValue(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const v = value.trim();
  if (v === "" || v.includes("${") || v.startsWith("arn:") || /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(v)) return false;
  return !["true", "false", "null"].includes(v.toLowerCase());
}

const PEM_PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/;
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;

/** Text patterns that are secrets wherever they appear (PEM private keys, AWS access key ids). */
export function scanTextForSecrets(text: string): string[] {
  const out: string[] = [];
  const pem = PEM_PRIVATE_KEY.exec(text);
  if (pem) out.push(`PEM private key (${pem[0]})`);
  const akid = AWS_ACCESS_KEY_ID.exec(text);
  if (akid) out.push(`AWS access key id ${akid[0].slice(0, 4)}…${akid[0].slice(-4)}`);
  return out;
}

/** Walks a parsed document and reports literal values under secret-named keys, with their path. */
export function literalSecretPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalSecretPaths(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = path ? `${path}.${k}` : k;
    if (k === "//") return [];
    if (isSecretKeyName(k) && isLiteralSecretValue(v)) return [p];
    return literalSecretPaths(v, p);
  });
}

/** Attributes that put a database password into plan and state even when they only reference a generated value. */
const STATE_PASSWORD_ATTRIBUTES: Readonly<Record<string, string>> = {
  aws_db_instance: "password",
  aws_rds_cluster: "master_password",
  aws_docdb_cluster: "master_password",
  aws_redshift_cluster: "master_password",
  aws_neptune_cluster: "master_password",
};

/**
 * Secrets audit of one stack's Terraform JSON: literal values under secret-named keys (also inside Helm values
 * documents and `set`/`set_sensitive` entries), literal Secrets Manager secret strings and Kubernetes Secret data,
 * database passwords set at all (RDS must manage them), generated passwords kept in state, and secret text patterns.
 */
export function auditSecretsInJson(stackId: string, json: TerraformJson): string[] {
  const out: string[] = [];
  for (const [type, name, cfg] of resourcesOf(json)) {
    const address = `${type}.${name}`;
    const add = (rule: string, detail: string) => out.push(finding(stackId, address, rule, detail));
    for (const p of literalSecretPaths(cfg)) add("literal-secret", `${p} holds a literal value; reference a managed secret instead`);
    const pwAttr = STATE_PASSWORD_ATTRIBUTES[type];
    if (pwAttr && cfg[pwAttr] !== undefined) add("managed-password", `${pwAttr} is set, which puts the password in plan and state; use manage_master_user_password = true`);
    if (type === "aws_secretsmanager_secret_version" && isLiteralSecretValue(cfg.secret_string)) {
      add("literal-secret", "secret_string is a literal; create the secret value outside Terraform or with secret_string_wo");
    }
    if (type === "aws_secretsmanager_secret_version" && cfg.secret_binary !== undefined && !String(cfg.secret_binary).includes("${")) {
      add("literal-secret", "secret_binary is a literal");
    }
    if (type === "random_password") add("secret-in-state", "random_password keeps its result in Terraform state; let the service generate the secret (RDS manage_master_user_password, Secrets Manager rotation)");
    if (type === "kubernetes_secret" || type === "kubernetes_secret_v1") {
      for (const attr of ["data", "binary_data"]) {
        for (const [k, v] of Object.entries((cfg[attr] ?? {}) as Record<string, unknown>)) {
          if (isLiteralSecretValue(v)) add("literal-secret", `${attr}.${k} is a literal; sync it with External Secrets`);
        }
      }
    }
    if (type === "aws_ssm_parameter" && cfg.type === "SecureString" && isLiteralSecretValue(cfg.value)) add("literal-secret", "SecureString value is a literal");
    if (type === "helm_release") {
      (cfg.values ?? []).forEach((text: unknown, i: number) => {
        let doc: unknown;
        try {
          doc = typeof text === "string" ? parseValuesDocument(text) : undefined;
        } catch {
          return;
        }
        for (const p of literalSecretPaths(doc)) add("literal-secret", `values[${i}] ${p} holds a literal value; use an existing Kubernetes secret synced by External Secrets`);
        const manifests = (doc as { manifests?: unknown } | undefined)?.manifests;
        for (const m of Array.isArray(manifests) ? manifests : []) {
          if (m?.kind !== "Secret") continue;
          for (const attr of ["data", "stringData"]) {
            for (const [k, v] of Object.entries((m[attr] ?? {}) as Record<string, unknown>)) {
              if (isLiteralSecretValue(v)) add("literal-secret", `values[${i}] manifests Secret/${m.metadata?.name}: ${attr}.${k} is a literal; sync it with External Secrets`);
            }
          }
        }
      });
      for (const s of blocks<{ name?: string; value?: unknown }>(cfg.set)) {
        const last = (s.name ?? "").split(/(?<!\\)\./).pop() ?? "";
        if (isSecretKeyName(last) && isLiteralSecretValue(s.value)) add("literal-secret", `set ${s.name} holds a literal value`);
      }
      for (const s of blocks<{ name?: string; value?: unknown }>(cfg.set_sensitive)) {
        if (isLiteralSecretValue(s.value)) add("literal-secret", `set_sensitive ${s.name} holds a literal value (sensitive values still land in state)`);
      }
    }
  }
  const extra = json as TerraformJson & { variable?: unknown; locals?: unknown };
  for (const [kind, byName] of Object.entries({ variable: extra.variable, output: extra.output, locals: extra.locals })) {
    for (const p of literalSecretPaths(byName ?? {})) out.push(finding(stackId, kind, "literal-secret", `${p} holds a literal value`));
  }
  return out;
}

function walkFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? walkFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * Secrets audit of everything cdktf wrote: every stack's cdk.tf.json (structured, see auditSecretsInJson), and every
 * file (manifest.json, asset files such as in-repo charts) for secret-named keys in JSON/YAML and secret patterns.
 */
export function auditSecretsInDir(outdir: string): string[] {
  const out: string[] = [];
  for (const file of walkFiles(outdir)) {
    const rel = relative(outdir, file);
    const buf = readFileSync(file);
    const text = buf.toString("latin1");
    for (const hit of scanTextForSecrets(text)) out.push(finding(rel, "(file)", "secret-pattern", hit));
    const m = /^stacks\/([^/]+)\/cdk\.tf\.json$/.exec(rel.split("\\").join("/"));
    if (m) {
      out.push(...auditSecretsInJson(m[1], JSON.parse(buf.toString("utf8")) as TerraformJson));
      continue;
    }
    let doc: unknown;
    try {
      if (/\.json$/i.test(file)) doc = JSON.parse(buf.toString("utf8"));
      else if (/\.ya?ml$/i.test(file)) doc = parse(buf.toString("utf8"));
    } catch {
      doc = undefined;
    }
    for (const p of literalSecretPaths(doc)) out.push(finding(rel, "(file)", "literal-secret", `${p} holds a literal value`));
  }
  return out;
}
