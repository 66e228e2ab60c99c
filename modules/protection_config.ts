// Settings of the stack's guards (web ACL, endpoints, key administration, production profile, TLS-off
// acknowledgement), kept beside config.ts so that its table stays one place and this concern one file.
import type { Setting } from "./config.ts";

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

const constant = (value: string) => () => value;

export const PROTECTION_SETTINGS: readonly Setting[] = [
  {
    variable: "TLS_NONE_ACKNOWLEDGED",
    defaultValue: constant("no"),
    description: "yes: accept TLS_MODE=none (plain HTTP on the internet)",
  },
  { variable: "WAF_ENABLED", defaultValue: constant("true"), description: "WAFv2 web ACL on each ALB" },
  {
    variable: "WAF_RATE_LIMIT",
    defaultValue: constant("2000"),
    description: "requests per client IP per 5 minutes before the WAF blocks it",
  },
  {
    variable: "VPC_ENDPOINTS",
    defaultValue: constant("false"),
    description: "interface VPC endpoints for SSM, KMS, Logs, monitoring (cost per endpoint per AZ)",
  },
  {
    variable: "KMS_ADMIN_PRINCIPAL_ARN",
    defaultValue: constant(""),
    description: "IAM principal that administers the KMS keys (unset: the account root)",
  },
  {
    variable: "DEPLOY_TRUSTED_PRINCIPAL_ARN",
    defaultValue: constant(""),
    description: "IAM principal that may assume the release deploy role (unset: the account root)",
  },
  {
    variable: "PRODUCTION_PROFILE",
    defaultValue: constant("false"),
    description: "deletion protection, final snapshots, AWS Backup, longer retention",
  },
];

const IAM_PRINCIPAL_ARN =
  /^arn:aws:iam::(\d{12}):(root|role\/[\w+=,.@\/-]{1,512}|user\/[\w+=,.@\/-]{1,512})$/;

type Check = (variable: string, ok: boolean, rule: string) => void;

/** Validates the protection settings (problems go to `check`) and returns them typed. */
export function protectionConfig(
  raw: Readonly<Record<string, string>>,
  check: Check,
): ProtectionConfig {
  check(
    "TLS_NONE_ACKNOWLEDGED",
    ["yes", "no"].includes(raw.TLS_NONE_ACKNOWLEDGED),
    "must be yes or no",
  );
  check(
    "TLS_MODE",
    raw.TLS_MODE !== "none" || raw.TLS_NONE_ACKNOWLEDGED === "yes",
    "none serves the application over plain HTTP on the internet; set TLS_NONE_ACKNOWLEDGED=yes to accept " +
      "that (throwaway test domains only), or use TLS_MODE=acm or existing",
  );
  for (const variable of ["WAF_ENABLED", "VPC_ENDPOINTS", "PRODUCTION_PROFILE"]) {
    check(variable, ["true", "false"].includes(raw[variable]), "must be true or false");
  }
  const rateLimit = Number(raw.WAF_RATE_LIMIT);
  const { min, max } = WAF_RATE_LIMIT_RANGE;
  check(
    "WAF_RATE_LIMIT",
    /^\d+$/.test(raw.WAF_RATE_LIMIT) && rateLimit >= min && rateLimit <= max,
    `must be a whole number from ${min} to ${max} (requests per client IP per 5 minutes)`,
  );
  for (const variable of ["KMS_ADMIN_PRINCIPAL_ARN", "DEPLOY_TRUSTED_PRINCIPAL_ARN"]) {
    const principal = IAM_PRINCIPAL_ARN.exec(raw[variable]);
    check(
      variable,
      raw[variable] === "" || (principal !== null && principal[1] === raw.AWS_ACCOUNT_ID),
      "must be an IAM role, user or root ARN of AWS_ACCOUNT_ID (arn:aws:iam::<account>:role/<name>), or unset",
    );
  }
  const accountRoot = `arn:aws:iam::${raw.AWS_ACCOUNT_ID}:root`;
  return {
    wafEnabled: raw.WAF_ENABLED === "true",
    wafRateLimitPer5Minutes: rateLimit,
    vpcEndpoints: raw.VPC_ENDPOINTS === "true",
    kmsAdminPrincipalArn: raw.KMS_ADMIN_PRINCIPAL_ARN || accountRoot,
    deployTrustedPrincipalArn: raw.DEPLOY_TRUSTED_PRINCIPAL_ARN || accountRoot,
    productionProfile: raw.PRODUCTION_PROFILE === "true",
  };
}
