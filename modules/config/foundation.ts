// Settings of the stack as a whole: names and tags, the account, the three regions, alerting, logs and the
// Terraform state. Each entry is one variable: parse and rule (settings.ts), default, one line for the docs.
import { maxSuffixLength } from "../naming.ts";
import type { CrossRule, Setting, Values } from "../../handlers/lib/settings.ts";
import { listOf, matching, wholeNumber } from "../../handlers/lib/settings.ts";

/** The documented example account id: plan/apply refuse to run against it. */
export const PLACEHOLDER_ACCOUNT_ID = "123456789012";

const SUFFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const REGION =
  /^(us|eu|ap|sa|ca|me|af|il|mx)-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]$/;
const TAG_VALUE = /^[\p{L}\p{N} _.:/=+\-@]{1,256}$/u;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
// deno-fmt-ignore
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const tagValue = matching(TAG_VALUE, "must be 1-256 tag-safe characters");
const region = (example: string) => matching(REGION, `must be an AWS region name such as ${example}`);

export const FOUNDATION_FIELDS = [
  {
    name: "ENVIRONMENT_SUFFIX",
    ...matching(SUFFIX, "must be lowercase letters, digits and inner hyphens"),
    rules: [{
      ok: (suffix: string) => !suffix.includes("--"),
      message: "must not contain two hyphens in a row (RDS identifiers forbid them)",
    }],
    fallback: "dev",
    description: "suffix of every name",
  },
  { name: "ENVIRONMENT", ...tagValue, fallback: (t) => t.ENVIRONMENT_SUFFIX, description: "Environment tag" },
  { name: "COST_CENTER", ...tagValue, fallback: "transactions-dr", description: "Cost-Center tag" },
  {
    name: "APP_NAME",
    ...matching(
      /^[a-z][a-z0-9-]{0,15}$/,
      "must be a lowercase letter then up to 15 lowercase letters, digits or hyphens",
    ),
    fallback: "txn",
    description: "application key (SSM path prefix)",
  },
  {
    name: "AWS_ACCOUNT_ID",
    ...matching(/^\d{12}$/, "must be exactly 12 digits"),
    fallback: PLACEHOLDER_ACCOUNT_ID,
    description: "target account",
  },
  { name: "PRIMARY_REGION", ...region("us-east-1"), fallback: "us-east-1", description: "primary region" },
  { name: "SECONDARY_REGION", ...region("us-east-1"), fallback: "us-east-2", description: "standby region" },
  {
    name: "WITNESS_REGION",
    ...region("us-west-2"),
    fallback: "us-west-2",
    description: "third vantage point on the primary (prober only)",
  },
] as const satisfies readonly Setting[];

/** Settings of alerting, logs and the Terraform state (after the network and DNS ones in the docs). */
export const OPERATIONS_FIELDS = [
  {
    name: "ALERT_EMAILS",
    ...listOf(
      (emails) => emails.length >= 1 && emails.every((email) => EMAIL.test(email)),
      "must be comma-separated e-mail addresses (at least one)",
    ),
    fallback: "ops@example.com",
    description: "SNS e-mail subscribers",
  },
  {
    name: "LOG_RETENTION_DAYS",
    parse: (text: string) => LOG_RETENTION_DAYS.find((days) => String(days) === text),
    message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
    fallback: "30",
    description: "CloudWatch Logs retention",
  },
  {
    name: "STATE_BUCKET",
    ...matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name, or unset"),
    optional: true,
    description: "S3 state bucket (unset: local state in state/)",
  },
  {
    name: "STATE_REGION",
    ...matching(REGION, "must be an AWS region name"),
    fallback: (t) => t.PRIMARY_REGION,
    description: "region of the state bucket",
  },
  {
    name: "STATE_KEY",
    ...matching(
      (key) => /^[A-Za-z0-9!_.*'()\/-]{1,1024}$/.test(key) && !key.startsWith("/"),
      "must be a relative S3 key",
    ),
    fallback: (t) => `dr/${t.ENVIRONMENT_SUFFIX}/terraform.tfstate`,
    description: "state object key",
  },
  {
    name: "S3_NONCURRENT_VERSION_DAYS",
    ...wholeNumber(1, 3650),
    fallback: "30",
    description: "old object versions kept",
  },
] as const satisfies readonly Setting[];

type FoundationValues = Values<typeof FOUNDATION_FIELDS>;

export const FOUNDATION_RULES: readonly CrossRule<FoundationValues>[] = [
  {
    field: "ENVIRONMENT_SUFFIX",
    reads: ["PRIMARY_REGION", "SECONDARY_REGION"],
    ok: (v) => v.ENVIRONMENT_SUFFIX.length <= maxSuffixLength([v.PRIMARY_REGION, v.SECONDARY_REGION]),
    message: (v) =>
      `must be at most ${
        maxSuffixLength([v.PRIMARY_REGION, v.SECONDARY_REGION])
      } characters so that every name fits its AWS limit (ALB names: 32)`,
  },
  {
    field: "SECONDARY_REGION",
    reads: ["PRIMARY_REGION"],
    ok: (v) => v.SECONDARY_REGION !== v.PRIMARY_REGION,
    message: "must differ from PRIMARY_REGION",
  },
  {
    field: "WITNESS_REGION",
    reads: ["PRIMARY_REGION", "SECONDARY_REGION"],
    ok: (v) => ![v.PRIMARY_REGION, v.SECONDARY_REGION].includes(v.WITNESS_REGION),
    message: "must differ from PRIMARY_REGION and SECONDARY_REGION (a third, independent vantage point)",
  },
];
