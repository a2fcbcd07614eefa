import { validateEnvironment } from "../../environments/lib/load";
import stagingInput from "../../environments/staging";
import { BootstrapStack } from "../../stacks/bootstrap-stack";
import { single, synthStack, testApp } from "../helpers/construct";
import { brokenStaging } from "../helpers/environments";
import type { TerraformJson } from "../helpers/synth";

function synthBootstrap(name: string, input: unknown): TerraformJson {
  return synthStack(new BootstrapStack(testApp(), validateEnvironment(name, input)));
}

describe("BootstrapStack", () => {
  const json = synthBootstrap("staging", stagingInput);

  test("keeps its own state locally (the bucket it creates cannot hold it yet)", () => {
    expect(json.terraform.backend).toEqual({ local: { path: "../../../bootstrap-state/staging-bootstrap.tfstate" } });
  });

  test("creates the environment's state bucket, protected from destroy", () => {
    expect(single(json, "aws_s3_bucket")[1]).toEqual({ bucket: "mlp-tfstate-staging-111122223333", force_destroy: false, lifecycle: { prevent_destroy: true } });
  });

  test("expires noncurrent state versions after 90 days by default", () => {
    expect(single(json, "aws_s3_bucket_lifecycle_configuration")[1].rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
    expect(single(json, "aws_s3_bucket_versioning")[1].versioning_configuration).toEqual({ status: "Enabled" });
  });

  test("honours a custom state bucket name and retention", () => {
    const custom = synthBootstrap(
      "staging",
      brokenStaging((e) => (e.stateBackend = { bucket: "acme-ml-staging-tfstate", noncurrentVersionExpirationDays: 30 })),
    );
    expect(single(custom, "aws_s3_bucket")[1].bucket).toBe("acme-ml-staging-tfstate");
    expect(single(custom, "aws_s3_bucket_lifecycle_configuration")[1].rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
    expect(custom.output).toEqual({ state_bucket: { value: expect.stringMatching(/^\$\{aws_s3_bucket\..+\.bucket\}$/) } });
  });

  test("pins the provider to the environment's account and region with cost tags as default tags", () => {
    expect(json.provider!.aws).toEqual([
      {
        region: "us-east-1",
        allowed_account_ids: ["111122223333"],
        default_tags: [{ tags: { Project: "ml-platform", Team: "ml-platform", CostCenter: "ml-stg-4200", Environment: "staging" } }],
      },
    ]);
  });
});
