// Application checker, one per region, outside the VPC: GETs the local ALB's deep-health URL and the peer
// region's (the application's host name as SNI and Host), in parallel. Publishes AppHealthy, AppLatencyMs,
// PeerAppHealthy, PeerAppLatencyMs; on the secondary also PrimaryFenced (1 while the `active-region`
// parameter names the secondary's own region), republished every minute so the alarm Route 53 reads
// stays in ALARM until a person fails back.
import process from "node:process";
import { METRICS, type RegionRole } from "./lib/contract.ts";
import { type Clock, scheduledHandler, systemClock } from "./lib/checker.ts";
import { type Probe, tlsProbe } from "./lib/https_probe.ts";
import { type AppCheckerEnvironment, readAppCheckerEnvironment } from "./lib/input.ts";
import { type CheckLogger, powertoolsLogger } from "./lib/log.ts";
import { emfMetricsSink, type MetricName, type MetricsSink } from "./lib/metrics.ts";
import { type ParameterReader, ssmParameterReader } from "./lib/parameters.ts";
import { checkUrl, type UrlCheck } from "./lib/url_check.ts";

export const CHECK_NAME = "app_health";

export interface AppCheckDeps {
  readonly region: string;
  readonly role: RegionRole;
  readonly timeoutMs: number;
  readonly localHealthUrl: string;
  readonly peerHealthUrl: string;
  readonly appHostname: string;
  readonly probe: Probe;
  /** Read on the secondary only (active-region). */
  readonly parameters: ParameterReader;
  readonly metrics: MetricsSink;
  readonly log: CheckLogger;
  readonly clock: Clock;
}

export interface ProbeResult extends UrlCheck {
  readonly url: string;
}

export interface AppCheckResult {
  readonly local: ProbeResult;
  readonly peer: ProbeResult;
  /** Secondary only. */
  readonly primaryFenced?: boolean;
  readonly activeRegion?: string;
}

type Target = "local" | "peer";

const TARGET_METRICS: Record<Target, { healthy: MetricName; latency: MetricName }> = {
  local: { healthy: METRICS.appHealthy, latency: METRICS.appLatencyMs },
  peer: { healthy: METRICS.peerAppHealthy, latency: METRICS.peerAppLatencyMs },
};

async function probeTarget(deps: AppCheckDeps, target: Target, url: string): Promise<ProbeResult> {
  const line = { message: "application check", fields: { target, url } };
  return { url, ...await checkUrl(deps, url, line, deps.clock) };
}

/** One application check. Throws only for bad configuration (ParameterError) or a bug. */
export async function checkApplication(deps: AppCheckDeps): Promise<AppCheckResult> {
  const { metrics } = deps;
  try {
    const [local, peer] = await Promise.all([
      probeTarget(deps, "local", deps.localHealthUrl),
      probeTarget(deps, "peer", deps.peerHealthUrl),
    ]);
    for (const [target, result] of [["local", local], ["peer", peer]] as const) {
      metrics.add(TARGET_METRICS[target].healthy, "Count", result.healthy ? 1 : 0);
      if (result.latencyMs !== undefined) {
        metrics.add(TARGET_METRICS[target].latency, "Milliseconds", result.latencyMs);
      }
    }
    if (deps.role !== "secondary") return { local, peer };
    const { activeRegion } = await deps.parameters.read(["activeRegion"]);
    const primaryFenced = activeRegion === deps.region;
    metrics.add(METRICS.primaryFenced, "Count", primaryFenced ? 1 : 0);
    deps.log.info("primary fence", { activeRegion, primaryFenced });
    return { local, peer, primaryFenced, activeRegion };
  } finally {
    metrics.flush();
  }
}

/** The real clients, from the function's environment. */
export function wireApplicationCheck(env: AppCheckerEnvironment): AppCheckDeps {
  return {
    region: env.region,
    role: env.role,
    timeoutMs: env.checkTimeoutMs,
    localHealthUrl: env.localHealthUrl,
    peerHealthUrl: env.peerHealthUrl,
    appHostname: env.appHostname,
    probe: tlsProbe(),
    parameters: ssmParameterReader({ prefix: env.parameterPrefix, timeoutMs: env.checkTimeoutMs }),
    metrics: emfMetricsSink({ namespace: env.metricNamespace, region: env.region, role: env.role }),
    log: powertoolsLogger({ check: CHECK_NAME, region: env.region, role: env.role }),
    clock: systemClock,
  };
}

export const handler: (event: unknown) => Promise<AppCheckResult> = scheduledHandler(
  {
    check: CHECK_NAME,
    readEnvironment: readAppCheckerEnvironment,
    wire: wireApplicationCheck,
    run: checkApplication,
  },
  process.env,
);
