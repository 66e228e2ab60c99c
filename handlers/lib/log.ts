// Structured JSON logs (Powertools Logger): every line carries level, check, region and role; a check's
// result line adds durationMs, outcome and errorClass.
import { Logger } from "@aws-lambda-powertools/logger";
import type { RegionRole, VantageRole } from "./contract.ts";
import type { ErrorClass } from "./errors.ts";

export type Outcome = "healthy" | "unhealthy" | "error";

/** Fields of one log line besides level and message. */
export interface LogFields {
  readonly target?: string;
  readonly durationMs?: number;
  readonly outcome?: Outcome;
  readonly errorClass?: ErrorClass;
  readonly error?: string;
  readonly [key: string]: unknown;
}

export interface CheckLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerContext {
  /** The checker: `db_health`, `app_health` or `primary_probe`. */
  readonly check: string;
  readonly region: string;
  readonly role: RegionRole | VantageRole | "unknown";
}

export function powertoolsLogger(context: LoggerContext): CheckLogger {
  const logger = new Logger({
    serviceName: context.check,
    logLevel: "INFO",
    persistentKeys: { check: context.check, region: context.region, role: context.role },
  });
  return {
    info: (message, fields = {}) => logger.info(message, { ...fields }),
    warn: (message, fields = {}) => logger.warn(message, { ...fields }),
    error: (message, fields = {}) => logger.error(message, { ...fields }),
  };
}
