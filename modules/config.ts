// Configuration: read from environment variables, every value with a safe default, validated as one table of
// settings (handlers/lib/settings.ts): each setting's parse, rule and default lives in the file of its concern
// (modules/config/*.ts, protection_config.ts). All problems are reported at once; nothing is synthesized
// when any rule fails.
import {
  type Environment,
  fallbackText,
  readSettings,
  type Setting,
  settingsTable,
} from "../handlers/lib/settings.ts";
import { FOUNDATION_FIELDS, FOUNDATION_RULES, OPERATIONS_FIELDS } from "./config/foundation.ts";
import { NETWORK_FIELDS, NETWORK_RULES, type RegionConfig, regionConfig } from "./config/network.ts";
import { DNS_FIELDS, DNS_RULES, type DnsConfig, dnsConfig, ZONE_FIELDS } from "./config/dns.ts";
import { DATABASE_FIELDS, type DatabaseConfig, databaseConfig } from "./config/database.ts";
import { COMPUTE_FIELDS, COMPUTE_RULES, type ComputeConfig, computeConfig } from "./config/compute.ts";
import {
  type HealthConfig,
  healthConfig,
  type ObjectivesConfig,
  objectivesConfig,
  type ReadinessSettings,
  RECOVERY_FIELDS,
  RECOVERY_RULES,
} from "./config/recovery.ts";
import {
  PRODUCTION_LOG_RETENTION_DAYS,
  PROTECTION_FIELDS,
  PROTECTION_RULES,
  type ProtectionConfig,
  protectionConfig,
} from "./protection_config.ts";

export { ConfigError, type Setting } from "../handlers/lib/settings.ts";
export { PLACEHOLDER_ACCOUNT_ID } from "./config/foundation.ts";
export { parseCidr, type RegionConfig } from "./config/network.ts";
export type { DnsConfig, TlsMode } from "./config/dns.ts";
export type { DatabaseConfig } from "./config/database.ts";
export type { ComputeConfig } from "./config/compute.ts";
export {
  type HealthConfig,
  type ObjectivesConfig,
  READINESS_SCHEDULE_RANGE_MINUTES,
  type ReadinessSettings,
} from "./config/recovery.ts";

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

/**
 * Every setting, in the order of the docs table. Adding a setting is one entry in its concern's FIELDS (and,
 * when it relates to others, one cross rule in its RULES), then its use in that concern's builder below.
 */
export const CONFIG_TABLE = settingsTable({
  subject: "configuration",
  trim: true,
  fields: [
    ...FOUNDATION_FIELDS,
    ...NETWORK_FIELDS,
    ...ZONE_FIELDS,
    ...OPERATIONS_FIELDS,
    ...DATABASE_FIELDS,
    ...COMPUTE_FIELDS,
    ...DNS_FIELDS,
    ...RECOVERY_FIELDS,
    ...PROTECTION_FIELDS,
  ],
  rules: [
    ...FOUNDATION_RULES,
    ...NETWORK_RULES,
    ...DNS_RULES,
    ...COMPUTE_RULES,
    ...RECOVERY_RULES,
    ...PROTECTION_RULES,
  ],
});

export const SETTINGS: readonly Setting[] = CONFIG_TABLE.fields;

/** The raw text of every setting: the environment's where set, else the default (undefined: none). */
export function resolveSettings(env: Environment): Record<string, string | undefined> {
  const texts: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const given = env[setting.name]?.trim();
    const text = given ? given : fallbackText(setting, texts);
    if (text !== undefined) texts[setting.name] = text;
  }
  return Object.fromEntries(SETTINGS.map((setting) => [setting.name, texts[setting.name]]));
}

/**
 * Validates the settings and builds the typed configuration.
 * @throws ConfigError listing every violated rule, one line each: `VARIABLE="value": rule`.
 */
export function loadConfig(env: Environment): StackConfig {
  const v = readSettings(CONFIG_TABLE, env);
  const protection = protectionConfig(v);
  return {
    environmentSuffix: v.ENVIRONMENT_SUFFIX,
    environment: v.ENVIRONMENT,
    costCenter: v.COST_CENTER,
    appName: v.APP_NAME,
    accountId: v.AWS_ACCOUNT_ID,
    primary: regionConfig(v, "PRIMARY"),
    secondary: regionConfig(v, "SECONDARY"),
    witness: { region: v.WITNESS_REGION },
    alertEmails: v.ALERT_EMAILS,
    // The production profile keeps logs at least a year (a retention the settings table offers).
    logRetentionDays: protection.productionProfile
      ? Math.max(v.LOG_RETENTION_DAYS, PRODUCTION_LOG_RETENTION_DAYS)
      : v.LOG_RETENTION_DAYS,
    stateBucket: v.STATE_BUCKET ?? "",
    stateRegion: v.STATE_REGION,
    stateKey: v.STATE_KEY,
    noncurrentVersionDays: v.S3_NONCURRENT_VERSION_DAYS,
    database: databaseConfig(v),
    compute: computeConfig(v),
    dns: dnsConfig(v),
    health: healthConfig(v),
    objectives: objectivesConfig(v),
    readiness: { scheduleMinutes: v.READINESS_SCHEDULE_MINUTES },
    protection,
  };
}
