// Prober of the primary, one per vantage point: the standby region and the witness region outside the pair.
// One scheduled invocation a minute GETs the primary ALB's deep-health URL on each 10 s boundary of its
// minute (the application's host name as TLS SNI and Host, timeout CHECK_TIMEOUT_MS) and publishes each
// result at once as high-resolution PrimaryProbeHealthy (1/0) and PrimaryProbeLatencyMs into the standby
// region's CloudWatch, dimensions Region = the prober's own region, Role = secondary | witness. The
// decision alarms there read them; a prober that publishes nothing casts no vote.
import process from "node:process";
import type { VantageRole } from "./lib/contract.ts";
import { type InvocationContext, scheduledHandler } from "./lib/checker.ts";
import { sampleEvery, systemWallClock, type WallClock } from "./lib/cadence.ts";
import { classifyError, errorMessage } from "./lib/errors.ts";
import { type Probe, tlsProbe } from "./lib/https_probe.ts";
import { type ProbeEnvironment, readProbeEnvironment } from "./lib/input.ts";
import { type CheckLogger, powertoolsLogger } from "./lib/log.ts";
import { cloudWatchPublisher, type ProbePublisher } from "./lib/probe_metrics.ts";
import { checkUrl, type UrlCheck } from "./lib/url_check.ts";

export const CHECK_NAME = "primary_probe";

export interface PrimaryProbeDeps {
  /** The prober's own region. */
  readonly region: string;
  readonly role: VantageRole;
  readonly timeoutMs: number;
  readonly primaryHealthUrl: string;
  readonly appHostname: string;
  readonly intervalMs: number;
  readonly probesPerInvocation: number;
  readonly probe: Probe;
  readonly publisher: ProbePublisher;
  readonly log: CheckLogger;
  readonly clock: WallClock;
}

export interface ProbeOutcome extends UrlCheck {
  /** The probe's start: the datapoint's timestamp. */
  readonly startedAt: string;
}

export interface PrimaryProbeReport {
  readonly probes: readonly ProbeOutcome[];
  /** Results CloudWatch took. */
  readonly published: number;
  /** 10 s boundaries of the minute not probed (the Lambda timeout would have cut the probe off). */
  readonly skipped: number;
}

/** Every probe failed to publish: this vantage point is silent for the minute (no vote either way). */
export class ProbeSilentError extends Error {
  override readonly name = "ProbeSilentError";
}

async function probeOnce(deps: PrimaryProbeDeps, startedAtMs: number): Promise<ProbeOutcome> {
  const url = deps.primaryHealthUrl;
  const startedAt = new Date(startedAtMs).toISOString();
  return { startedAt, ...await checkUrl(deps, url, { message: "primary probe", fields: { target: url } }) };
}

async function publish(deps: PrimaryProbeDeps, outcome: ProbeOutcome): Promise<boolean> {
  try {
    await deps.publisher.publish({
      timestampMs: Date.parse(outcome.startedAt),
      healthy: outcome.healthy,
      ...(outcome.latencyMs === undefined ? {} : { latencyMs: outcome.latencyMs }),
    });
    return true;
  } catch (error) {
    deps.log.warn("probe result not published", {
      probeStartedAt: outcome.startedAt,
      errorClass: classifyError(error),
      error: errorMessage(error),
    });
    return false;
  }
}

/**
 * One minute of probes. Each result is published without waiting for the call, so a slow CloudWatch never
 * shifts the next probe off its boundary; all calls are settled before returning.
 * @throws ProbeSilentError when no result could be published.
 */
export async function probePrimary(
  deps: PrimaryProbeDeps,
  context?: InvocationContext,
): Promise<PrimaryProbeReport> {
  const probes: ProbeOutcome[] = [];
  const publishing: Promise<boolean>[] = [];
  const sampling = await sampleEvery({
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    count: deps.probesPerInvocation,
    // The GET and the PutMetricData of the last probe, each at its timeout plus the client's grace.
    sampleBudgetMs: 2 * (deps.timeoutMs + 1000),
    ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
  }, async (startedAtMs) => {
    const outcome = await probeOnce(deps, startedAtMs);
    probes.push(outcome);
    publishing.push(publish(deps, outcome));
  });
  const published = (await Promise.all(publishing)).filter(Boolean).length;
  if (sampling.skipped > 0) {
    deps.log.warn("probes skipped: the invocation would have ended mid-probe", { skipped: sampling.skipped });
  }
  if (probes.length > 0 && published === 0) {
    throw new ProbeSilentError(`none of ${probes.length} probe results reached CloudWatch`);
  }
  return { probes, published, skipped: sampling.skipped };
}

/** The real clients, from the function's environment. */
export function wirePrimaryProbe(env: ProbeEnvironment): PrimaryProbeDeps {
  return {
    region: env.region,
    role: env.role,
    timeoutMs: env.checkTimeoutMs,
    primaryHealthUrl: env.primaryHealthUrl,
    appHostname: env.appHostname,
    intervalMs: env.probeIntervalSeconds * 1000,
    probesPerInvocation: env.probesPerInvocation,
    probe: tlsProbe(),
    publisher: cloudWatchPublisher({
      namespace: env.metricNamespace,
      metricRegion: env.metricRegion,
      region: env.region,
      role: env.role,
      timeoutMs: env.checkTimeoutMs,
    }),
    log: powertoolsLogger({ check: CHECK_NAME, region: env.region, role: env.role }),
    clock: systemWallClock,
  };
}

export const handler: (event: unknown, context?: InvocationContext) => Promise<PrimaryProbeReport> =
  scheduledHandler(
    { check: CHECK_NAME, readEnvironment: readProbeEnvironment, wire: wirePrimaryProbe, run: probePrimary },
    process.env,
  );
