import { resources, stack } from "./helpers/synth";

describe("foundation stack", () => {
  test.each(["dev", "staging", "prod"])("%s keeps its state in S3 under <env>/foundation.tfstate with native locking", (env) => {
    const backend = stack(`${env}-foundation`).json.terraform.backend.s3;
    expect(backend).toEqual(expect.objectContaining({ key: `${env}/foundation.tfstate`, encrypt: true, use_lockfile: true }));
  });

  test("prod runs a NAT gateway per AZ and dev a single one", () => {
    expect(Object.keys(resources(stack("prod-foundation"), "aws_nat_gateway"))).toHaveLength(3);
    expect(Object.keys(resources(stack("dev-foundation"), "aws_nat_gateway"))).toHaveLength(1);
  });
});
