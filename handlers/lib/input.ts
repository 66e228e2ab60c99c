// Handler input validation: the environment the infrastructure sets (contract.ts HANDLER_ENV) and the
// invocation event. Every problem is reported at once, each naming the field and the rule it breaks.
import {
  HANDLER_ENV,
  type LimitName,
  limitRule,
  PROBE_INTERVAL_SECONDS,
  PROBES_PER_INVOCATION,
  type RegionRole,
  type VantageRole,
  withinLimit,
} from "./contract.ts";
import { HandlerInputError } from "./errors.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

/** Set by the Lambda runtime: the region the function runs in. */
export const REGION_ENV = "AWS_REGION";

/** What both checkers read from their environment. */
export interface CheckerEnvironment {
  /** The function's own region (AWS_REGION). */
  readonly region: string;
  readonly role: RegionRole;
  readonly metricNamespace: string;
  /** Timeout of every external call (CHECK_TIMEOUT_MS). */
  readonly checkTimeoutMs: number;
  /** Parameter Store prefix, `/<app>/<suffix>`. */
  readonly parameterPrefix: string;
}

export interface DatabaseCheckerEnvironment extends CheckerEnvironment {
  /** Standby only (REPLICATION_STALL_SECONDS): replication older than this counts as stalled. */
  readonly replicationStallSeconds?: number;
}

/** What a prober of the primary reads (primary_probe, in the standby and the witness region). */
export interface ProbeEnvironment {
  /** The prober's own region (AWS_REGION): the Region dimension of its metrics. */
  readonly region: string;
  readonly role: VantageRole;
  readonly metricNamespace: string;
  /** Where the metrics go (METRIC_REGION): the standby region, also for the witness. */
  readonly metricRegion: string;
  readonly checkTimeoutMs: number;
  readonly primaryHealthUrl: string;
  readonly appHostname: string;
  readonly probeIntervalSeconds: number;
  readonly probesPerInvocation: number;
}

export interface AppCheckerEnvironment extends CheckerEnvironment {
  readonly localHealthUrl: string;
  readonly peerHealthUrl: string;
  readonly appHostname: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$/;
const NAMESPACE = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;
const PARAMETER_PREFIX = /^(\/[A-Za-z0-9_.-]+)+$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

class EnvironmentReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Environment) {}

  /** The variable's value when it passes `valid`; otherwise records `NAME="value": rule`. */
  read(name: string, valid: (value: string) => boolean, rule: string): string {
    const value = this.env[name];
    if (value === undefined || value === "") {
      this.problems.push(`${name}: is not set; ${rule}`);
      return "";
    }
    if (!valid(value)) this.problems.push(`${name}="${value}": ${rule}`);
    return value;
  }

  /** An integer inside a limit shared with the infrastructure (contract.ts LIMITS), with its rule text. */
  limited(name: string, limit: LimitName): number {
    return Number(this.read(name, (v) => /^\d+$/.test(v) && withinLimit(limit, Number(v)), limitRule(limit)));
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && url.password === "" && url.hash === "";
  } catch {
    return false;
  }
}

const readRegion = (reader: EnvironmentReader, name: string) =>
  reader.read(name, (v) => REGION.test(v), "must be an AWS region name such as us-east-2");
const readNamespace = (reader: EnvironmentReader) =>
  reader.read(
    HANDLER_ENV.metricNamespace,
    (v) => NAMESPACE.test(v) && !v.startsWith("AWS/"),
    "must be a custom CloudWatch namespace: 1-255 of A-Z a-z 0-9 space . _ - / # :, not starting with AWS/",
  );
const readHostname = (reader: EnvironmentReader) =>
  reader.read(
    HANDLER_ENV.appHostname,
    (v) => DNS_NAME.test(v),
    "must be a lowercase DNS name (the application's public host name), such as app.dr.example.com",
  );
const readHealthUrl = (reader: EnvironmentReader, name: string) =>
  reader.read(name, isHttpsUrl, "must be an https:// URL (the ALB's DNS name and the deep-health path)");

function readCommon(reader: EnvironmentReader): CheckerEnvironment {
  return {
    region: readRegion(reader, REGION_ENV),
    role: reader.read(
      HANDLER_ENV.regionRole,
      (v) => v === "primary" || v === "secondary",
      'must be "primary" or "secondary"',
    ) as RegionRole,
    metricNamespace: readNamespace(reader),
    checkTimeoutMs: reader.limited(HANDLER_ENV.checkTimeoutMs, "checkTimeoutMs"),
    parameterPrefix: reader.read(
      HANDLER_ENV.parameterPrefix,
      (v) => PARAMETER_PREFIX.test(v),
      "must be an absolute Parameter Store path without a trailing slash, such as /txn/dev",
    ),
  };
}

function check<T>(reader: EnvironmentReader, value: T): T {
  if (reader.problems.length > 0) throw new HandlerInputError(reader.problems);
  return value;
}

/**
 * The database checker's environment; the standby's also REPLICATION_STALL_SECONDS. Throws
 * HandlerInputError listing every problem.
 */
export function readCheckerEnvironment(env: Environment): DatabaseCheckerEnvironment {
  const reader = new EnvironmentReader(env);
  const common = readCommon(reader);
  if (common.role !== "secondary") return check(reader, common);
  return check(reader, {
    ...common,
    replicationStallSeconds: reader.limited(HANDLER_ENV.replicationStallSeconds, "replicationStallSeconds"),
  });
}

/** A prober's environment; throws HandlerInputError listing every problem. */
export function readProbeEnvironment(env: Environment): ProbeEnvironment {
  const reader = new EnvironmentReader(env);
  const cadence = (name: string, expected: number) =>
    Number(reader.read(
      name,
      (v) => v === String(expected),
      `must be ${expected}: the 10 s alarm periods and the one-a-minute schedule are built on it`,
    ));
  return check(reader, {
    region: readRegion(reader, REGION_ENV),
    role: reader.read(
      HANDLER_ENV.regionRole,
      (v) => v === "secondary" || v === "witness",
      'must be "secondary" or "witness" (the vantage point of the prober)',
    ) as VantageRole,
    metricNamespace: readNamespace(reader),
    metricRegion: readRegion(reader, HANDLER_ENV.metricRegion),
    checkTimeoutMs: reader.limited(HANDLER_ENV.checkTimeoutMs, "checkTimeoutMs"),
    primaryHealthUrl: readHealthUrl(reader, HANDLER_ENV.primaryHealthUrl),
    appHostname: readHostname(reader),
    probeIntervalSeconds: cadence(HANDLER_ENV.probeIntervalSeconds, PROBE_INTERVAL_SECONDS),
    probesPerInvocation: cadence(HANDLER_ENV.probesPerInvocation, PROBES_PER_INVOCATION),
  });
}

/** The application checker's environment; throws HandlerInputError listing every problem. */
export function readAppCheckerEnvironment(env: Environment): AppCheckerEnvironment {
  const reader = new EnvironmentReader(env);
  const common = readCommon(reader);
  return check(reader, {
    ...common,
    localHealthUrl: readHealthUrl(reader, HANDLER_ENV.localHealthUrl),
    peerHealthUrl: readHealthUrl(reader, HANDLER_ENV.peerHealthUrl),
    appHostname: readHostname(reader),
  });
}

/**
 * Accepts what the schedule sends (an EventBridge "Scheduled Event") and `{}` (a manual test invoke);
 * anything else is a wiring mistake and is refused.
 */
export function assertScheduledEvent(event: unknown): void {
  if (typeof event === "object" && event !== null && !Array.isArray(event)) {
    const record = event as Record<string, unknown>;
    if (Object.keys(record).length === 0) return;
    if (record.source === "aws.events" && record["detail-type"] === "Scheduled Event") return;
  }
  const shown = JSON.stringify(event) ?? String(event);
  throw new HandlerInputError([
    `event: must be an EventBridge scheduled event ("source": "aws.events", "detail-type": "Scheduled Event") ` +
    `or {}; got ${shown.length > 200 ? `${shown.slice(0, 200)}...` : shown}`,
  ]);
}
