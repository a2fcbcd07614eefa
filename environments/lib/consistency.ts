import { parseCidr } from "./cidr";
import type { Environment } from "./schema";

/**
 * Rules that compare environment files with each other: what a copied file must not share with its parent.
 * Each problem names the environment, the field, the value and the environment it collides with.
 */
export function consistencyProblems(envs: readonly Environment[]): string[] {
  const problems: string[] = [];
  const sorted = [...envs].sort((a, b) => a.name.localeCompare(b.name));
  const where = (e: Environment) => `account ${e.account.id} ${e.account.region}`;

  // Two VPCs with overlapping ranges in one account and region can never be peered or share a transit gateway,
  // and a copied file keeps its parent's range unless someone changes it.
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(0, i)) {
      if (a.account.id !== b.account.id || a.account.region !== b.account.region) continue;
      if (overlaps(a.network.vpcCidr, b.network.vpcCidr)) {
        problems.push(
          `environment "${a.name}": network.vpcCidr: got "${a.network.vpcCidr}"; overlaps environment "${b.name}" (${b.network.vpcCidr}) in ${where(a)}: give each environment of an account and region its own range`,
        );
      }
    }
  }

  // The GitHub OIDC provider is one per account: two bootstrap stacks creating it would collide.
  const creators = new Map<string, Environment[]>();
  for (const e of sorted) if (e.deploy.githubOidcProvider === "create") creators.set(e.account.id, [...(creators.get(e.account.id) ?? []), e]);
  for (const [account, list] of creators) {
    for (const e of list.slice(1)) {
      problems.push(
        `environment "${e.name}": deploy.githubOidcProvider: got "create"; environment "${list[0].name}" already creates the GitHub OIDC provider of account ${account} (one per account): use "existing"`,
      );
    }
  }
  return problems;
}

/** Whether two IPv4 CIDRs share any address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const end = (c: { base: number; prefix: number }) => c.base + 2 ** (32 - c.prefix);
  return x.base < end(y) && y.base < end(x);
}
