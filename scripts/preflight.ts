// `npm run -s preflight [-- --json]`: what each environment's AWS account must have before its first deploy (method in
// environments/lib/preflight.ts): EC2 vCPU quotas, instance types per availability zone, capacity reservations,
// service-linked roles; with the AWS CLI commands that check each.
import { join } from "node:path";
import { EnvironmentError, loadEnvironments } from "../environments/lib/load";
import { preflight, QUOTA_BUCKETS, type Preflight } from "../environments/lib/preflight";

/** The preflight of every environment as Markdown. */
export function preflightMarkdown(all: readonly Preflight[]): string {
  const out = ["# Before the first deploy", ""];
  for (const p of all) {
    out.push(`## ${p.environment} (account ${p.account}, ${p.region})`, "", "EC2 vCPU quotas (Service Quotas, service code ec2):", "", "| quota | code | vCPUs needed |", "|---|---|---:|");
    for (const q of p.quotas) out.push(`| ${q.name} | ${q.code} | ${q.vcpus} |`);
    out.push("", `Check: \`aws service-quotas get-service-quota --service-code ec2 --quota-code <code> --region ${p.region}\``, "");
    out.push("| capacity | quota family | vCPUs | basis | families | availability zones |", "|---|---|---:|---|---|---|");
    for (const d of p.demands) {
      out.push(`| ${d.source} | ${QUOTA_BUCKETS[d.bucket].label}${d.onDemand ? " on-demand" : ""}${d.spot ? " spot" : ""}${d.reservations.length ? " reserved" : ""} | ${d.vcpus} | ${d.basis} | ${d.instanceTypes.join(", ")} | ${d.availabilityZones.join(", ")} |`);
    }
    out.push(
      "",
      `Instance types are assumed offered in those zones: \`aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=instance-type,Values=<type> --region ${p.region}\`.`,
      "",
      `Capacity reservations expected: ${p.reservations.length ? p.reservations.map((r) => `\`${r}\``).join(", ") : "none"}.`,
      "",
      "Service-linked roles:",
      "",
    );
    for (const r of p.serviceLinkedRoles) out.push(`- ${r.role} (${r.service}): ${r.beforehand ? "**create before the first deploy**" : "created automatically"}; ${r.why}`);
    out.push("");
  }
  return out.join("\n");
}

if (require.main === module) {
  try {
    const all = loadEnvironments(join(__dirname, "..", "environments")).map(preflight);
    process.stdout.write(process.argv.includes("--json") ? `${JSON.stringify(all, null, 2)}\n` : `${preflightMarkdown(all)}\n`);
  } catch (e) {
    console.error(e instanceof EnvironmentError ? e.message : (e as Error).message);
    process.exitCode = 1;
  }
}
