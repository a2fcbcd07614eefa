import { secretStoreRoleRule } from "../../constructs/secrets/secret-store-policy";
import { renderedObject } from "../helpers/ml-helm";
import { projectEnvironments, stack } from "../helpers/synth";

describe("the admission policy of SecretStore roles (evaluated with CEL in npm run verify)", () => {
  test.each(projectEnvironments().map((e) => e.name))("%s: denies, fails closed, and covers creating and changing both store kinds", (env) => {
    const s = stack(`${env}-platform`);
    const policy = renderedObject(s, "ValidatingAdmissionPolicy", "ml-platform-secret-store-roles");
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: ["external-secrets.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["secretstores", "clustersecretstores"] },
    ]);
    expect(policy.spec.validations[0].expression).toContain(`mlp-${env}-secrets-`);
    const binding = renderedObject(s, "ValidatingAdmissionPolicyBinding", "ml-platform-secret-store-roles");
    expect(binding.spec).toEqual({ policyName: "ml-platform-secret-store-roles", validationActions: ["Deny"] });
  });

  test("fails a role prefix that is not a lowercase role ARN (the rule compares lowercased ARNs)", () => {
    expect(() => secretStoreRoleRule("arn:aws:iam::111122223333:role/MLP-dev-secrets-")).toThrow("secret store role prefix must be a lowercase IAM role ARN prefix");
    expect(() => secretStoreRoleRule("mlp-dev-secrets-")).toThrow("secret store role prefix must be a lowercase IAM role ARN prefix");
  });
});
