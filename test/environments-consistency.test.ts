import { EnvironmentError, loadEnvironments, validateEnvironment } from "../environments/lib/load";
import { consistencyProblems, overlaps } from "../environments/lib/consistency";
import { brokenStaging, environmentDir, environmentModule, problemsOf, removeEnvironmentDirs, unusedVpcCidr } from "./helpers/environments";
import { projectEnvironments } from "./helpers/synth";

afterAll(removeEnvironmentDirs);

/** A staging copy named `name`, with `mutate` applied. */
const copy = (name: string, mutate: Parameters<typeof brokenStaging>[0] = () => undefined) => validateEnvironment(name, brokenStaging(mutate));

describe("what a copied environment file must not share with the others", () => {
  test("the shipped environments are consistent with each other", () => {
    expect(consistencyProblems(projectEnvironments())).toEqual([]);
  });

  test("fails a fork that keeps its parent's VPC range in the same account and region", () => {
    const research = copy("research");
    expect(consistencyProblems([...projectEnvironments(), research])).toEqual([
      'environment "staging": network.vpcCidr: got "10.30.0.0/16"; overlaps environment "research" (10.30.0.0/16) in account 111122223333 us-east-1: give each environment of an account and region its own range',
    ]);
  });

  test("fails a range that only partly overlaps (a /20 inside another environment's /16)", () => {
    const research = copy("research", (e) => {
      e.network.vpcCidr = "10.20.16.0/20";
      e.network.privateSubnetPrefixLength = 23;
    });
    expect(consistencyProblems([...projectEnvironments(), research])).toEqual([
      'environment "research": network.vpcCidr: got "10.20.16.0/20"; overlaps environment "dev" (10.20.0.0/16) in account 111122223333 us-east-1: give each environment of an account and region its own range',
    ]);
  });

  test("accepts the same range in another account or another region", () => {
    const otherAccount = copy("research", (e) => (e.account.id = "777788889999"));
    const otherRegion = copy("research-eu", (e) => {
      e.account.region = "eu-west-1";
      e.network.availabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
      e.compute.efa.availabilityZones = ["eu-west-1b"];
    });
    expect(consistencyProblems([...projectEnvironments(), { ...otherAccount, deploy: { ...otherAccount.deploy, githubOidcProvider: "create" } }, otherRegion])).toEqual([]);
  });

  test("fails a second environment creating the GitHub OIDC provider of an account", () => {
    const research = copy("research", (e) => {
      e.network.vpcCidr = unusedVpcCidr(0, projectEnvironments().map((x) => x.network.vpcCidr));
      e.deploy.githubOidcProvider = "create";
    });
    expect(consistencyProblems([...projectEnvironments(), research])).toEqual([
      'environment "research": deploy.githubOidcProvider: got "create"; environment "dev" already creates the GitHub OIDC provider of account 111122223333 (one per account): use "existing"',
    ]);
  });

  test("loadEnvironments reports conflicts as an EnvironmentError (nothing is synthesized)", () => {
    const dir = environmentDir({ "a.js": environmentModule(brokenStaging(() => undefined)), "b.js": environmentModule(brokenStaging(() => undefined)) });
    expect(() => loadEnvironments(dir)).toThrow(EnvironmentError);
    expect(() => loadEnvironments(dir)).toThrow(/environment "b": network.vpcCidr: got "10.30.0.0\/16"; overlaps environment "a"/);
  });

  test("overlaps compares address ranges, not strings", () => {
    expect(overlaps("10.0.0.0/16", "10.0.255.0/24")).toBe(true);
    expect(overlaps("10.0.0.0/16", "10.1.0.0/16")).toBe(false);
    expect(overlaps("10.0.0.0/8", "10.200.0.0/16")).toBe(true);
  });
});

describe("deploy settings", () => {
  test("fails a repository that is not owner/name", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.deploy.githubRepository = "ml-platform")))).toEqual([
      'environment "staging": deploy.githubRepository: got "ml-platform"; must be a GitHub repository like example-org/ml-platform',
    ]);
  });

  test("fails an OIDC provider mode other than create or existing", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.deploy.githubOidcProvider = "import")))[0]).toMatch(
      /^environment "staging": deploy.githubOidcProvider: got "import"; Invalid option: expected one of "create"\|"existing"$/,
    );
  });

  test("fails a deploy branch that is not a branch name", () => {
    expect(problemsOf("staging", brokenStaging((e) => (e.deploy.branch = "main..x")))).toEqual(['environment "staging": deploy.branch: got "main..x"; must be a valid git branch name']);
  });

  test("fails an environment without a deploy section", () => {
    expect(problemsOf("staging", brokenStaging((e) => delete e.deploy))[0]).toMatch(/^environment "staging": deploy: got nothing; /);
  });

  test("defaults: deploy branch main, a medium runner with 30 days of logs", () => {
    expect(copy("staging").deploy).toEqual({
      githubRepository: "example-org/ml-platform",
      githubOidcProvider: "existing",
      branch: "main",
      runner: { computeType: "BUILD_GENERAL1_MEDIUM", logRetentionDays: 30 },
    });
  });
});
