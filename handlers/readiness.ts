// Failover readiness, evaluated in the standby region every READINESS_SCHEDULE_MINUTES: would a failover
// started now succeed within the budget? The failover orchestrator's own dry run ({ "drill": true }, run in
// process with its real code and configuration) plus the checks of lib/readiness_checks.ts and
// lib/readiness_signals.ts. Publishes FailoverReady (1/0) overall and per check (Check dimension) as EMF and
// changes nothing: every port it hands the dry run refuses to mutate, and its role may only describe/read.

import process from "node:process";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { EC2 } from "@aws-sdk/client-ec2";
import { SSM } from "@aws-sdk/client-ssm";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import { DynamoDB } from "@aws-sdk/client-dynamodb";
import { Lambda } from "@aws-sdk/client-lambda";
import { EventBridge } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { AWS_CLIENT_OPTIONS, createFailoverHandler, powertoolsLog } from "./failover.ts";
import {
  METRICS,
  READINESS_CHECK_DIMENSION,
  READINESS_CHECK_NAMES,
  type ReadinessCheckName,
} from "./lib/contract.ts";
import { loadReadinessConfig, type ReadinessConfig } from "./lib/readiness_config.ts";
import { type ReadinessPorts, readOnlyPorts, ReadOnlyViolation, refuse } from "./lib/readiness_ports.ts";
import {
  type CheckOutcome,
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
} from "./lib/readiness_checks.ts";
import {
  decisionAlarmsCheck,
  fenceCheck,
  proberSamples,
  replicationLagCheck,
  standbyProberCheck,
  witnessProberCheck,
} from "./lib/readiness_signals.ts";
import type { FailoverReport } from "./lib/failover_report.ts";
import type { Probe } from "./lib/https_probe.ts";
import { assertScheduledEvent } from "./lib/input.ts";
import { errorMessage, errorName } from "./lib/errors.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./lib/retry.ts";
import { standaloneIo, type StepLog } from "./lib/steps.ts";

export { loadReadinessConfig } from "./lib/readiness_config.ts";
export type { ReadinessConfig } from "./lib/readiness_config.ts";

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

/** The idempotency lock of the orchestrator: a dry run never takes it, so every use is refused. */
class RefusingLockStore extends BasePersistenceLayer {
  protected override _putRecord = refuse("dynamodb:PutItem (the failover lock)");
  protected override _getRecord = refuse("dynamodb:GetItem (the failover lock)");
  protected override _updateRecord = refuse("dynamodb:UpdateItem (the failover lock)");
  protected override _deleteRecord = refuse("dynamodb:DeleteItem (the failover lock)");
}

/** The orchestrator's dry run, in process: its own steps' state checks, with ports that refuse any change. */
function dryRunCheck(deps: ReadinessDeps): ReadinessCheck {
  return async () => {
    const orchestrator = createFailoverHandler({
      config: deps.config.failover,
      rds: deps.ports.rds,
      autoScaling: deps.ports.autoScaling,
      ssm: deps.ports.ssm,
      alarms: deps.ports.cloudWatch,
      sns: { publish: refuse("sns:Publish") },
      lockStore: new RefusingLockStore(),
      metrics: {
        emit(name) {
          throw new ReadOnlyViolation(`the readiness evaluation never publishes the orchestrator's ${name}`);
        },
      },
      log: deps.log,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.tlsProbe ? { tlsProbe: deps.tlsProbe } : {}),
    });
    const context = { awsRequestId: "readiness-dry-run", getRemainingTimeInMillis: () => 0 };
    return drillOutcome(await orchestrator({ drill: true }, context));
  };
}

/** A dry run is ok when every step's state check read without an error (a healthy primary is normal). */
export function drillOutcome(report: FailoverReport): CheckOutcome {
  const failed = report.steps.find((step) => step.status === "failed");
  if (!report.ok || failed) {
    return {
      ok: false,
      evidence: `step ${failed?.step ?? report.failedStep} failed: ${
        failed?.error ? `${failed.error.name}: ${failed.error.message}` : failed?.detail
      }`,
    };
  }
  // Which promotion a real run chooses depends on the primary region's answer at that moment (readiness reads
  // the standby region only), so the evidence is the steps' states, not the dry run's promotion guess.
  const probe = report.probe
    ? `primary probe ${report.probe.healthy ? "healthy" : "down"}`
    : "no probe (a promotion is under way or done)";
  const statuses = report.steps.map((step) => `${step.step} ${step.status}`).join(", ");
  return { ok: true, evidence: `${statuses}; ${probe}` };
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

// ---------------------------------------------------------------------------------------------------------
// production wiring (the Lambda entry point)

/** EMF through Powertools: Region/Role of the standby (no `service`), plus Check for a per-check datapoint. */
export function emfReadinessSink(metrics: Metrics, region: string): ReadinessMetricSink {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Region: region, Role: "secondary" });
  return {
    emit(value, check) {
      if (check !== undefined) metrics.addDimension(READINESS_CHECK_DIMENSION, check);
      metrics.addMetric(METRICS.failoverReady, MetricUnit.Count, value);
      // One EMF document per datapoint: each carries its own dimension set.
      metrics.publishStoredMetrics();
    },
  };
}

/** The standby region's clients, bounded like the orchestrator's, behind read-only ports. */
export function standbyPorts(region: string): ReadinessPorts {
  const options = { region, ...AWS_CLIENT_OPTIONS };
  return readOnlyPorts({
    rds: new RDS(options),
    autoScaling: new AutoScaling(options),
    ec2: new EC2(options),
    ssm: new SSM(options),
    cloudWatch: new CloudWatch(options),
    dynamodb: new DynamoDB(options),
    lambda: new Lambda(options),
    events: new EventBridge(options),
  });
}

function productionHandler() {
  const config = loadReadinessConfig(process.env);
  const region = config.failover.region;
  const logger = new Logger({
    serviceName: "failover-readiness",
    persistentKeys: { check: "readiness", region, role: "secondary" },
  });
  return createReadinessHandler({
    config,
    ports: standbyPorts(region),
    metrics: emfReadinessSink(
      new Metrics({ namespace: config.failover.metricNamespace, serviceName: "failover-readiness" }),
      region,
    ),
    log: powertoolsLog(logger),
  });
}

// Validated at cold start (an init error names every bad variable). Importing failover.ts also builds the
// orchestrator's own, unused, handler from the same environment: it fails exactly when this one would.
let handleEvent: ReturnType<typeof createReadinessHandler> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? productionHandler()
  : undefined;

/** Lambda entry point. */
export async function handler(event: unknown): Promise<ReadinessReport> {
  handleEvent ??= productionHandler();
  return await handleEvent(event);
}
