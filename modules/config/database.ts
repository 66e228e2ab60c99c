// Settings of the Aurora PostgreSQL global database.
import { matching, type Setting, type Values, wholeNumber } from "../../handlers/lib/settings.ts";

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

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const WEEKLY_WINDOW =
  /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
const RESERVED_USERS = ["admin", "postgres", "rdsadmin"];

const instanceClass = matching(
  /^db\.(r\d+[a-z]*\.[a-z0-9]+|serverless)$/,
  "must be a memory-optimized class (db.r*) or db.serverless; burstable classes cannot join a global database",
);

export const DATABASE_FIELDS = [
  {
    name: "DB_ENGINE_VERSION",
    ...matching(/^1[3-7]\.\d{1,2}$/, "must be an Aurora PostgreSQL major.minor version (13.x to 17.x)"),
    fallback: "16.6",
    description: "Aurora PostgreSQL version",
  },
  { name: "DB_INSTANCE_CLASS", ...instanceClass, fallback: "db.r6g.large", description: "primary instances" },
  {
    name: "DB_SECONDARY_INSTANCE_CLASS",
    ...instanceClass,
    fallback: (t) => t.DB_INSTANCE_CLASS,
    description: "secondary instances",
  },
  {
    name: "DB_NAME",
    ...matching(
      IDENTIFIER,
      "must start with a lowercase letter; lowercase letters, digits, underscores; at most 63",
    ),
    fallback: "transactions",
    description: "database name",
  },
  {
    name: "DB_MASTER_USERNAME",
    ...matching(
      (name) => IDENTIFIER.test(name) && !RESERVED_USERS.includes(name),
      `must be a lowercase identifier and not a reserved name (${RESERVED_USERS.join(", ")})`,
    ),
    fallback: "txn_admin",
    description: "master user",
  },
  { name: "DB_PORT", ...wholeNumber(1150, 65535), fallback: "5432", description: "PostgreSQL port" },
  {
    name: "DB_BACKUP_RETENTION_DAYS",
    ...wholeNumber(1, 35),
    fallback: "7",
    description: "backups / PITR window",
  },
  {
    name: "DB_BACKUP_WINDOW",
    ...matching(WINDOW, "must be hh:mm-hh:mm (UTC)"),
    fallback: "03:00-04:00",
    description: "UTC backup window",
  },
  {
    name: "DB_MAINTENANCE_WINDOW",
    ...matching(WEEKLY_WINDOW, "must be ddd:hh:mm-ddd:hh:mm (UTC)"),
    fallback: "sun:04:30-sun:05:30",
    description: "UTC maintenance window",
  },
  {
    name: "DB_RPO_GUARD_SECONDS",
    ...wholeNumber(0, 3600),
    rules: [{
      ok: (seconds: number) => seconds === 0 || seconds >= 20,
      message: "must be 0 (off) or at least 20 (the Aurora minimum)",
    }],
    fallback: "0",
    description: "rds.global_db_rpo (0: off)",
  },
] as const satisfies readonly Setting[];

export function databaseConfig(v: Values<typeof DATABASE_FIELDS>): DatabaseConfig {
  return {
    engineVersion: v.DB_ENGINE_VERSION,
    primaryInstanceClass: v.DB_INSTANCE_CLASS,
    secondaryInstanceClass: v.DB_SECONDARY_INSTANCE_CLASS,
    databaseName: v.DB_NAME,
    masterUsername: v.DB_MASTER_USERNAME,
    port: v.DB_PORT,
    backupRetentionDays: v.DB_BACKUP_RETENTION_DAYS,
    backupWindow: v.DB_BACKUP_WINDOW,
    maintenanceWindow: v.DB_MAINTENANCE_WINDOW,
    rpoGuardSeconds: v.DB_RPO_GUARD_SECONDS,
  };
}
