// Database checker, one per region, in the VPC: connects to its region's cluster (the global writer
// endpoint on the primary, the cluster reader endpoint on the secondary) over verified TLS, runs
// `SELECT 1`, and on the secondary reads the replication lag from aurora_global_db_status().
// Publishes DatabaseHealthy (0/1), DatabaseLatencyMs and, on the secondary, ReplicationLagMs.
import process from "node:process";
import { METRICS, PARAMETER_KEYS, type ParameterKey, type RegionRole } from "./lib/contract.ts";
import { type Clock, elapsedMs, scheduledHandler, systemClock } from "./lib/checker.ts";
import { classifyError, type ErrorClass, errorMessage, QueryResultError } from "./lib/errors.ts";
import { type CheckerEnvironment, readCheckerEnvironment } from "./lib/input.ts";
import { type CheckLogger, powertoolsLogger } from "./lib/log.ts";
import { emfMetricsSink, type MetricsSink } from "./lib/metrics.ts";
import { ParameterError, type ParameterReader, ssmParameterReader } from "./lib/parameters.ts";
import { type Connect, type DatabaseSession, pgConnect } from "./lib/postgres.ts";

export const CHECK_NAME = "db_health";

/** This region's row of the Aurora global database status: the RPO lag of its cluster (-1 on the writer). */
export const REPLICATION_LAG_SQL =
  "SELECT rpo_lag_in_msec FROM aurora_global_db_status() WHERE aws_region = $1";

export interface DatabaseCheckDeps {
  readonly region: string;
  readonly role: RegionRole;
  readonly timeoutMs: number;
  readonly parameters: ParameterReader;
  readonly connect: Connect;
  readonly metrics: MetricsSink;
  readonly log: CheckLogger;
  readonly clock: Clock;
}

export interface DatabaseCheckResult {
  readonly healthy: boolean;
  /** host:port checked. */
  readonly endpoint: string;
  /** Connect (TCP, TLS, authentication) plus `SELECT 1`; set when healthy. */
  readonly latencyMs?: number;
  /** Secondary only, while its cluster replicates (absent once it is the writer). */
  readonly replicationLagMs?: number;
  readonly errorClass?: ErrorClass;
  readonly error?: string;
}

const CONNECTION_KEYS = ["port", "databaseName", "masterUsername", "masterPassword"] as const;

async function readReplicationLag(session: DatabaseSession, region: string): Promise<number | undefined> {
  const rows = await session.query<{ rpo_lag_in_msec: string | number | null }>(REPLICATION_LAG_SQL, [
    region,
  ]);
  if (rows.length !== 1) {
    throw new QueryResultError(`aurora_global_db_status() has ${rows.length} rows for ${region}, expected 1`);
  }
  const raw = rows[0].rpo_lag_in_msec;
  if (raw === null) return undefined;
  const lag = Number(raw);
  if (!Number.isFinite(lag)) throw new QueryResultError(`rpo_lag_in_msec is not a number: ${raw}`);
  return lag < 0 ? undefined : lag;
}

/** One database check. Throws only for bad configuration (ParameterError) or a bug. */
export async function checkDatabase(deps: DatabaseCheckDeps): Promise<DatabaseCheckResult> {
  const { log, metrics, clock } = deps;
  const endpointKey: ParameterKey = deps.role === "primary" ? "writerEndpoint" : "readerEndpoint";
  try {
    const values = await deps.parameters.read([endpointKey, ...CONNECTION_KEYS]);
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      throw new ParameterError(`parameter ${PARAMETER_KEYS.port}="${values.port}": must be a port 1-65535`);
    }
    const host = values[endpointKey];
    const endpoint = `${host}:${port}`;
    const started = clock.now();
    let session: DatabaseSession | undefined;
    let result: DatabaseCheckResult;
    try {
      session = await deps.connect({
        host,
        port,
        database: values.databaseName,
        user: values.masterUsername,
        password: values.masterPassword,
        timeoutMs: deps.timeoutMs,
      });
      await session.query("SELECT 1");
      const latencyMs = elapsedMs(clock, started);
      const replicationLagMs = deps.role === "secondary"
        ? await readReplicationLag(session, deps.region)
        : undefined;
      result = { healthy: true, endpoint, latencyMs, replicationLagMs };
    } catch (error) {
      result = { healthy: false, endpoint, errorClass: classifyError(error), error: errorMessage(error) };
    } finally {
      await session?.close();
    }
    metrics.add(METRICS.databaseHealthy, "Count", result.healthy ? 1 : 0);
    if (result.latencyMs !== undefined) {
      metrics.add(METRICS.databaseLatencyMs, "Milliseconds", result.latencyMs);
    }
    if (result.replicationLagMs !== undefined) {
      metrics.add(METRICS.replicationLagMs, "Milliseconds", result.replicationLagMs);
    }
    const fields = {
      target: endpoint,
      durationMs: elapsedMs(clock, started),
      outcome: result.healthy ? "healthy" : "unhealthy",
      errorClass: result.errorClass,
      error: result.error,
      replicationLagMs: result.replicationLagMs,
    } as const;
    if (result.healthy) log.info("database check", fields);
    else log.warn("database check", fields);
    return result;
  } finally {
    metrics.flush();
  }
}

/** The real clients, from the function's environment. */
export function wireDatabaseCheck(env: CheckerEnvironment): DatabaseCheckDeps {
  return {
    region: env.region,
    role: env.role,
    timeoutMs: env.checkTimeoutMs,
    parameters: ssmParameterReader({ prefix: env.parameterPrefix, timeoutMs: env.checkTimeoutMs }),
    connect: pgConnect(),
    metrics: emfMetricsSink({ namespace: env.metricNamespace, region: env.region, role: env.role }),
    log: powertoolsLogger({ check: CHECK_NAME, region: env.region, role: env.role }),
    clock: systemClock,
  };
}

export const handler: (event: unknown) => Promise<DatabaseCheckResult> = scheduledHandler(
  { check: CHECK_NAME, readEnvironment: readCheckerEnvironment, wire: wireDatabaseCheck, run: checkDatabase },
  process.env,
);
