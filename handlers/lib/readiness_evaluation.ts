// The readiness evaluation: every check of readiness_checks.ts and readiness_signals.ts plus the orchestrator's
// dry run (readiness_dry_run.ts), concurrently, into one report; its FailoverReady datapoints and its text form.

import { READINESS_CHECK_NAMES, type ReadinessCheckName } from "./contract.ts";
import type { ReadinessConfig } from "./readiness_config.ts";
import type { ReadinessPorts } from "./readiness_ports.ts";
import {
  globalClusterCheck,
  launchTemplateCheck,
  lockTableCheck,
  orchestratorCheck,
  parametersCheck,
  type ReadinessCheck,
  type ReadinessContext,
  resourceReads,
  standbyCapacityCheck,
  standbyClusterCheck,
  standbyInSyncCheck,
} from "./readiness_checks.ts";
import {
  decisionAlarmsCheck,
  fenceCheck,
  proberSamples,
  replicationLagCheck,
  standbyProberCheck,
  witnessProberCheck,
} from "./readiness_signals.ts";
import { dryRunCheck } from "./readiness_dry_run.ts";
import type { Probe } from "./https_probe.ts";
import { assertScheduledEvent } from "./input.ts";
import { errorMessage, errorName } from "./errors.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.ts";
import { standaloneIo, type StepLog } from "./steps.ts";

export interface ReadinessDeps {
  readonly config: ReadinessConfig;
  /** The standby region's reads (lib/readiness_ports.ts). */
  readonly ports: ReadinessPorts;
  readonly log: StepLog;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  /** For the dry run's probe of the primary (tests use their own servers). */
  readonly fetch?: typeof fetch;
  readonly tlsProbe?: Probe;
}

export interface CheckResult {
  readonly check: ReadinessCheckName;
  readonly ok: boolean;
  /** What was observed, one line. */
  readonly evidence: string;
  /** The error that kept the check from reading (access denied, throttled after retries, ...). */
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly region: string;
  readonly evaluatedAt: string;
  readonly durationMs: number;
  readonly checks: readonly CheckResult[];
  /** The names of the checks that failed, in report order. */
  readonly failing: readonly ReadinessCheckName[];
}

function checks(deps: ReadinessDeps): Record<ReadinessCheckName, ReadinessCheck> {
  return {
    "failover-dry-run": dryRunCheck(deps),
    "orchestrator": orchestratorCheck,
    "global-cluster": globalClusterCheck,
    "standby-in-sync": standbyInSyncCheck,
    "replication-lag": replicationLagCheck,
    "standby-cluster": standbyClusterCheck,
    "standby-capacity": standbyCapacityCheck,
    "launch-template": launchTemplateCheck,
    "parameters": parametersCheck,
    "witness-prober": witnessProberCheck,
    "standby-prober": standbyProberCheck,
    "decision-alarms": decisionAlarmsCheck,
    "fence": fenceCheck,
    "lock-table": lockTableCheck,
  };
}

async function runCheck(name: ReadinessCheckName, check: ReadinessCheck, ctx: ReadinessContext) {
  try {
    return { check: name, ...(await check(ctx)) };
  } catch (error) {
    const cause = errorName(error);
    return {
      check: name,
      ok: false,
      evidence: `could not read: ${cause}: ${errorMessage(error)}`,
      error: cause,
    };
  }
}

/** Every check, concurrently; a check that cannot read fails (no evidence of readiness is not readiness). */
export async function evaluateReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const io = standaloneIo({
    dryRun: true,
    retry: deps.retry ?? DEFAULT_RETRY,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now,
    random: deps.random ?? Math.random,
    log: deps.log,
  });
  const base = { config: deps.config, ports: deps.ports, io, now };
  const ctx: ReadinessContext = {
    ...base,
    shared: { ...resourceReads(base), proberSamples: proberSamples(base) },
  };
  const table = checks(deps);
  const results: CheckResult[] = await Promise.all(
    READINESS_CHECK_NAMES.map((name) => runCheck(name, table[name], ctx)),
  );
  for (const result of results) {
    deps.log[result.ok ? "info" : "warn"]("readiness check", {
      ...result,
      outcome: result.ok ? "ok" : "not-ready",
    });
  }
  const failing = results.filter((result) => !result.ok).map((result) => result.check);
  const report: ReadinessReport = {
    ready: failing.length === 0,
    region: deps.config.failover.region,
    evaluatedAt: new Date(startedAt).toISOString(),
    durationMs: now() - startedAt,
    checks: results,
    failing,
  };
  deps.log.info("failover readiness", { outcome: report.ready ? "ready" : "not-ready", failing });
  return report;
}

/** One FailoverReady datapoint: overall without `check`, that check's verdict with it. */
export interface ReadinessMetricSink {
  emit(value: 0 | 1, check?: ReadinessCheckName): void;
}

export function publishReadiness(sink: ReadinessMetricSink, report: ReadinessReport): void {
  for (const result of report.checks) sink.emit(result.ok ? 1 : 0, result.check);
  sink.emit(report.ready ? 1 : 0);
}

/** The report as an operator reads it: one line per check, then the verdict. */
export function formatReadiness(report: ReadinessReport): string {
  const width = Math.max(...report.checks.map((result) => result.check.length));
  const lines = report.checks.map((result) =>
    `${result.ok ? "ok       " : "NOT READY"}  ${result.check.padEnd(width)}  ${result.evidence}`
  );
  const verdict = report.ready
    ? `READY to fail over to ${report.region} (${report.evaluatedAt})`
    : `NOT READY to fail over to ${report.region} (${report.evaluatedAt}): ${report.failing.join(", ")}`;
  return [...lines, verdict].join("\n");
}

export function createReadinessHandler(deps: ReadinessDeps & { readonly metrics: ReadinessMetricSink }) {
  return async function handle(event: unknown): Promise<ReadinessReport> {
    assertScheduledEvent(event);
    const report = await evaluateReadiness(deps);
    publishReadiness(deps.metrics, report);
    return report;
  };
}
