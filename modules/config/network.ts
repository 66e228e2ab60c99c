// Settings of the two VPCs: availability zones, CIDR, NAT gateways, per region.
import type { CrossRule, Setting, Values } from "../../handlers/lib/settings.ts";
import { listOf, matching, wholeNumber } from "../../handlers/lib/settings.ts";
import type { FOUNDATION_FIELDS } from "./foundation.ts";

export interface RegionConfig {
  /** AWS region name. */
  readonly region: string;
  /** Availability zones used for subnets (keys of per-AZ resources). */
  readonly availabilityZones: readonly string[];
  /** VPC CIDR, a /16. */
  readonly vpcCidr: string;
  /** NAT gateways (1 .. number of AZs); app subnets route to the NAT of their AZ, else the first. */
  readonly natGateways: number;
}

/** Parses an IPv4 CIDR into [network as a 32-bit number, prefix length], or undefined when malformed. */
export function parseCidr(cidr: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  return [address, prefix];
}

const MAX_ZONES = 6;
const zones = listOf(
  (azs) => azs.length >= 2 && azs.length <= MAX_ZONES,
  `must list 2 to ${MAX_ZONES} availability zones`,
);
const distinctZones = [{
  ok: (azs: readonly string[]) => new Set(azs).size === azs.length,
  message: "must not repeat a zone",
}];
const vpc16 = matching((cidr) => {
  const parsed = parseCidr(cidr);
  return parsed !== undefined && parsed[1] === 16 && parsed[0] % 65536 === 0;
}, "must be an IPv4 /16 network such as 10.10.0.0/16");
/** The bound per region (its zone count) is a cross rule; this is the bound of any region. */
const natGateways = wholeNumber(1, MAX_ZONES);
const zonesOf = (region: string) => ["a", "b", "c"].map((zone) => `${region}${zone}`).join(",");

export const NETWORK_FIELDS = [
  {
    name: "PRIMARY_AZS",
    ...zones,
    rules: distinctZones,
    fallback: (t) => zonesOf(t.PRIMARY_REGION),
    description: "primary availability zones",
  },
  {
    name: "SECONDARY_AZS",
    ...zones,
    rules: distinctZones,
    fallback: (t) => zonesOf(t.SECONDARY_REGION),
    description: "secondary availability zones",
  },
  { name: "PRIMARY_VPC_CIDR", ...vpc16, fallback: "10.10.0.0/16", description: "primary VPC" },
  { name: "SECONDARY_VPC_CIDR", ...vpc16, fallback: "10.20.0.0/16", description: "secondary VPC" },
  {
    name: "PRIMARY_NAT_GATEWAYS",
    ...natGateways,
    fallback: (t) => String(t.PRIMARY_AZS.split(",").length),
    description: "NAT gateways in the primary (one per AZ)",
  },
  {
    name: "SECONDARY_NAT_GATEWAYS",
    ...natGateways,
    fallback: "1",
    description: "NAT gateways in the standby",
  },
] as const satisfies readonly Setting[];

type NetworkValues = Values<typeof FOUNDATION_FIELDS> & Values<typeof NETWORK_FIELDS>;
type Prefix = "PRIMARY" | "SECONDARY";

function regionRules(prefix: Prefix): CrossRule<NetworkValues>[] {
  const [region, azs, nat] = [
    `${prefix}_REGION`,
    `${prefix}_AZS`,
    `${prefix}_NAT_GATEWAYS`,
  ] as const;
  return [
    {
      field: azs,
      reads: [region],
      ok: (v) => v[azs].every((az) => new RegExp(`^${v[region]}[a-z]$`).test(az)),
      message: (v) => `every zone must be in ${v[region]} (such as ${v[region]}a)`,
    },
    {
      field: nat,
      reads: [azs],
      ok: (v) => v[nat] <= v[azs].length,
      message: (v) => `must be a whole number from 1 to ${v[azs].length}`,
    },
  ];
}

export const NETWORK_RULES: readonly CrossRule<NetworkValues>[] = [
  ...regionRules("PRIMARY"),
  ...regionRules("SECONDARY"),
  {
    field: "SECONDARY_VPC_CIDR",
    reads: ["PRIMARY_VPC_CIDR"],
    ok: (v) => v.SECONDARY_VPC_CIDR !== v.PRIMARY_VPC_CIDR,
    message: "must not overlap PRIMARY_VPC_CIDR",
  },
];

export function regionConfig(v: NetworkValues, prefix: Prefix): RegionConfig {
  return {
    region: v[`${prefix}_REGION`],
    availabilityZones: v[`${prefix}_AZS`],
    vpcCidr: v[`${prefix}_VPC_CIDR`],
    natGateways: v[`${prefix}_NAT_GATEWAYS`],
  };
}
