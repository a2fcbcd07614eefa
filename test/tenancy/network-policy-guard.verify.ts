import { cel } from "../helpers/cel";
import { renderedObject } from "../helpers/ml-helm";
import { projectEnvironments, resources, stack } from "../helpers/synth";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const request = (groups: string[] | undefined, operation: string, namespace: string) => ({
  request: { kind: { group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy" }, operation, namespace, userInfo: { username: "someone", ...(groups ? { groups } : {}) } },
});

/**
 * The admission rule that keeps team members off NetworkPolicies, evaluated as rendered for every environment with
 * @marcbachmann/cel-js (Kubernetes runs cel-go; the expression uses only `has`, `exists` and `startsWith`, common to both).
 */
describe.each(projectEnvironments().filter((e) => e.teams.tenants.length).map((e) => e.name))("%s: the team NetworkPolicy admission rule", (env) => {
  const [validation] = renderedObject(stack(`${env}-teams`), "ValidatingAdmissionPolicy", "ml-platform-team-network-policies").spec.validations;
  // The groups the teams' access entries actually give their members.
  const memberGroups = (Object.values(resources(stack(`${env}-teams`), "aws_eks_access_entry")) as Any[]).map((e) => e.kubernetes_groups as string[]);

  test("denies every team member's create, update and delete, in their namespace or any other", () => {
    expect(memberGroups.length).toBeGreaterThan(0);
    for (const groups of memberGroups) {
      for (const op of ["CREATE", "UPDATE", "DELETE"]) expect([groups, op, cel(validation.expression, request([...groups, "system:authenticated"], op, "some-team"))]).toEqual([groups, op, false]);
    }
  });

  test("admits the platform's own identity and users in no team group", () => {
    expect(cel(validation.expression, request(["system:authenticated"], "UPDATE", "some-team"))).toBe(true);
    expect(cel(validation.expression, request(["system:masters", "ml-platform:teams-admins"], "DELETE", "some-team"))).toBe(true);
    expect(cel(validation.expression, request(undefined, "CREATE", "some-team"))).toBe(true);
  });
});

/** A Service or Ingress create by a user with these groups, as the API server hands it to admission. */
const exposure = (groups: string[] | undefined, kind: "Service" | "Ingress", type?: string) => ({
  request: { kind: { group: kind === "Service" ? "" : "networking.k8s.io", version: "v1", kind }, operation: "CREATE", namespace: "some-team", userInfo: { username: "someone", ...(groups ? { groups } : {}) } },
  object: { kind, metadata: { name: "x", namespace: "some-team" }, spec: kind === "Service" ? { ...(type ? { type } : {}), ports: [{ port: 80 }] } : { rules: [] } },
});

describe.each(projectEnvironments().filter((e) => e.teams.tenants.length).map((e) => e.name))("%s: the team exposure admission rule", (env) => {
  const [validation] = renderedObject(stack(`${env}-teams`), "ValidatingAdmissionPolicy", "ml-platform-team-exposure").spec.validations;
  const memberGroups = (Object.values(resources(stack(`${env}-teams`), "aws_eks_access_entry")) as Any[]).map((e) => e.kubernetes_groups as string[]);

  test("denies a team member's Ingress and LoadBalancer or NodePort Service; admits their ClusterIP, headless and untyped Services", () => {
    expect(memberGroups.length).toBeGreaterThan(0);
    for (const groups of memberGroups) {
      const g = [...groups, "system:authenticated"];
      expect(cel(validation.expression, exposure(g, "Ingress"))).toBe(false);
      expect(cel(validation.expression, exposure(g, "Service", "LoadBalancer"))).toBe(false);
      expect(cel(validation.expression, exposure(g, "Service", "NodePort"))).toBe(false);
      expect(cel(validation.expression, exposure(g, "Service", "ClusterIP"))).toBe(true);
      expect(cel(validation.expression, exposure(g, "Service"))).toBe(true);
    }
  });

  test("admits the platform's own identity and users in no team group, whatever they create", () => {
    expect(cel(validation.expression, exposure(["system:authenticated"], "Ingress"))).toBe(true);
    expect(cel(validation.expression, exposure(["system:masters"], "Service", "LoadBalancer"))).toBe(true);
    expect(cel(validation.expression, exposure(undefined, "Service", "NodePort"))).toBe(true);
  });
});
