// Database checker, one per region, in the VPC: connects to its region's cluster (the global writer
// endpoint on the primary, the cluster reader endpoint on the secondary) over verified TLS as the checker
// database role with an IAM authentication token (never the master credentials), runs
// `SELECT 1`, and on the secondary reads aurora_global_db_status(): at once, then on each 10 s boundary of
// its minute over the same connection. Publishes DatabaseHealthy (0/1), DatabaseLatencyMs and, on the
// secondary, ReplicationLagMs and ReplicationStalled (1/0, high resolution: a decision alarm reads it) per
// reading: 1 when the primary's data it sees is older than REPLICATION_STALL_SECONDS or the lag
// calculation stopped advancing (a lost primary region freezes it).
import process from "node:process";
import {
  DATABASE_USERS,
  METRICS,
  PARAMETER_KEYS,
  type ParameterKey,
  PROBE_INTERVAL_SECONDS,
  PROBES_PER_INVOCATION,
  type RegionRole,
} from "./lib/contract.ts";
import {
  type Clock,
  elapsedMs,
  type InvocationContext,
  scheduledHandler,
  systemClock,
} from "./lib/checker.ts";
import { sampleEvery, systemWallClock, type WallClock } from "./lib/cadence.ts";
import { classifyError, type ErrorClass, errorMessage, QueryResultError } from "./lib/errors.ts";
import { type DatabaseCheckerEnvironment, readCheckerEnvironment } from "./lib/input.ts";
import { type CheckLogger, powertoolsLogger } from "./lib/log.ts";
import { emfMetricsSink, type MetricsSink } from "./lib/metrics.ts";
import { ParameterError, type ParameterReader, ssmParameterReader } from "./lib/parameters.ts";
import { type Connect, type DatabaseSession, pgConnect } from "./lib/postgres.ts";
import { type AuthToken, iamAuthToken } from "./lib/iam_token.ts";

export const CHECK_NAME = "db_health";

/**
 * This region's row of the Aurora global database status: its RPO lag (-1 on the writer) and how long ago
 * Aurora last calculated it, on the server's clock.
 */
export const REPLICATION_LAG_SQL = "SELECT rpo_lag_in_msec, " +
  "(EXTRACT(EPOCH FROM (clock_timestamp() - last_lag_calculation_time)) * 1000)::bigint " +
  "AS lag_calculation_age_msec FROM aurora_global_db_status() WHERE aws_region = $1";

export interface DatabaseCheckDeps {
  readonly region: string;
  readonly role: RegionRole;
  readonly timeoutMs: number;
  /** Secondary: replication older than this counts as stalled (REPLICATION_STALL_SECONDS). */
  readonly replicationStallSeconds?: number;
  readonly parameters: ParameterReader;
  readonly connect: Connect;
  /** The checker role's password: an IAM authentication token. */
  readonly authToken: AuthToken;
  readonly metrics: MetricsSink;
  readonly log: CheckLogger;
  readonly clock: Clock;
  /** Secondary: when the replication samples are taken (10 s boundaries of the minute). */
  readonly wallClock?: WallClock;
  /** @default PROBE_INTERVAL_SECONDS x 1000 */
  readonly sampleIntervalMs?: number;
}

/** One reading of aurora_global_db_status() on the secondary. */
export interface ReplicationSample {
  readonly at: string;
  readonly lagMs: number;
  readonly lagCalculationAgeMs: number;
  readonly stalled: boolean;
}

export interface DatabaseCheckResult {
  readonly healthy: boolean;
  /** host:port checked. */
  readonly endpoint: string;
  /** Connect (TCP, TLS, authentication) plus `SELECT 1`; set when healthy. */
  readonly latencyMs?: number;
  /** Secondary only, while its cluster replicates (absent once it is the writer): the first reading. */
  readonly replicationLagMs?: number;
  /** Secondary only, while its cluster replicates: every reading of the minute. */
  readonly replication?: readonly ReplicationSample[];
  readonly errorClass?: ErrorClass;
  readonly error?: string;
}

const CONNECTION_KEYS = ["port", "databaseName"] as const;
const DEFAULT_STALL_SECONDS = 10;

/** This region's lag and the age of its calculation; undefined on the writer (nothing to replicate). */
async function readReplication(
  session: DatabaseSession,
  region: string,
): Promise<{ lagMs: number; lagCalculationAgeMs: number } | undefined> {
  const rows = await session.query<{
    rpo_lag_in_msec: string | number | null;
    lag_calculation_age_msec: string | number | null;
  }>(REPLICATION_LAG_SQL, [region]);
  if (rows.length !== 1) {
    throw new QueryResultError(`aurora_global_db_status() has ${rows.length} rows for ${region}, expected 1`);
  }
  const raw = rows[0].rpo_lag_in_msec;
  if (raw === null) return undefined;
  const lagMs = Number(raw);
  if (!Number.isFinite(lagMs)) throw new QueryResultError(`rpo_lag_in_msec is not a number: ${raw}`);
  if (lagMs < 0) return undefined;
  const age = Number(rows[0].lag_calculation_age_msec);
  if (!Number.isFinite(age)) {
    throw new QueryResultError(
      `last_lag_calculation_time is missing or not a time: ${rows[0].lag_calculation_age_msec}`,
    );
  }
  return { lagMs, lagCalculationAgeMs: Math.max(0, age) };
}

function recordSample(deps: DatabaseCheckDeps, reading: { lagMs: number; lagCalculationAgeMs: number }) {
  const stallMs = (deps.replicationStallSeconds ?? DEFAULT_STALL_SECONDS) * 1000;
  const atMs = (deps.wallClock ?? systemWallClock).now();
  const sample: ReplicationSample = {
    at: new Date(atMs).toISOString(),
    ...reading,
    stalled: reading.lagMs > stallMs || reading.lagCalculationAgeMs > stallMs,
  };
  deps.metrics.add(METRICS.replicationLagMs, "Milliseconds", sample.lagMs);
  deps.metrics.add(METRICS.replicationStalled, "Count", sample.stalled ? 1 : 0, "high");
  deps.metrics.flush(atMs);
  if (sample.stalled) deps.log.warn("replication stalled", { ...sample, stallMs });
  return sample;
}

/** The rest of the minute: one reading per 10 s boundary over the same session; stops when a read fails. */
async function sampleReplication(
  deps: DatabaseCheckDeps,
  session: DatabaseSession,
  context: InvocationContext | undefined,
): Promise<ReplicationSample[]> {
  const samples: ReplicationSample[] = [];
  await sampleEvery({
    clock: deps.wallClock ?? systemWallClock,
    intervalMs: deps.sampleIntervalMs ?? PROBE_INTERVAL_SECONDS * 1000,
    // The reading at connect time covers the current period.
    count: PROBES_PER_INVOCATION - 1,
    sampleBudgetMs: deps.timeoutMs + 1000,
    ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
  }, async () => {
    try {
      const reading = await readReplication(session, deps.region);
      if (reading === undefined) return false; // promoted meanwhile: nothing replicates into this region
      samples.push(recordSample(deps, reading));
      return true;
    } catch (error) {
      deps.log.warn("replication sample failed: no more samples this minute", {
        errorClass: classifyError(error),
        error: errorMessage(error),
      });
      return false;
    }
  });
  return samples;
}

/**
 * One database check and, on the secondary, the minute's replication readings. Throws only for bad
 * configuration (ParameterError) or a bug.
 */
export async function checkDatabase(
  deps: DatabaseCheckDeps,
  context?: InvocationContext,
): Promise<DatabaseCheckResult> {
  const { clock } = deps;
  const endpointKey: ParameterKey = deps.role === "primary" ? "writerEndpoint" : "readerEndpoint";
  const values = await deps.parameters.read([endpointKey, ...CONNECTION_KEYS]);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
    throw new ParameterError(`parameter ${PARAMETER_KEYS.port}="${values.port}": must be a port 1-65535`);
  }
  const host = values[endpointKey];
  const endpoint = `${host}:${port}`;
  const started = clock.now();
  let session: DatabaseSession | undefined;
  try {
    const user = DATABASE_USERS.checker;
    session = await deps.connect({
      host,
      port,
      database: values.databaseName,
      user,
      password: await deps.authToken({ host, port, user }),
      timeoutMs: deps.timeoutMs,
    });
    await session.query("SELECT 1");
    const latencyMs = elapsedMs(clock, started);
    const reading = deps.role === "secondary" ? await readReplication(session, deps.region) : undefined;
    const result = { healthy: true, endpoint, latencyMs, replicationLagMs: reading?.lagMs };
    publishHealth(deps, result, elapsedMs(clock, started));
    if (reading === undefined) return result;
    const first = recordSample(deps, reading);
    return { ...result, replication: [first, ...await sampleReplication(deps, session, context)] };
  } catch (error) {
    const result = { healthy: false, endpoint, errorClass: classifyError(error), error: errorMessage(error) };
    publishHealth(deps, result, elapsedMs(clock, started));
    return result;
  } finally {
    await session?.close();
  }
}

function publishHealth(deps: DatabaseCheckDeps, result: DatabaseCheckResult, durationMs: number): void {
  deps.metrics.add(METRICS.databaseHealthy, "Count", result.healthy ? 1 : 0);
  if (result.latencyMs !== undefined) {
    deps.metrics.add(METRICS.databaseLatencyMs, "Milliseconds", result.latencyMs);
  }
  deps.metrics.flush();
  const fields = {
    target: result.endpoint,
    durationMs,
    outcome: result.healthy ? "healthy" : "unhealthy",
    errorClass: result.errorClass,
    error: result.error,
    replicationLagMs: result.replicationLagMs,
  } as const;
  if (result.healthy) deps.log.info("database check", fields);
  else deps.log.warn("database check", fields);
}

/** The real clients, from the function's environment. */
export function wireDatabaseCheck(env: DatabaseCheckerEnvironment): DatabaseCheckDeps {
  return {
    region: env.region,
    role: env.role,
    timeoutMs: env.checkTimeoutMs,
    ...(env.replicationStallSeconds === undefined
      ? {}
      : { replicationStallSeconds: env.replicationStallSeconds }),
    parameters: ssmParameterReader({ prefix: env.parameterPrefix, timeoutMs: env.checkTimeoutMs }),
    connect: pgConnect(),
    authToken: iamAuthToken(env.region),
    metrics: emfMetricsSink({ namespace: env.metricNamespace, region: env.region, role: env.role }),
    log: powertoolsLogger({ check: CHECK_NAME, region: env.region, role: env.role }),
    clock: systemClock,
    wallClock: systemWallClock,
  };
}

export const handler: (event: unknown, context?: InvocationContext) => Promise<DatabaseCheckResult> =
  scheduledHandler(
    {
      check: CHECK_NAME,
      readEnvironment: readCheckerEnvironment,
      wire: wireDatabaseCheck,
      run: checkDatabase,
    },
    process.env,
  );
