// Handler input validation: the environment the infrastructure sets (contract.ts HANDLER_ENV), as tables of
// settings.ts, and the invocation event. Every problem is reported at once, each naming the field and rule.
import {
  HANDLER_ENV,
  PROBE_INTERVAL_SECONDS,
  PROBES_PER_INVOCATION,
  type RegionRole,
  type VantageRole,
} from "./contract.ts";
import { HandlerInputError } from "./errors.ts";
import type { Environment, Values } from "./settings.ts";
import { limited, matching, oneOf, readSettings, settingsTable } from "./settings.ts";

export type { Environment } from "./settings.ts";

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

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && url.password === "" && url.hash === "";
  } catch {
    return false;
  }
}

const region = matching(REGION, "must be an AWS region name such as us-east-2");
const healthUrl = matching(
  isHttpsUrl,
  "must be an https:// URL (the ALB's DNS name and the deep-health path)",
);
/** Fixed by the contract: the prober's cadence is not a setting. */
const cadence = (expected: number) =>
  oneOf(
    [String(expected)],
    `must be ${expected}: the 10 s alarm periods and the one-a-minute schedule are built on it`,
  );

const METRIC_NAMESPACE = {
  name: HANDLER_ENV.metricNamespace,
  ...matching(
    (v) => NAMESPACE.test(v) && !v.startsWith("AWS/"),
    "must be a custom CloudWatch namespace: 1-255 of A-Z a-z 0-9 space . _ - / # :, not starting with AWS/",
  ),
} as const;
const APP_HOSTNAME = {
  name: HANDLER_ENV.appHostname,
  ...matching(
    DNS_NAME,
    "must be a lowercase DNS name (the application's public host name), such as app.dr.example.com",
  ),
} as const;
/** Every handler's bound on an external call. */
export const CHECK_TIMEOUT_MS = { name: HANDLER_ENV.checkTimeoutMs, ...limited("checkTimeoutMs") } as const;

const CHECKER_FIELDS = [
  { name: REGION_ENV, ...region },
  {
    name: HANDLER_ENV.regionRole,
    ...oneOf(["primary", "secondary"], 'must be "primary" or "secondary"'),
  },
  METRIC_NAMESPACE,
  CHECK_TIMEOUT_MS,
  {
    name: HANDLER_ENV.parameterPrefix,
    ...matching(
      PARAMETER_PREFIX,
      "must be an absolute Parameter Store path without a trailing slash, such as /txn/dev",
    ),
  },
] as const;

export const CHECKER_TABLE = settingsTable({ subject: "checker environment", fields: CHECKER_FIELDS });

/** The standby's database checker also tells a stalled replication. */
export const STANDBY_DATABASE_CHECKER_TABLE = settingsTable({
  subject: "checker environment",
  fields: [
    ...CHECKER_FIELDS,
    { name: HANDLER_ENV.replicationStallSeconds, ...limited("replicationStallSeconds") },
  ],
});

export const APP_CHECKER_TABLE = settingsTable({
  subject: "checker environment",
  fields: [
    ...CHECKER_FIELDS,
    { name: HANDLER_ENV.localHealthUrl, ...healthUrl },
    { name: HANDLER_ENV.peerHealthUrl, ...healthUrl },
    APP_HOSTNAME,
  ],
});

export const PROBE_TABLE = settingsTable({
  subject: "prober environment",
  fields: [
    { name: REGION_ENV, ...region },
    {
      name: HANDLER_ENV.regionRole,
      ...oneOf(
        ["secondary", "witness"],
        'must be "secondary" or "witness" (the vantage point of the prober)',
      ),
    },
    METRIC_NAMESPACE,
    { name: HANDLER_ENV.metricRegion, ...region },
    CHECK_TIMEOUT_MS,
    { name: HANDLER_ENV.primaryHealthUrl, ...healthUrl },
    APP_HOSTNAME,
    { name: HANDLER_ENV.probeIntervalSeconds, ...cadence(PROBE_INTERVAL_SECONDS) },
    { name: HANDLER_ENV.probesPerInvocation, ...cadence(PROBES_PER_INVOCATION) },
  ],
});

/** The values every checker and prober table starts with. */
type CommonValues<R extends string> =
  & Readonly<Record<typeof REGION_ENV | typeof HANDLER_ENV.metricNamespace, string>>
  & Readonly<Record<typeof HANDLER_ENV.regionRole, R>>
  & Readonly<Record<typeof HANDLER_ENV.checkTimeoutMs, number>>;

/** Where a checker or prober runs, as which role, and its metric namespace and call timeout. */
function commonEnvironment<R extends string>(values: CommonValues<R>) {
  return {
    region: values[REGION_ENV],
    role: values[HANDLER_ENV.regionRole],
    metricNamespace: values[HANDLER_ENV.metricNamespace],
    checkTimeoutMs: values[HANDLER_ENV.checkTimeoutMs],
  };
}

function checkerEnvironment(values: Values<typeof CHECKER_FIELDS>): CheckerEnvironment {
  return { ...commonEnvironment(values), parameterPrefix: values[HANDLER_ENV.parameterPrefix] };
}

/**
 * The database checker's environment; the standby's also REPLICATION_STALL_SECONDS. Throws ConfigError
 * listing every problem.
 */
export function readCheckerEnvironment(env: Environment): DatabaseCheckerEnvironment {
  if (env[HANDLER_ENV.regionRole] !== "secondary") {
    return checkerEnvironment(readSettings(CHECKER_TABLE, env));
  }
  const values = readSettings(STANDBY_DATABASE_CHECKER_TABLE, env);
  return {
    ...checkerEnvironment(values),
    replicationStallSeconds: values[HANDLER_ENV.replicationStallSeconds],
  };
}

/** A prober's environment; throws ConfigError listing every problem. */
export function readProbeEnvironment(env: Environment): ProbeEnvironment {
  const values = readSettings(PROBE_TABLE, env);
  return {
    ...commonEnvironment(values),
    metricRegion: values[HANDLER_ENV.metricRegion],
    primaryHealthUrl: values[HANDLER_ENV.primaryHealthUrl],
    appHostname: values[HANDLER_ENV.appHostname],
    probeIntervalSeconds: Number(values[HANDLER_ENV.probeIntervalSeconds]),
    probesPerInvocation: Number(values[HANDLER_ENV.probesPerInvocation]),
  };
}

/** The application checker's environment; throws ConfigError listing every problem. */
export function readAppCheckerEnvironment(env: Environment): AppCheckerEnvironment {
  const values = readSettings(APP_CHECKER_TABLE, env);
  return {
    ...checkerEnvironment(values),
    localHealthUrl: values[HANDLER_ENV.localHealthUrl],
    peerHealthUrl: values[HANDLER_ENV.peerHealthUrl],
    appHostname: values[HANDLER_ENV.appHostname],
  };
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
