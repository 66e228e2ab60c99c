// Settings of the public name: the zone and record, TLS on the load balancers, Route 53 health checks.
import {
  type CrossRule,
  matching,
  oneOf,
  type Setting,
  type Values,
  wholeNumber,
} from "../../handlers/lib/settings.ts";
import type { FOUNDATION_FIELDS } from "./foundation.ts";

export type TlsMode = "acm" | "existing" | "none";

export interface DnsConfig {
  readonly domainName: string;
  /** Existing public hosted zone id; empty = the stack creates the zone. */
  readonly hostedZoneId: string;
  readonly appRecordName: string;
  readonly tlsMode: TlsMode;
  readonly primaryCertificateArn: string;
  readonly secondaryCertificateArn: string;
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckFailureThreshold: number;
  readonly recordTtlSeconds: number;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ACM_ARN = /^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** The zone and record (listed before the operations settings in the docs). */
export const ZONE_FIELDS = [
  {
    name: "DOMAIN_NAME",
    ...matching((domain) => {
      const labels = domain.split(".");
      return labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label)) && domain.length <= 253;
    }, "must be a lowercase DNS name with at least two labels"),
    fallback: "dr.example.com",
    description: "public DNS domain",
  },
  {
    name: "HOSTED_ZONE_ID",
    ...matching(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 zone id (Z...), or unset"),
    optional: true,
    description: "existing zone id (unset: the stack creates one)",
  },
  {
    name: "APP_RECORD_NAME",
    ...matching(DNS_LABEL, "must be one lowercase DNS label"),
    fallback: "app",
    description: "record name under the domain",
  },
] as const satisfies readonly Setting[];

const certificate = matching(ACM_ARN, "must be an ACM certificate ARN, and only with TLS_MODE=existing");

/** TLS and the Route 53 health checks. */
export const DNS_FIELDS = [
  {
    name: "TLS_MODE",
    ...oneOf(["acm", "existing", "none"], "must be acm, existing or none"),
    fallback: "acm",
    description: "ALB listeners: acm (new certificates), existing (your ARNs), none (HTTP, tests only)",
  },
  { name: "PRIMARY_CERTIFICATE_ARN", ...certificate, optional: true, description: "with TLS_MODE=existing" },
  {
    name: "SECONDARY_CERTIFICATE_ARN",
    ...certificate,
    optional: true,
    description: "with TLS_MODE=existing",
  },
  {
    name: "ROUTE53_INTERVAL_SECONDS",
    ...oneOf(["10", "30"], "must be 10 or 30 (Route 53 request intervals)"),
    fallback: "10",
    description: "Route 53 health-check interval",
  },
  {
    name: "ROUTE53_FAILURE_THRESHOLD",
    ...wholeNumber(1, 10),
    fallback: "3",
    description: "failed probes before unhealthy",
  },
  {
    name: "DNS_TTL_SECONDS",
    ...wholeNumber(10, 300),
    fallback: "60",
    description: "TTL of non-alias records",
  },
] as const satisfies readonly Setting[];

type DnsValues = Values<typeof FOUNDATION_FIELDS> & Values<typeof ZONE_FIELDS> & Values<typeof DNS_FIELDS>;

/** With TLS_MODE=existing each region's certificate is given and lives in that region; otherwise none is. */
function certificateRule(
  field: "PRIMARY_CERTIFICATE_ARN" | "SECONDARY_CERTIFICATE_ARN",
  region: "PRIMARY_REGION" | "SECONDARY_REGION",
): CrossRule<DnsValues> {
  return {
    field,
    reads: ["TLS_MODE", region],
    ok: (v) =>
      v.TLS_MODE === "existing" ? ACM_ARN.exec(v[field] ?? "")?.[1] === v[region] : v[field] === undefined,
    message: (v) =>
      v.TLS_MODE === "existing"
        ? `must be an ACM certificate ARN in ${v[region]} when TLS_MODE=existing`
        : "must be unset unless TLS_MODE=existing",
  };
}

export const DNS_RULES: readonly CrossRule<DnsValues>[] = [
  certificateRule("PRIMARY_CERTIFICATE_ARN", "PRIMARY_REGION"),
  certificateRule("SECONDARY_CERTIFICATE_ARN", "SECONDARY_REGION"),
];

export function dnsConfig(v: DnsValues): DnsConfig {
  return {
    domainName: v.DOMAIN_NAME,
    hostedZoneId: v.HOSTED_ZONE_ID ?? "",
    appRecordName: v.APP_RECORD_NAME,
    tlsMode: v.TLS_MODE,
    primaryCertificateArn: v.PRIMARY_CERTIFICATE_ARN ?? "",
    secondaryCertificateArn: v.SECONDARY_CERTIFICATE_ARN ?? "",
    healthCheckIntervalSeconds: Number(v.ROUTE53_INTERVAL_SECONDS),
    healthCheckFailureThreshold: v.ROUTE53_FAILURE_THRESHOLD,
    recordTtlSeconds: v.DNS_TTL_SECONDS,
  };
}
