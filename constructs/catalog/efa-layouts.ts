import { findInstanceType } from "./instance-types";

/**
 * Network cards of the EFA instance types this platform supports. The instance catalog only knows the EFA
 * maximum (`vpc.amazonaws.com/efa`); where the EFA devices sit (which network cards, and whether card 0 can
 * carry one) is per type and is not in Karpenter's generated table, so it is kept here with its source.
 *
 * Sources: EC2 User Guide "Network cards" (per-type network card counts) and "Maximize network bandwidth on
 * Amazon EC2 instances with multiple network cards" (interface layout); EKS User Guide "device-management-efa";
 * p6-b300: 17 network cards, card 0 ENA-only (../shared/FACTS.md, EFA section; eksctl #8692). Card counts are
 * from the documentation, not from DescribeInstanceTypes (no AWS access offline).
 * Checked against the catalog's EFA maximum by test/efa-layout.test.ts.
 */
export interface EfaNetworkCards {
  /** Network cards of the type. */
  readonly networkCards: number;
  /** Whether network card 0 can carry an EFA device (false on p6-b300, whose card 0 is ENA-only). */
  readonly card0SupportsEfa: boolean;
}

/** Supported EFA instance types and their network cards. */
export const EFA_NETWORK_CARDS: Readonly<Record<string, EfaNetworkCards>> = {
  "g6e.8xlarge": { networkCards: 1, card0SupportsEfa: true },
  "g6e.12xlarge": { networkCards: 1, card0SupportsEfa: true },
  "g6e.16xlarge": { networkCards: 1, card0SupportsEfa: true },
  "g6e.24xlarge": { networkCards: 2, card0SupportsEfa: true },
  "g6e.48xlarge": { networkCards: 4, card0SupportsEfa: true },
  "p4d.24xlarge": { networkCards: 4, card0SupportsEfa: true },
  "p4de.24xlarge": { networkCards: 4, card0SupportsEfa: true },
  "p5.48xlarge": { networkCards: 32, card0SupportsEfa: true },
  "p5e.48xlarge": { networkCards: 32, card0SupportsEfa: true },
  "p5en.48xlarge": { networkCards: 16, card0SupportsEfa: true },
  "p6-b200.48xlarge": { networkCards: 8, card0SupportsEfa: true },
  "p6-b300.48xlarge": { networkCards: 17, card0SupportsEfa: false },
};

/** One network interface of an EFA launch: the primary `interface` or an `efa-only` device. */
export interface EfaNetworkInterface {
  readonly networkCardIndex: number;
  readonly deviceIndex: number;
  readonly interfaceType: "interface" | "efa-only";
}

/** True when the platform knows where this type's EFA devices sit. */
export function hasEfaLayout(instanceType: string): boolean {
  return Object.prototype.hasOwnProperty.call(EFA_NETWORK_CARDS, instanceType);
}

/**
 * The network interfaces that attach every EFA device of an instance type: the primary ENA `interface` on
 * card 0 / device 0 (it carries the node's IP), then one `efa-only` interface per EFA-capable card — device 1
 * on card 0 (device 0 is taken by the primary), device 0 on the other cards. The number of EFA devices is the
 * type's EFA maximum from the catalog, not its network-card count (p6-b300 has 17 cards and 16 EFA devices).
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/device-management-efa.html
 */
export function efaNetworkInterfaces(instanceType: string): EfaNetworkInterface[] {
  const cards = EFA_NETWORK_CARDS[instanceType];
  const info = findInstanceType(instanceType);
  if (!cards || !info) {
    throw new Error(`instance type ${instanceType} has no EFA network-card layout; supported: ${Object.keys(EFA_NETWORK_CARDS).join(", ")}`);
  }
  const efaCards = Array.from({ length: cards.networkCards }, (_, i) => i).filter((card) => card > 0 || cards.card0SupportsEfa);
  if (efaCards.length !== info.efaInterfaces) {
    throw new Error(`instance type ${instanceType}: ${efaCards.length} EFA-capable network cards but the catalog allows ${info.efaInterfaces} EFA interfaces`);
  }
  return [
    { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
    ...efaCards.map((card): EfaNetworkInterface => ({ networkCardIndex: card, deviceIndex: card === 0 ? 1 : 0, interfaceType: "efa-only" })),
  ];
}

/** A comparable key of a type's EFA layout: types with equal keys can share one launch template or node class. */
export function efaLayoutKey(instanceType: string): string {
  return efaNetworkInterfaces(instanceType)
    .map((n) => `${n.networkCardIndex}/${n.deviceIndex}/${n.interfaceType}`)
    .join(",");
}
