import { AVAILABILITY_ZONES } from "../constructs/catalog/availability-zones.generated";
import { duplicateKeys } from "../environments/lib/duplicate-keys";
import { EnvironmentError, loadEnvironments, validateEnvironment } from "../environments/lib/load";
import { consistencyProblems } from "../environments/lib/consistency";
import prodInput from "../environments/prod";
import { brokenStaging, environmentDir, environmentModule, problemsOf, removeEnvironmentDirs, unusedVpcCidr, type LooseInput } from "./helpers/environments";
import { projectEnvironments } from "./helpers/synth";

afterAll(removeEnvironmentDirs);

/** The problems loadEnvironments reports for a directory of files; fails the test when it loads. */
function loadProblems(files: Record<string, string>): readonly string[] {
  try {
    loadEnvironments(environmentDir(files));
  } catch (e) {
    if (e instanceof EnvironmentError) return e.problems;
    throw e;
  }
  throw new Error("the directory loaded but should have been rejected");
}

/** A staging copy called `name`, changed by `mutate`, validated on its own (it must pass alone). */
const fork = (name: string, mutate: (e: LooseInput) => void) => validateEnvironment(name, brokenStaging(mutate));

/** A staging copy that does not collide with the shipped environments (own VPC range, OIDC provider "existing"). */
/** /16 ranges no project environment uses (a fork may take any range, 10.90 included). */
const free = (i: number) => unusedVpcCidr(i, projectEnvironments().map((e) => e.network.vpcCidr));
const distinctStaging = (mutate: (e: LooseInput) => void = () => undefined) =>
  brokenStaging((e) => {
    e.network.vpcCidr = free(0);
    mutate(e);
  });

describe("an environment file that is not a module, or not a loadable one", () => {
  const valid = environmentModule(distinctStaging());

  test.each([
    ["a YAML file", "research.yaml", "research.ts"],
    ["a TSX module", "research.tsx", "research.ts"],
    ["an ES module extension", "research.mts", "research.ts"],
    ["a backup copy", "research.ts.bak", "research.ts"],
    ["a declaration file", "research.d.ts", "research.ts"],
  ])("fails %s in environments/ instead of ignoring it", (_what, file, rename) => {
    expect(loadProblems({ "research.js": valid, [file]: "tier: staging\n" })).toEqual([
      `environments/${file}: not an environment file, so it would be ignored: environments are TypeScript modules named <name>.ts (rename it to ${rename}, or move it out of environments/)`,
    ]);
  });

  test("ignores dotfiles (editor and OS litter) and lib/, the schema", () => {
    const dir = environmentDir({ "research.js": valid, ".DS_Store": "", ".research.ts.swp": "" });
    expect(loadEnvironments(dir).map((e) => e.name)).toEqual(["research"]);
  });

  test("fails a syntax error with the file and line, not a stack trace", () => {
    const broken = valid.replace('"tier": "staging",', '"tier": "staging",,');
    const problems = loadProblems({ "research.js": broken });
    expect(problems).toEqual([expect.stringMatching(/^environment "research": research\.js line 3: cannot be loaded: SyntaxError: Unexpected token ','; fix the file/)]);
    expect(problems[0]).not.toMatch(/\n|    at /);
  });

  test("fails a file that throws while it is loaded, naming the file, line and error", () => {
    const throwing = `"use strict";\nconst base = undefined;\nexports.default = { ...base.input };\n`;
    expect(loadProblems({ "research.js": throwing, "other.js": valid })).toEqual([
      expect.stringMatching(/^environment "research": research\.js line 3: cannot be loaded: TypeError: Cannot read properties of undefined \(reading 'input'\); fix the file/),
    ]);
  });

  test("fails a file that imports a module that does not exist", () => {
    expect(loadProblems({ "research.js": `"use strict";\nconst shared = require("./shared-settings");\nexports.default = shared;\n` })).toEqual([
      expect.stringMatching(/^environment "research": research\.js line 2: cannot be loaded: Error: Cannot find module '\.\/shared-settings' from /),
    ]);
  });

  test("fails a directory in environments/ (its files would be ignored)", () => {
    const dir = environmentDir({ "research.js": valid });
    require("node:fs").mkdirSync(`${dir}/old`);
    expect(() => loadEnvironments(dir)).toThrow("environments/old/: a directory; environment files sit directly in environments/ (only lib/ is allowed beside them)");
  });
});

describe("a key written twice in one object (the later value silently wins)", () => {
  test("fails it with the field path, the value that won and, in a .ts source, both lines", () => {
    const text = environmentModule(distinctStaging()).replace(`"vpcCidr": "${free(0)}",`, `"vpcCidr": "${free(0)}",\n    "vpcCidr": "10.30.0.0/16",`);
    expect(loadProblems({ "research.js": text })).toEqual([
      'environment "research": network.vpcCidr: got "10.30.0.0/16"; written twice in one object (research.js), so the later value silently replaced the earlier: keep one',
    ]);
  });

  test("finds duplicates at any depth, in arrays, and as quoted or bare keys, with their lines", () => {
    const source = [
      "export default defineEnvironment({",
      '  tier: "staging",',
      "  network: { vpcCidr: `10.${n}.0.0/16`, // } in a comment",
      '    "vpcCidr": "10.1.0.0/16" },',
      '  compute: { gpuInferencePool: { budgets: [{ nodes: "1" }, { nodes: "2", nodes: "3" }] } },',
      '  tier: "production",',
      "});",
    ].join("\n");
    expect(duplicateKeys(source)).toEqual([
      { path: ["network", "vpcCidr"], firstLine: 3, line: 4 },
      { path: ["compute", "gpuInferencePool", "budgets", 1, "nodes"], firstLine: 5, line: 5 },
      { path: ["tier"], firstLine: 2, line: 6 },
    ]);
  });

  test("does not confuse the same key in sibling objects, spreads, function bodies or strings", () => {
    const source = [
      "const base = { a: 1 };",
      "function f() { if (x) { return { a: 2 }; } return { a: 3 }; }",
      'export default { ...base, a: "{ a: 4, a: 5 }", b: [{ a: 1 }, { a: 2 }], c: { a: 1 }, d: { a: 1 } };',
    ].join("\n");
    expect(duplicateKeys(source)).toEqual([]);
  });

  test("the shipped environment files have none", () => {
    for (const name of ["dev", "staging", "prod"]) expect(duplicateKeys(require("node:fs").readFileSync(`${__dirname}/../environments/${name}.ts`, "utf8"))).toEqual([]);
  });
});

describe("values AWS would reject at apply time", () => {
  test("fails an availability zone the region does not have (us-east-2 has a, b and c)", () => {
    const input = brokenStaging((e) => {
      e.account.region = "us-east-2";
      e.network.availabilityZones = ["us-east-2a", "us-east-2b", "us-east-2d"];
      e.compute.efa.availabilityZones = ["us-east-2b"];
    });
    expect(problemsOf("staging", input)).toEqual([
      'environment "staging": network.availabilityZones[2]: got "us-east-2d"; must be an availability zone of us-east-2 (us-east-2a, us-east-2b, us-east-2c; constructs/catalog/availability-zones.generated.ts)',
    ]);
  });

  test("the zone table covers every region the schema accepts, with at least three zones each", () => {
    const { REGIONS } = require("../environments/lib/fields") as typeof import("../environments/lib/fields");
    expect(Object.keys(AVAILABILITY_ZONES).sort()).toEqual([...REGIONS].sort());
    for (const r of REGIONS) expect(AVAILABILITY_ZONES[r].length).toBeGreaterThanOrEqual(3);
  });

  test.each(["aws:cost-center", "AWS:ml", "Aws:platform"])("fails a tag value starting with the reserved prefix (%s)", (value) => {
    expect(problemsOf("staging", brokenStaging((e) => (e.tags.Project = value)))).toEqual([
      `environment "staging": tags.Project: got "${value}"; must not start with aws: (in any letter case): AWS reserves that prefix for its own tag keys and values`,
    ]);
  });

  test("accepts aws elsewhere in a tag value", () => {
    expect(validateEnvironment("staging", brokenStaging((e) => (e.tags.Project = "ml-on-aws:v2"))).tags.Project).toBe("ml-on-aws:v2");
  });
});

describe("what an environment must not share with another", () => {
  test("the shipped environments share nothing they must not", () => {
    expect(consistencyProblems(projectEnvironments())).toEqual([]);
  });

  test("fails an environment claiming a lower tier in an account another environment uses as production", () => {
    const sandbox = fork("sandbox", (e) => {
      e.account.id = "444455556666";
      e.network.vpcCidr = free(1);
    });
    expect(consistencyProblems([...projectEnvironments(), sandbox])).toEqual([
      'environment "sandbox": tier: got "staging"; account 444455556666 is a production account (environment "prod"): give this environment an account of its own, or make it production tier',
    ]);
  });

  test("fails a production copy moved into an account that development environments use (both named)", () => {
    const prodCopy = validateEnvironment("prod-copy", { ...structuredClone(prodInput), account: { id: "111122223333", region: "us-east-1" }, network: { ...prodInput.network, vpcCidr: free(2) }, deploy: { ...prodInput.deploy, githubOidcProvider: "existing" } });
    // dev and staging (and any fork of them, which shares their account).
    const named = projectEnvironments().filter((e) => e.account.id === "111122223333");
    expect(named.map((e) => e.name)).toEqual(expect.arrayContaining(["dev", "staging"]));
    expect(consistencyProblems([...projectEnvironments(), prodCopy])).toEqual(
      named.map((e) => `environment "${e.name}": tier: got "${e.tier}"; account 111122223333 is a production account (environment "prod-copy"): give this environment an account of its own, or make it production tier`),
    );
  });

  test("fails an environment named <other>-<suffix> in the other's account (its roles would match mlp-<other>-*), not in another account", () => {
    const copy = (name: string, account: string) =>
      validateEnvironment(name, { ...structuredClone(prodInput), account: { ...prodInput.account, id: account }, network: { ...prodInput.network, vpcCidr: free(4) }, deploy: { ...prodInput.deploy, githubOidcProvider: "existing" } });
    expect(consistencyProblems([...projectEnvironments(), copy("prod-eu", "444455556666")])).toEqual([
      'environment "prod-eu": name: got "prod-eu"; starts with "prod-", and environment "prod" in account 444455556666 manages every role named mlp-prod-*: rename it (for example "prodeu") or give it an account of its own',
    ]);
    expect(consistencyProblems([...projectEnvironments(), copy("prod-eu", "777788889999")])).toEqual([]);
  });

  test("fails a Feast project shared by two environments of one account and region, not across regions", () => {
    const research = fork("research", (e) => {
      e.network.vpcCidr = free(3);
      e.ml.feast = { project: "mlp_staging" };
    });
    expect(consistencyProblems([...projectEnvironments(), research])).toEqual([
      'environment "staging": ml.feast.project: got "mlp_staging"; environment "research" uses the same Feast project in account 111122223333 us-east-1, so both would write the same DynamoDB tables (<project>.<feature view>): give each its own project',
    ]);
    const elsewhere = fork("research", (e) => {
      e.account.region = "eu-west-1";
      e.network.availabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
      e.compute.efa.availabilityZones = ["eu-west-1b"];
      e.ml.feast = { project: "mlp_staging" };
    });
    expect(consistencyProblems([...projectEnvironments(), elsewhere])).toEqual([]);
  });

  test("fails a state bucket shared by two environments, in any account (S3 names are global)", () => {
    const research = fork("research", (e) => {
      e.account.id = "777788889999";
      e.stateBackend = { bucket: "mlp-tfstate-staging-111122223333" };
    });
    expect(consistencyProblems([...projectEnvironments(), research])).toEqual([
      'environment "staging": stateBackend.bucket: got "mlp-tfstate-staging-111122223333"; environment "research" uses the same state bucket (S3 bucket names are global and each environment\'s bootstrap stack creates its own): remove the field to get mlp-tfstate-staging-111122223333',
    ]);
  });

  test("fails a copied file that changed only its region with every problem at once, before anything is synthesized", () => {
    const copy = { ...structuredClone(prodInput), account: { ...prodInput.account, region: "eu-west-1" } };
    const problems = loadProblems({ "prod.js": environmentModule(prodInput), "prod-eu.js": environmentModule(copy) });
    expect(problems).toEqual([
      'environment "prod-eu": network.availabilityZones[0]: got "us-east-1a"; must be an availability zone of eu-west-1 (eu-west-1a, eu-west-1b, eu-west-1c; constructs/catalog/availability-zones.generated.ts)',
      'environment "prod-eu": network.availabilityZones[1]: got "us-east-1b"; must be an availability zone of eu-west-1 (eu-west-1a, eu-west-1b, eu-west-1c; constructs/catalog/availability-zones.generated.ts)',
      'environment "prod-eu": network.availabilityZones[2]: got "us-east-1c"; must be an availability zone of eu-west-1 (eu-west-1a, eu-west-1b, eu-west-1c; constructs/catalog/availability-zones.generated.ts)',
      'environment "prod-eu": ml.ingress.certificate.arn: got "arn:aws:acm:us-east-1:444455556666:certificate/12345678-1234-1234-1234-123456789012"; must be a certificate in eu-west-1: a load balancer uses certificates of its own region only',
    ]);
  });
});
