// Configuration: read from environment variables, every value with a safe default, validated as a table
// of rules. All problems are reported at once; nothing is synthesized when any rule fails.
import { maxSuffixLength } from "./naming.ts";
import { type LimitName, limitRule, withinLimit } from "../handlers/lib/contract.ts";
import {
  PRODUCTION_LOG_RETENTION_DAYS,
  PROTECTION_SETTINGS,
  type ProtectionConfig,
  protectionConfig,
} from "./protection_config.ts";

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

export interface DatabaseConfig {
  readonly engineVersion: string;
  readonly primaryInstanceClass: string;
  readonly secondaryInstanceClass: string;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly port: number;
  readonly backupRetentionDays: number;
  readonly backupWindow: string;
  readonly maintenanceWindow: string;
  /** `rds.global_db_rpo` commit guard in seconds on the primary; 0 = off. */
  readonly rpoGuardSeconds: number;
}

export interface ComputeConfig {
  readonly instanceType: string;
  /** SSM public parameter resolved by EC2 at launch (`resolve:ssm:`), region-specific by itself. */
  readonly amiParameter: string;
  /** Root (gp3) volume of each instance in GiB; explicit, never the AMI's own size. */
  readonly rootVolumeGb: number;
  readonly appPort: number;
  readonly primaryMinSize: number;
  readonly primaryDesiredCapacity: number;
  readonly maxSize: number;
  readonly standbyMinSize: number;
  readonly standbyDesiredCapacity: number;
  readonly healthCheckGraceSeconds: number;
}

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

export interface HealthConfig {
  /** Timeout of every external call a checker or prober makes (a probe ends before the next starts). */
  readonly checkTimeoutMs: number;
  /** Consecutive failed 10 s periods before a vantage point (standby, witness, replication) votes "down". */
  readonly decisionPeriods: number;
  /** Replication counts as stalled when the standby sees the primary's data older than this. */
  readonly replicationStallSeconds: number;
  readonly autoFailover: boolean;
}

export interface ObjectivesConfig {
  readonly rtoTargetSeconds: number;
  /** Assumed Aurora promotion time of the standby cluster (the budget's figure; measure it in drills). */
  readonly auroraPromotionSeconds: number;
  readonly rpoTargetSeconds: number;
  /** Replication-lag alarm threshold; must stay under the RPO target. */
  readonly rpoLagAlarmSeconds: number;
  /** Minutes a checker must fail before its (notification) alarm fires. */
  readonly checkerAlarmMinutes: number;
  /** S3 replication latency alarm (the Replication Time Control SLA is 900 s). */
  readonly replicationLatencyAlarmSeconds: number;
}

export interface ReadinessSettings {
  /** Minutes between two scheduled readiness evaluations (also the period of the readiness alarms). */
  readonly scheduleMinutes: number;
}

export interface StackConfig {
  readonly environmentSuffix: string;
  readonly environment: string;
  readonly costCenter: string;
  readonly appName: string;
  readonly accountId: string;
  readonly primary: RegionConfig;
  readonly secondary: RegionConfig;
  /** Third region outside the pair: holds only the witness prober of the primary. */
  readonly witness: { readonly region: string };
  readonly alertEmails: readonly string[];
  readonly logRetentionDays: number;
  readonly stateBucket: string;
  readonly stateRegion: string;
  readonly stateKey: string;
  readonly noncurrentVersionDays: number;
  readonly database: DatabaseConfig;
  readonly compute: ComputeConfig;
  readonly dns: DnsConfig;
  readonly health: HealthConfig;
  readonly objectives: ObjectivesConfig;
  readonly readiness: ReadinessSettings;
  readonly protection: ProtectionConfig;
}

/** The documented example account id: plan/apply refuse to run against it. */
export const PLACEHOLDER_ACCOUNT_ID = "123456789012";

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  }
}

/** Every setting: its variable, default (may depend on earlier values) and a one-line description. */
export interface Setting {
  readonly variable: string;
  readonly description: string;
  readonly defaultValue: (env: Readonly<Record<string, string>>) => string;
}

const constant = (value: string) => () => value;
const sameAs = (variable: string) => (env: Readonly<Record<string, string>>) => env[variable];

export const SETTINGS: readonly Setting[] = [
  { variable: "ENVIRONMENT_SUFFIX", defaultValue: constant("dev"), description: "suffix of every name" },
  { variable: "ENVIRONMENT", defaultValue: sameAs("ENVIRONMENT_SUFFIX"), description: "Environment tag" },
  { variable: "COST_CENTER", defaultValue: constant("transactions-dr"), description: "Cost-Center tag" },
  { variable: "APP_NAME", defaultValue: constant("txn"), description: "application key (SSM path prefix)" },
  {
    variable: "AWS_ACCOUNT_ID",
    defaultValue: constant(PLACEHOLDER_ACCOUNT_ID),
    description: "target account",
  },
  { variable: "PRIMARY_REGION", defaultValue: constant("us-east-1"), description: "primary region" },
  { variable: "SECONDARY_REGION", defaultValue: constant("us-east-2"), description: "standby region" },
  {
    variable: "WITNESS_REGION",
    defaultValue: constant("us-west-2"),
    description: "third vantage point on the primary (prober only)",
  },
  {
    variable: "PRIMARY_AZS",
    defaultValue: (env) => ["a", "b", "c"].map((zone) => `${env.PRIMARY_REGION}${zone}`).join(","),
    description: "primary availability zones",
  },
  {
    variable: "SECONDARY_AZS",
    defaultValue: (env) => ["a", "b", "c"].map((zone) => `${env.SECONDARY_REGION}${zone}`).join(","),
    description: "secondary availability zones",
  },
  { variable: "PRIMARY_VPC_CIDR", defaultValue: constant("10.10.0.0/16"), description: "primary VPC" },
  { variable: "SECONDARY_VPC_CIDR", defaultValue: constant("10.20.0.0/16"), description: "secondary VPC" },
  {
    variable: "PRIMARY_NAT_GATEWAYS",
    defaultValue: (env) => String(env.PRIMARY_AZS.split(",").length),
    description: "NAT gateways in the primary (one per AZ)",
  },
  {
    variable: "SECONDARY_NAT_GATEWAYS",
    defaultValue: constant("1"),
    description: "NAT gateways in the standby",
  },
  { variable: "DOMAIN_NAME", defaultValue: constant("dr.example.com"), description: "public DNS domain" },
  {
    variable: "HOSTED_ZONE_ID",
    defaultValue: constant(""),
    description: "existing zone id (unset: the stack creates one)",
  },
  { variable: "APP_RECORD_NAME", defaultValue: constant("app"), description: "record name under the domain" },
  {
    variable: "ALERT_EMAILS",
    defaultValue: constant("ops@example.com"),
    description: "SNS e-mail subscribers",
  },
  { variable: "LOG_RETENTION_DAYS", defaultValue: constant("30"), description: "CloudWatch Logs retention" },
  {
    variable: "STATE_BUCKET",
    defaultValue: constant(""),
    description: "S3 state bucket (unset: local state in state/)",
  },
  {
    variable: "STATE_REGION",
    defaultValue: sameAs("PRIMARY_REGION"),
    description: "region of the state bucket",
  },
  {
    variable: "STATE_KEY",
    defaultValue: (env) => `dr/${env.ENVIRONMENT_SUFFIX}/terraform.tfstate`,
    description: "state object key",
  },
  {
    variable: "S3_NONCURRENT_VERSION_DAYS",
    defaultValue: constant("30"),
    description: "old object versions kept",
  },
  { variable: "DB_ENGINE_VERSION", defaultValue: constant("16.6"), description: "Aurora PostgreSQL version" },
  { variable: "DB_INSTANCE_CLASS", defaultValue: constant("db.r6g.large"), description: "primary instances" },
  {
    variable: "DB_SECONDARY_INSTANCE_CLASS",
    defaultValue: sameAs("DB_INSTANCE_CLASS"),
    description: "secondary instances",
  },
  { variable: "DB_NAME", defaultValue: constant("transactions"), description: "database name" },
  { variable: "DB_MASTER_USERNAME", defaultValue: constant("txn_admin"), description: "master user" },
  { variable: "DB_PORT", defaultValue: constant("5432"), description: "PostgreSQL port" },
  { variable: "DB_BACKUP_RETENTION_DAYS", defaultValue: constant("7"), description: "backups / PITR window" },
  { variable: "DB_BACKUP_WINDOW", defaultValue: constant("03:00-04:00"), description: "UTC backup window" },
  {
    variable: "DB_MAINTENANCE_WINDOW",
    defaultValue: constant("sun:04:30-sun:05:30"),
    description: "UTC maintenance window",
  },
  {
    variable: "DB_RPO_GUARD_SECONDS",
    defaultValue: constant("0"),
    description: "rds.global_db_rpo (0: off)",
  },
  { variable: "INSTANCE_TYPE", defaultValue: constant("m6i.large"), description: "application instances" },
  {
    variable: "AMI_PARAMETER",
    defaultValue: constant("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
    description: "public SSM parameter of the AMI",
  },
  { variable: "ROOT_VOLUME_GB", defaultValue: constant("20"), description: "instance root volume (GiB)" },
  { variable: "APP_PORT", defaultValue: constant("8080"), description: "application port" },
  { variable: "PRIMARY_MIN_SIZE", defaultValue: constant("2"), description: "primary ASG minimum" },
  { variable: "PRIMARY_DESIRED_CAPACITY", defaultValue: constant("2"), description: "primary ASG desired" },
  { variable: "MAX_SIZE", defaultValue: constant("6"), description: "ASG maximum (both regions)" },
  { variable: "STANDBY_MIN_SIZE", defaultValue: constant("1"), description: "standby ASG minimum" },
  { variable: "STANDBY_DESIRED_CAPACITY", defaultValue: constant("1"), description: "standby ASG desired" },
  {
    variable: "HEALTH_CHECK_GRACE_SECONDS",
    defaultValue: constant("300"),
    description: "ASG grace (>= boot time)",
  },
  {
    variable: "TLS_MODE",
    defaultValue: constant("acm"),
    description: "ALB listeners: acm (new certificates), existing (your ARNs), none (HTTP, tests only)",
  },
  { variable: "PRIMARY_CERTIFICATE_ARN", defaultValue: constant(""), description: "with TLS_MODE=existing" },
  {
    variable: "SECONDARY_CERTIFICATE_ARN",
    defaultValue: constant(""),
    description: "with TLS_MODE=existing",
  },
  {
    variable: "ROUTE53_INTERVAL_SECONDS",
    defaultValue: constant("10"),
    description: "Route 53 health-check interval",
  },
  {
    variable: "ROUTE53_FAILURE_THRESHOLD",
    defaultValue: constant("3"),
    description: "failed probes before unhealthy",
  },
  { variable: "DNS_TTL_SECONDS", defaultValue: constant("60"), description: "TTL of non-alias records" },
  { variable: "CHECK_TIMEOUT_MS", defaultValue: constant("5000"), description: "checker call timeout" },
  {
    variable: "DECISION_PERIODS",
    defaultValue: constant("3"),
    description: "failed 10 s periods before a vantage point votes down",
  },
  // Aurora replicates "typically in under a second"; 10 s is ten times that, one probe interval (a single
  // missed lag calculation between two samples is no stall), and keeps stall + DECISION_PERIODS x 10 s
  // inside the 60 s decision target.
  {
    variable: "REPLICATION_STALL_SECONDS",
    defaultValue: constant("10"),
    description: "replication older than this counts as stalled",
  },
  { variable: "AUTO_FAILOVER", defaultValue: constant("true"), description: "promote without a person" },
  { variable: "RTO_TARGET_SECONDS", defaultValue: constant("300"), description: "recovery-time objective" },
  // Aurora User Guide, "Disaster recovery and Amazon Aurora global databases": "RTO can be in the order of
  // minutes"; 120 s is the smallest reading of "minutes" and twice the "under a minute" AWS advertises.
  {
    variable: "AURORA_PROMOTION_SECONDS",
    defaultValue: constant("120"),
    description: "assumed Aurora promotion time (measure in drills)",
  },
  { variable: "RPO_TARGET_SECONDS", defaultValue: constant("60"), description: "recovery-point objective" },
  { variable: "RPO_LAG_ALARM_SECONDS", defaultValue: constant("30"), description: "replication-lag alarm" },
  {
    variable: "CHECKER_ALARM_MINUTES",
    defaultValue: constant("2"),
    description: "failed minutes before a checker alarm",
  },
  {
    variable: "S3_REPLICATION_LATENCY_ALARM_SECONDS",
    defaultValue: constant("900"),
    description: "S3 replication latency alarm",
  },
  {
    variable: "READINESS_SCHEDULE_MINUTES",
    defaultValue: constant("30"),
    description: "minutes between readiness evaluations",
  },
  ...PROTECTION_SETTINGS,
];

/** Readiness runs take up to 3 minutes and alarm on 2 periods, which CloudWatch caps at one day together. */
export const READINESS_SCHEDULE_RANGE_MINUTES = { min: 5, max: 720 } as const;

/** The raw values: the environment where set (and non-empty), else the defaults, in table order. */
export function resolveSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const given = env[setting.variable]?.trim();
    // An empty value is reported by emptySettings(); the default stands in so no other rule trips over it.
    values[setting.variable] = given ? given : setting.defaultValue(values);
  }
  return values;
}

/**
 * Settings present in the environment but empty (or blank): a CI variable that expanded to nothing must not
 * quietly select the default (`ENVIRONMENT_SUFFIX=` would otherwise build and target `dev`).
 */
export function emptySettings(env: Readonly<Record<string, string | undefined>>): string[] {
  const resolved = resolveSettings(env);
  return SETTINGS.filter((setting) => env[setting.variable] !== undefined && !env[setting.variable]!.trim())
    .map(({ variable, description }) => {
      const fallback = resolved[variable]
        ? `the default "${resolved[variable]}"`
        : `the default (${description})`;
      return `${variable}="${env[variable]}": is set but empty; unset it to use ${fallback}, or give a value`;
    });
}

const SUFFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const REGION =
  /^(us|eu|ap|sa|ca|me|af|il|mx)-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]$/;
const TAG_VALUE = /^[\p{L}\p{N} _.:/=+\-@]{1,256}$/u;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const WEEKLY_WINDOW =
  /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
const LOG_RETENTION_DAYS = [
  1,
  3,
  5,
  7,
  14,
  30,
  60,
  90,
  120,
  150,
  180,
  365,
  400,
  545,
  731,
  1096,
  1827,
  2192,
  2557,
  2922,
  3288,
  3653,
];
const ACM_ARN = /^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

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

/**
 * Validates the settings and builds the typed configuration.
 * @throws ConfigError listing every violated rule, one line each: `VARIABLE="value": rule`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): StackConfig {
  const raw = resolveSettings(env);
  const problems: string[] = emptySettings(env);
  const check = (variable: string, ok: boolean, rule: string) => {
    if (!ok) problems.push(`${variable}="${raw[variable]}": ${rule}`);
  };
  const integer = (variable: string, min: number, max: number): number => {
    const value = Number(raw[variable]);
    check(
      variable,
      /^\d+$/.test(raw[variable]) && value >= min && value <= max,
      `must be a whole number from ${min} to ${max}`,
    );
    return value;
  };
  /** A limit shared with a handler: the rule and its text come from contract.ts LIMITS. */
  const limited = (variable: string, name: LimitName): number => {
    const value = Number(raw[variable]);
    check(variable, /^\d+$/.test(raw[variable]) && withinLimit(name, value), limitRule(name));
    return value;
  };
  const list = (variable: string) =>
    raw[variable].split(",").map((item) => item.trim()).filter((item) => item !== "");

  const suffix = raw.ENVIRONMENT_SUFFIX;
  const regions = [raw.PRIMARY_REGION, raw.SECONDARY_REGION];
  check("ENVIRONMENT_SUFFIX", SUFFIX.test(suffix), "must be lowercase letters, digits and inner hyphens");
  check(
    "ENVIRONMENT_SUFFIX",
    !suffix.includes("--"),
    "must not contain two hyphens in a row (RDS identifiers forbid them)",
  );
  const suffixLimit = maxSuffixLength(regions);
  check(
    "ENVIRONMENT_SUFFIX",
    suffix.length <= suffixLimit,
    `must be at most ${suffixLimit} characters so that every name fits its AWS limit (ALB names: 32)`,
  );
  check("ENVIRONMENT", TAG_VALUE.test(raw.ENVIRONMENT), "must be 1-256 tag-safe characters");
  check("COST_CENTER", TAG_VALUE.test(raw.COST_CENTER), "must be 1-256 tag-safe characters");
  check(
    "APP_NAME",
    /^[a-z][a-z0-9-]{0,15}$/.test(raw.APP_NAME),
    "must be a lowercase letter then up to 15 lowercase letters, digits or hyphens",
  );
  check("AWS_ACCOUNT_ID", /^\d{12}$/.test(raw.AWS_ACCOUNT_ID), "must be exactly 12 digits");
  for (const variable of ["PRIMARY_REGION", "SECONDARY_REGION"]) {
    check(variable, REGION.test(raw[variable]), "must be an AWS region name such as us-east-1");
  }
  check("SECONDARY_REGION", raw.PRIMARY_REGION !== raw.SECONDARY_REGION, "must differ from PRIMARY_REGION");
  check("WITNESS_REGION", REGION.test(raw.WITNESS_REGION), "must be an AWS region name such as us-west-2");
  check(
    "WITNESS_REGION",
    !regions.includes(raw.WITNESS_REGION),
    "must differ from PRIMARY_REGION and SECONDARY_REGION (a third, independent vantage point)",
  );

  const regionConfig = (prefix: "PRIMARY" | "SECONDARY"): RegionConfig => {
    const region = raw[`${prefix}_REGION`];
    const azs = list(`${prefix}_AZS`);
    check(`${prefix}_AZS`, azs.length >= 2 && azs.length <= 6, "must list 2 to 6 availability zones");
    check(
      `${prefix}_AZS`,
      azs.every((az) => new RegExp(`^${region}[a-z]$`).test(az)),
      `every zone must be in ${region} (such as ${region}a)`,
    );
    check(`${prefix}_AZS`, new Set(azs).size === azs.length, "must not repeat a zone");
    const cidr = parseCidr(raw[`${prefix}_VPC_CIDR`]);
    check(
      `${prefix}_VPC_CIDR`,
      cidr !== undefined && cidr[1] === 16 && cidr[0] % 65536 === 0,
      "must be an IPv4 /16 network such as 10.10.0.0/16",
    );
    const natGateways = integer(`${prefix}_NAT_GATEWAYS`, 1, Math.max(1, azs.length));
    return { region, availabilityZones: azs, vpcCidr: raw[`${prefix}_VPC_CIDR`], natGateways };
  };
  const primary = regionConfig("PRIMARY");
  const secondary = regionConfig("SECONDARY");
  check("SECONDARY_VPC_CIDR", primary.vpcCidr !== secondary.vpcCidr, "must not overlap PRIMARY_VPC_CIDR");

  const domainLabels = raw.DOMAIN_NAME.split(".");
  check(
    "DOMAIN_NAME",
    domainLabels.length >= 2 && domainLabels.every((label) => DNS_LABEL.test(label)) &&
      raw.DOMAIN_NAME.length <= 253,
    "must be a lowercase DNS name with at least two labels",
  );
  check(
    "HOSTED_ZONE_ID",
    raw.HOSTED_ZONE_ID === "" || /^Z[A-Z0-9]{1,31}$/.test(raw.HOSTED_ZONE_ID),
    "must be a Route 53 zone id (Z...), or unset",
  );
  check("APP_RECORD_NAME", DNS_LABEL.test(raw.APP_RECORD_NAME), "must be one lowercase DNS label");
  const alertEmails = list("ALERT_EMAILS");
  check(
    "ALERT_EMAILS",
    alertEmails.length >= 1 && alertEmails.every((email) => EMAIL.test(email)),
    "must be comma-separated e-mail addresses (at least one)",
  );
  const logRetentionDays = Number(raw.LOG_RETENTION_DAYS);
  check(
    "LOG_RETENTION_DAYS",
    LOG_RETENTION_DAYS.includes(logRetentionDays),
    `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
  );
  check(
    "STATE_BUCKET",
    raw.STATE_BUCKET === "" || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw.STATE_BUCKET),
    "must be an S3 bucket name, or unset",
  );
  check("STATE_REGION", REGION.test(raw.STATE_REGION), "must be an AWS region name");
  check(
    "STATE_KEY",
    /^[A-Za-z0-9!_.*'()\/-]{1,1024}$/.test(raw.STATE_KEY) && !raw.STATE_KEY.startsWith("/"),
    "must be a relative S3 key",
  );
  const noncurrentVersionDays = integer("S3_NONCURRENT_VERSION_DAYS", 1, 3650);

  check(
    "DB_ENGINE_VERSION",
    /^1[3-7]\.\d{1,2}$/.test(raw.DB_ENGINE_VERSION),
    "must be an Aurora PostgreSQL major.minor version (13.x to 17.x)",
  );
  for (const variable of ["DB_INSTANCE_CLASS", "DB_SECONDARY_INSTANCE_CLASS"]) {
    check(
      variable,
      /^db\.(r\d+[a-z]*\.[a-z0-9]+|serverless)$/.test(raw[variable]),
      "must be a memory-optimized class (db.r*) or db.serverless; burstable classes cannot join a global database",
    );
  }
  check(
    "DB_NAME",
    IDENTIFIER.test(raw.DB_NAME),
    "must start with a lowercase letter; lowercase letters, digits, underscores; at most 63",
  );
  check(
    "DB_MASTER_USERNAME",
    IDENTIFIER.test(raw.DB_MASTER_USERNAME) &&
      !["admin", "postgres", "rdsadmin"].includes(raw.DB_MASTER_USERNAME),
    "must be a lowercase identifier and not a reserved name (admin, postgres, rdsadmin)",
  );
  const databasePort = integer("DB_PORT", 1150, 65535);
  const backupRetentionDays = integer("DB_BACKUP_RETENTION_DAYS", 1, 35);
  check("DB_BACKUP_WINDOW", WINDOW.test(raw.DB_BACKUP_WINDOW), "must be hh:mm-hh:mm (UTC)");
  check(
    "DB_MAINTENANCE_WINDOW",
    WEEKLY_WINDOW.test(raw.DB_MAINTENANCE_WINDOW),
    "must be ddd:hh:mm-ddd:hh:mm (UTC)",
  );
  const rpoGuardSeconds = integer("DB_RPO_GUARD_SECONDS", 0, 3600);
  check(
    "DB_RPO_GUARD_SECONDS",
    rpoGuardSeconds === 0 || rpoGuardSeconds >= 20,
    "must be 0 (off) or at least 20 (the Aurora minimum)",
  );

  check(
    "INSTANCE_TYPE",
    /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(raw.INSTANCE_TYPE),
    "must be an EC2 instance type such as m6i.large",
  );
  check(
    "AMI_PARAMETER",
    /^\/aws\/service\/[A-Za-z0-9_.\/-]+$/.test(raw.AMI_PARAMETER),
    "must be a public SSM parameter path under /aws/service/",
  );
  // At least the AMI's snapshot (8 GiB for Amazon Linux 2023); 16384 is the gp3 maximum.
  const rootVolumeGb = integer("ROOT_VOLUME_GB", 8, 16384);
  const appPort = integer("APP_PORT", 1024, 65535);
  check("APP_PORT", appPort !== databasePort, "must differ from DB_PORT");
  const primaryMinSize = integer("PRIMARY_MIN_SIZE", 1, 100);
  // The primary's desired capacity is also the standby's capacity after failover (FAILOVER_CAPACITY).
  const primaryDesiredCapacity = limited("PRIMARY_DESIRED_CAPACITY", "failoverCapacity");
  const maxSize = limited("MAX_SIZE", "failoverCapacity");
  const standbyMinSize = integer("STANDBY_MIN_SIZE", 1, 100);
  const standbyDesiredCapacity = integer("STANDBY_DESIRED_CAPACITY", 1, 100);
  check(
    "PRIMARY_DESIRED_CAPACITY",
    primaryDesiredCapacity >= primaryMinSize && primaryDesiredCapacity <= maxSize,
    "must be between PRIMARY_MIN_SIZE and MAX_SIZE",
  );
  check(
    "STANDBY_DESIRED_CAPACITY",
    standbyDesiredCapacity >= standbyMinSize,
    "must be at least STANDBY_MIN_SIZE",
  );
  check(
    "STANDBY_DESIRED_CAPACITY",
    standbyDesiredCapacity < primaryDesiredCapacity,
    "must be below PRIMARY_DESIRED_CAPACITY (the standby is minimal-cost)",
  );
  const healthCheckGraceSeconds = integer("HEALTH_CHECK_GRACE_SECONDS", 60, 1800);

  const tlsMode = raw.TLS_MODE as TlsMode;
  check("TLS_MODE", ["acm", "existing", "none"].includes(tlsMode), "must be acm, existing or none");
  for (
    const [variable, region] of [["PRIMARY_CERTIFICATE_ARN", primary.region], [
      "SECONDARY_CERTIFICATE_ARN",
      secondary.region,
    ]]
  ) {
    if (tlsMode === "existing") {
      check(
        variable,
        ACM_ARN.test(raw[variable]) && ACM_ARN.exec(raw[variable])?.[1] === region,
        `must be an ACM certificate ARN in ${region} when TLS_MODE=existing`,
      );
    } else {
      check(variable, raw[variable] === "", "must be unset unless TLS_MODE=existing");
    }
  }
  const healthCheckIntervalSeconds = Number(raw.ROUTE53_INTERVAL_SECONDS);
  check(
    "ROUTE53_INTERVAL_SECONDS",
    ["10", "30"].includes(raw.ROUTE53_INTERVAL_SECONDS),
    "must be 10 or 30 (Route 53 request intervals)",
  );
  const healthCheckFailureThreshold = integer("ROUTE53_FAILURE_THRESHOLD", 1, 10);
  const recordTtlSeconds = integer("DNS_TTL_SECONDS", 10, 300);

  const checkTimeoutMs = limited("CHECK_TIMEOUT_MS", "checkTimeoutMs");
  const decisionPeriods = limited("DECISION_PERIODS", "decisionPeriods");
  const replicationStallSeconds = limited("REPLICATION_STALL_SECONDS", "replicationStallSeconds");
  check("AUTO_FAILOVER", ["true", "false"].includes(raw.AUTO_FAILOVER), "must be true or false");
  const rtoTargetSeconds = limited("RTO_TARGET_SECONDS", "rtoTargetSeconds");
  const auroraPromotionSeconds = limited("AURORA_PROMOTION_SECONDS", "auroraPromotionSeconds");
  const rpoTargetSeconds = integer("RPO_TARGET_SECONDS", 1, 86400);
  const rpoLagAlarmSeconds = integer("RPO_LAG_ALARM_SECONDS", 1, 86400);
  check("RPO_LAG_ALARM_SECONDS", rpoLagAlarmSeconds < rpoTargetSeconds, "must be below RPO_TARGET_SECONDS");
  const checkerAlarmMinutes = integer("CHECKER_ALARM_MINUTES", 1, 60);
  const replicationLatencyAlarmSeconds = integer("S3_REPLICATION_LATENCY_ALARM_SECONDS", 60, 86400);
  const readinessScheduleMinutes = Number(raw.READINESS_SCHEDULE_MINUTES);
  const { min: readinessMin, max: readinessMax } = READINESS_SCHEDULE_RANGE_MINUTES;
  check(
    "READINESS_SCHEDULE_MINUTES",
    /^\d+$/.test(raw.READINESS_SCHEDULE_MINUTES) && readinessScheduleMinutes >= readinessMin &&
      readinessScheduleMinutes <= readinessMax,
    `must be a whole number from ${readinessMin} to ${readinessMax}: one run (up to 3 minutes) ends before ` +
      "the next starts, and the alarm's two evaluation periods fit CloudWatch's one-day limit",
  );

  const protection = protectionConfig(raw, check);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    environmentSuffix: suffix,
    environment: raw.ENVIRONMENT,
    costCenter: raw.COST_CENTER,
    appName: raw.APP_NAME,
    accountId: raw.AWS_ACCOUNT_ID,
    primary,
    secondary,
    witness: { region: raw.WITNESS_REGION },
    alertEmails,
    // The production profile keeps logs at least a year (a retention the settings table offers).
    logRetentionDays: protection.productionProfile
      ? Math.max(logRetentionDays, PRODUCTION_LOG_RETENTION_DAYS)
      : logRetentionDays,
    stateBucket: raw.STATE_BUCKET,
    stateRegion: raw.STATE_REGION,
    stateKey: raw.STATE_KEY,
    noncurrentVersionDays,
    database: {
      engineVersion: raw.DB_ENGINE_VERSION,
      primaryInstanceClass: raw.DB_INSTANCE_CLASS,
      secondaryInstanceClass: raw.DB_SECONDARY_INSTANCE_CLASS,
      databaseName: raw.DB_NAME,
      masterUsername: raw.DB_MASTER_USERNAME,
      port: databasePort,
      backupRetentionDays,
      backupWindow: raw.DB_BACKUP_WINDOW,
      maintenanceWindow: raw.DB_MAINTENANCE_WINDOW,
      rpoGuardSeconds,
    },
    compute: {
      instanceType: raw.INSTANCE_TYPE,
      amiParameter: raw.AMI_PARAMETER,
      rootVolumeGb,
      appPort,
      primaryMinSize,
      primaryDesiredCapacity,
      maxSize,
      standbyMinSize,
      standbyDesiredCapacity,
      healthCheckGraceSeconds,
    },
    dns: {
      domainName: raw.DOMAIN_NAME,
      hostedZoneId: raw.HOSTED_ZONE_ID,
      appRecordName: raw.APP_RECORD_NAME,
      tlsMode,
      primaryCertificateArn: raw.PRIMARY_CERTIFICATE_ARN,
      secondaryCertificateArn: raw.SECONDARY_CERTIFICATE_ARN,
      healthCheckIntervalSeconds,
      healthCheckFailureThreshold,
      recordTtlSeconds,
    },
    health: {
      checkTimeoutMs,
      decisionPeriods,
      replicationStallSeconds,
      autoFailover: raw.AUTO_FAILOVER === "true",
    },
    objectives: {
      rtoTargetSeconds,
      auroraPromotionSeconds,
      rpoTargetSeconds,
      rpoLagAlarmSeconds,
      checkerAlarmMinutes,
      replicationLatencyAlarmSeconds,
    },
    readiness: { scheduleMinutes: readinessScheduleMinutes },
    protection,
  };
}
