import type { AuditTarget } from "./audit-context";
import type { TerraformJson } from "./synth";

/** Cost tags of the hand-made fixture environment `dev`. */
export const FIXTURE_TAGS = { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-dev-4100", Environment: "dev" } as const;

/** Account of the fixture environment. */
export const FIXTURE_ACCOUNT = "111122223333";

/** A provider block with correct default tags, for fixtures that test something else. */
export function fixtureProvider(tags: Record<string, string> = { ...FIXTURE_TAGS }): TerraformJson["provider"] {
  return { aws: [{ region: "us-east-1", allowed_account_ids: [FIXTURE_ACCOUNT], default_tags: [{ tags }] }] };
}

/**
 * A hand-made stack `dev-fixture` for meta-tests that prove each audit can fail: pass only the resources and data
 * sources under test; the provider is correct unless given.
 */
export function fixture(parts: { resource?: TerraformJson["resource"]; data?: TerraformJson["data"]; provider?: TerraformJson["provider"] }): AuditTarget {
  return {
    id: "dev-fixture",
    json: { provider: parts.provider ?? fixtureProvider(), resource: parts.resource ?? {}, data: parts.data },
    envName: "dev",
    accountId: FIXTURE_ACCOUNT,
    costTags: { ...FIXTURE_TAGS },
  };
}

/** A policy document string as the constructs render it. */
export function doc(...statements: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** A helm_release of the in-repo manifests chart rendering these objects. */
export function manifestsRelease(...objects: Array<Record<string, unknown>>): Record<string, unknown> {
  return { name: "capacity", chart: "./assets/chart/manifests", namespace: "kube-system", values: [JSON.stringify({ manifests: objects })] };
}
