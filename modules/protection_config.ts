// Settings of the stack's guards (web ACL, endpoints, key administration, production profile, TLS-off
// acknowledgement): one concern of the configuration table (modules/config.ts), in the settings.ts model.
import {
  type CrossRule,
  flag,
  matching,
  oneOf,
  type Setting,
  type Values,
  wholeNumber,
} from "../handlers/lib/settings.ts";
import type { FOUNDATION_FIELDS } from "./config/foundation.ts";
import type { DNS_FIELDS } from "./config/dns.ts";

export interface ProtectionConfig {
  /** WAFv2 web ACL on each ALB (managed rule groups + a rate-based rule). */
  readonly wafEnabled: boolean;
  /** Requests one client IP may send in 5 minutes before the rate-based rule blocks it. */
  readonly wafRateLimitPer5Minutes: number;
  /** Interface VPC endpoints (SSM, SSM messages, EC2 messages, KMS, Logs, monitoring) in each app VPC. */
  readonly vpcEndpoints: boolean;
  /** Principal allowed to administer (not use) the stack's KMS keys; default the account root. */
  readonly kmsAdminPrincipalArn: string;
  /** Principal trusted to assume the release deploy role (make release); default the account root. */
  readonly deployTrustedPrincipalArn: string;
  /** Deletion protection, final snapshots, AWS Backup, longer retention, 30-day key deletion window. */
  readonly productionProfile: boolean;
}

/** Minimum CloudWatch Logs retention under the production profile. */
export const PRODUCTION_LOG_RETENTION_DAYS = 365;

/** Bounds of a WAFv2 rate-based rule's limit (the provider's and AWS's range, lower end conservative). */
export const WAF_RATE_LIMIT_RANGE = { min: 100, max: 2_000_000_000 } as const;

const IAM_PRINCIPAL_ARN =
  /^arn:aws:iam::(\d{12}):(root|role\/[\w+=,.@\/-]{1,512}|user\/[\w+=,.@\/-]{1,512})$/;
const PRINCIPAL_RULE =
  "must be an IAM role, user or root ARN of AWS_ACCOUNT_ID (arn:aws:iam::<account>:role/<name>), or unset";

export const PROTECTION_FIELDS = [
  {
    name: "TLS_NONE_ACKNOWLEDGED",
    ...oneOf(["yes", "no"], "must be yes or no"),
    fallback: "no",
    description: "yes: accept TLS_MODE=none (plain HTTP on the internet)",
  },
  { name: "WAF_ENABLED", ...flag, fallback: "true", description: "WAFv2 web ACL on each ALB" },
  {
    name: "WAF_RATE_LIMIT",
    ...wholeNumber(
      WAF_RATE_LIMIT_RANGE.min,
      WAF_RATE_LIMIT_RANGE.max,
      `must be a whole number from ${WAF_RATE_LIMIT_RANGE.min} to ${WAF_RATE_LIMIT_RANGE.max} (requests per ` +
        "client IP per 5 minutes)",
    ),
    fallback: "2000",
    description: "requests per client IP per 5 minutes before the WAF blocks it",
  },
  {
    name: "VPC_ENDPOINTS",
    ...flag,
    fallback: "false",
    description: "interface VPC endpoints for SSM, KMS, Logs, monitoring (cost per endpoint per AZ)",
  },
  {
    name: "KMS_ADMIN_PRINCIPAL_ARN",
    ...matching(IAM_PRINCIPAL_ARN, PRINCIPAL_RULE),
    optional: true,
    description: "IAM principal that administers the KMS keys (unset: the account root)",
  },
  {
    name: "DEPLOY_TRUSTED_PRINCIPAL_ARN",
    ...matching(IAM_PRINCIPAL_ARN, PRINCIPAL_RULE),
    optional: true,
    description: "IAM principal that may assume the release deploy role (unset: the account root)",
  },
  {
    name: "PRODUCTION_PROFILE",
    ...flag,
    fallback: "false",
    description: "deletion protection, final snapshots, AWS Backup, longer retention",
  },
] as const satisfies readonly Setting[];

type ProtectionValues =
  & Values<typeof PROTECTION_FIELDS>
  & Values<typeof DNS_FIELDS>
  & Values<typeof FOUNDATION_FIELDS>;

/** An optional principal setting must name this stack's account. */
function principalOfThisAccount(
  field: "KMS_ADMIN_PRINCIPAL_ARN" | "DEPLOY_TRUSTED_PRINCIPAL_ARN",
): CrossRule<ProtectionValues> {
  return {
    field,
    reads: ["AWS_ACCOUNT_ID"],
    ok: (v) => v[field] === undefined || IAM_PRINCIPAL_ARN.exec(v[field])?.[1] === v.AWS_ACCOUNT_ID,
    message: PRINCIPAL_RULE,
  };
}

export const PROTECTION_RULES: readonly CrossRule<ProtectionValues>[] = [
  {
    field: "TLS_MODE",
    reads: ["TLS_NONE_ACKNOWLEDGED"],
    ok: (v) => v.TLS_MODE !== "none" || v.TLS_NONE_ACKNOWLEDGED === "yes",
    message:
      "none serves the application over plain HTTP on the internet; set TLS_NONE_ACKNOWLEDGED=yes to " +
      "accept that (throwaway test domains only), or use TLS_MODE=acm or existing",
  },
  principalOfThisAccount("KMS_ADMIN_PRINCIPAL_ARN"),
  principalOfThisAccount("DEPLOY_TRUSTED_PRINCIPAL_ARN"),
];

export function protectionConfig(v: ProtectionValues): ProtectionConfig {
  return {
    wafEnabled: v.WAF_ENABLED,
    wafRateLimitPer5Minutes: v.WAF_RATE_LIMIT,
    vpcEndpoints: v.VPC_ENDPOINTS,
    kmsAdminPrincipalArn: v.KMS_ADMIN_PRINCIPAL_ARN ?? `arn:aws:iam::${v.AWS_ACCOUNT_ID}:root`,
    deployTrustedPrincipalArn: v.DEPLOY_TRUSTED_PRINCIPAL_ARN ?? `arn:aws:iam::${v.AWS_ACCOUNT_ID}:root`,
    productionProfile: v.PRODUCTION_PROFILE,
  };
}
