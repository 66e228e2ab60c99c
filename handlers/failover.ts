// Failover orchestrator, in the standby region. Started by EventBridge when the quorum alarm (the primary down
// as seen from the witness region AND from the standby region) enters ALARM, or directly with
// { "drill": true } (dry run) or { "manual": true, "reason": "..." }.
// A state machine over observed state: it reads the global cluster first and continues whatever an earlier
// attempt started; only when nothing has started does it re-probe the primary. Then the failover steps
// (handlers/lib/failover_steps.ts) under a DynamoDB lock, the timeline to SNS, the measured phases as metrics.

import process from "node:process";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { type PublishCommandInput, SNS } from "@aws-sdk/client-sns";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { METRICS, parameterName } from "./lib/contract.ts";
import type { RdsApi } from "./lib/aurora_global.ts";
import type { AutoScalingApi, SsmApi } from "./lib/aws_ports.ts";
import { type FailoverContext, failoverStarted, failoverSteps } from "./lib/failover_steps.ts";
import { type FailoverConfig, loadFailoverConfig } from "./lib/failover_config.ts";
import { type FailoverRequest, parseAlarmTimestamp, parseFailoverEvent } from "./lib/failover_event.ts";
import { type AlarmsApi, type DecisionEvidence, readDecisionEvidence } from "./lib/decision_evidence.ts";
import {
  type FailoverPhases,
  type FailoverReport,
  type FailoverTrigger,
  formatNotification,
} from "./lib/failover_report.ts";
import { probeHealth, type ProbeResult } from "./lib/failover_probe.ts";
import type { Probe } from "./lib/https_probe.ts";
import { DynamoDbLockStore } from "./lib/failover_lock.ts";
import {
  DEFAULT_RETRY,
  errorMessage,
  errorName,
  type RetryPolicy,
  type RunReport,
  runSteps,
  standaloneIo,
  StepFailedError,
  type StepLog,
  type StepRecord,
  withRetry,
} from "./lib/steps.ts";

export { loadFailoverConfig } from "./lib/failover_config.ts";
export { parseFailoverEvent } from "./lib/failover_event.ts";
export { formatNotification } from "./lib/failover_report.ts";
export type { FailoverConfig } from "./lib/failover_config.ts";
export type { FailoverOutcome, FailoverReport } from "./lib/failover_report.ts";

export interface SnsApi {
  publish(input: PublishCommandInput): Promise<unknown>;
}

export type MetricUnitName = "Count" | "Seconds";

/** Publishes one metric with the contract's Region/Role dimensions (plus Step when given). */
export interface MetricSink {
  emit(name: string, unit: MetricUnitName, value: number, step?: string): void;
}

/** The parts of the Lambda context used. */
export interface LambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export interface FailoverDeps {
  readonly config: FailoverConfig;
  /** RDS in the standby region. */
  readonly rds: RdsApi;
  /** RDS in the primary region: one short read decides between a switchover and a failover. */
  readonly primaryRds?: Pick<RdsApi, "describeDBClusters">;
  readonly autoScaling: AutoScalingApi;
  readonly ssm: SsmApi;
  /** Parameter Store of the primary region (written where reachable). */
  readonly primarySsm?: SsmApi;
  readonly sns: SnsApi;
  /** CloudWatch of the standby region: the decision alarms' evidence. */
  readonly alarms?: AlarmsApi;
  /** Idempotency persistence (DynamoDbLockStore in production). */
  readonly lockStore: BasePersistenceLayer;
  readonly metrics: MetricSink;
  readonly log: StepLog;
  readonly fetch?: typeof fetch;
  /** TLS probe for an https primary URL (tests trust their own CA). */
  readonly tlsProbe?: Probe;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
}

/** Left of the Lambda timeout after the waits, to record metrics and notify before being killed. */
const LAMBDA_SAFETY_MARGIN_MS = 30_000;
/** How long a finished invocation's report answers repeats of the same event (async retries: up to 6 h). */
const LOCK_RECORD_SECONDS = 6 * 60 * 60;
const PROBE_STEP = "verify-primary-down";

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (fromMs: number | undefined, toMs: number | undefined) =>
  fromMs === undefined || toMs === undefined ? undefined : Math.max(0, Math.round((toMs - fromMs) / 1000));

function probeRecord(
  probe: ProbeResult | undefined,
  config: FailoverConfig,
  started: number,
  now: number,
): StepRecord {
  const base = {
    step: PROBE_STEP,
    notes: [],
    startedAt: iso(started),
    durationMs: now - started,
    retries: 0,
  };
  if (!probe) {
    return {
      ...base,
      action: "re-probe the primary only when nothing has started",
      status: "already-done",
      detail: "a promotion is already under way or done (observed state): no re-probe",
      calls: 0,
    };
  }
  return {
    ...base,
    action: `fresh probe of ${config.peerHealthUrl} (timeout ${config.checkTimeoutMs} ms)`,
    status: "done",
    detail: probe.healthy ? `primary answered healthy: ${probe.detail}` : `primary down: ${probe.detail}`,
    calls: 1,
  };
}

function triggerOf(request: FailoverRequest): FailoverTrigger {
  return request.kind === "manual"
    ? { kind: "manual", reason: request.reason, force: request.force }
    : request;
}

/** When the decision was taken: the quorum alarm's state change, or the invocation for a manual request. */
function decidedAt(request: FailoverRequest, startedAt: number): number {
  return request.kind === "alarm" ? parseAlarmTimestamp(request.stateChangedAt) : startedAt;
}

/** The first failed probe: the alarms' evaluated datapoints, else the event's, else the decision. */
function detectedAt(request: FailoverRequest, evidence: DecisionEvidence, decided: number): number {
  if (evidence.detectedAt !== undefined) return Math.min(evidence.detectedAt, decided);
  if (request.kind === "alarm" && request.failingSince) return parseAlarmTimestamp(request.failingSince);
  return decided;
}

export function createFailoverHandler(deps: FailoverDeps) {
  const { config, log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const retry = deps.retry ?? DEFAULT_RETRY;
  const runOptions = (dryRun: boolean) => ({ dryRun, retry, sleep, now, random, log });
  const io = standaloneIo(runOptions(false));

  const stepsContext = (deadlineAt: number, evidence: DecisionEvidence): FailoverContext => ({
    targets: {
      globalClusterId: config.globalClusterId,
      primaryClusterArn: config.primaryClusterArn,
      primaryClusterId: config.primaryClusterId,
      secondaryClusterArn: config.secondaryClusterArn,
      primaryRegion: config.primaryRegion,
      secondaryRegion: config.region,
      secondaryAsgName: config.secondaryAsgName,
      failoverCapacity: config.failoverCapacity,
      activeRegionParameter: parameterName(config.parameterPrefix, "activeRegion"),
      promotionDeadlineAt: deadlineAt,
      capacityDeadlineAt: deadlineAt,
      pollIntervalMs: config.pollIntervalSeconds * 1000,
    },
    rds: deps.rds,
    ...(deps.primaryRds ? { primaryRds: deps.primaryRds } : {}),
    autoScaling: deps.autoScaling,
    ssm: deps.ssm,
    ...(deps.primarySsm ? { primarySsm: deps.primarySsm } : {}),
    fence: { emit: (value) => metrics.emit(METRICS.primaryFenced, "Count", value) },
    ...(evidence.replicationStalled !== undefined ? { replicationStalled: evidence.replicationStalled } : {}),
    marks: {},
  });

  const evidenceNow = (): Promise<DecisionEvidence> =>
    deps.alarms
      ? readDecisionEvidence(deps.alarms, io, config.decisionAlarmNames)
      : Promise.resolve({ lines: [] });

  const probePrimary = async (): Promise<ProbeResult> => {
    const probe = await probeHealth(config.peerHealthUrl, {
      timeoutMs: config.checkTimeoutMs,
      ...(config.appHostname ? { hostname: config.appHostname } : {}),
      ...(deps.tlsProbe ? { tlsProbe: deps.tlsProbe } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      now,
    });
    log.info("primary probe", {
      check: PROBE_STEP,
      url: probe.url,
      outcome: probe.healthy ? "healthy" : "down",
      durationMs: probe.latencyMs,
      errorClass: probe.errorClass,
      detail: probe.detail,
    });
    return probe;
  };

  const notify = async (report: FailoverReport): Promise<void> => {
    const { subject, message } = formatNotification(report);
    await withRetry(
      () => deps.sns.publish({ TopicArn: config.topicArn, Subject: subject, Message: message }),
      { policy: retry, sleep, random },
    );
    log.info("notification published", { outcome: report.outcome, subject });
  };

  const drill = async (startedAt: number): Promise<FailoverReport> => {
    const evidence = await evidenceNow();
    const ctx = stepsContext(now() + config.rtoTargetSeconds * 1000, evidence);
    const started = await failoverStarted(ctx, io);
    const probeStarted = now();
    const probe = started ? undefined : await probePrimary();
    const record = probeRecord(probe, config, probeStarted, now());
    let run: RunReport;
    try {
      run = await runSteps(failoverSteps(), ctx, runOptions(true));
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      run = error.report;
    }
    const report: FailoverReport = {
      outcome: "drill",
      trigger: { kind: "drill" },
      region: config.region,
      startedAt: iso(startedAt),
      finishedAt: iso(now()),
      autoFailover: config.autoFailover,
      evidence: evidence.lines,
      ...(probe ? { probe } : {}),
      steps: [record, ...run.steps],
      wouldAbort: probe?.healthy === true || !run.ok,
      ok: run.ok,
      ...(run.failedStep ? { failedStep: run.failedStep } : {}),
      dataLossPossible: false,
    };
    log.info("drill report (nothing was changed)", { report });
    return report;
  };

  interface LockedInput {
    readonly lockKey: string;
    readonly request: FailoverRequest;
    readonly startedAt: number;
  }

  const act = async ({ lockKey, request, startedAt }: LockedInput, context: LambdaContext) => {
    metrics.emit(METRICS.failoverInvoked, "Count", 1);
    const base = {
      trigger: triggerOf(request),
      region: config.region,
      lockKey,
      startedAt: iso(startedAt),
      autoFailover: config.autoFailover,
      dataLossPossible: false,
    };
    if (request.kind === "alarm" && !config.autoFailover) {
      const report: FailoverReport = {
        ...base,
        outcome: "notified-automation-disabled",
        finishedAt: iso(now()),
        steps: [],
        ok: true,
      };
      await notify(report);
      return report;
    }

    const evidence = await evidenceNow();
    const deadlineAt = now() + context.getRemainingTimeInMillis() - LAMBDA_SAFETY_MARGIN_MS;
    const ctx = stepsContext(deadlineAt, evidence);
    // Observed state first: a retry of a started failover continues it, whatever the primary answers now.
    const started = await failoverStarted(ctx, io);
    const probeStarted = now();
    const probe = started ? undefined : await probePrimary();
    const record = probeRecord(probe, config, probeStarted, now());
    const withEvidence = { ...base, evidence: evidence.lines, ...(probe ? { probe } : {}) };
    if (probe?.healthy && !(request.kind === "manual" && request.force)) {
      const report: FailoverReport = {
        ...withEvidence,
        outcome: "aborted-primary-healthy",
        finishedAt: iso(now()),
        steps: [record],
        ok: true,
      };
      log.warn("primary answered healthy: false alarm, nothing changed", { outcome: report.outcome });
      await notify(report);
      return report;
    }

    const finish = (run: RunReport, failure?: StepFailedError): FailoverReport => {
      const changed = run.steps.some((s) => s.status === "done" && s.step !== "primary-fenced");
      const decided = decidedAt(request, startedAt);
      const detected = detectedAt(request, evidence, decided);
      const { writableAt, mode } = ctx.marks;
      // Capacity that was already in service when the step looked counts from that look.
      const capacityStep = run.steps.find((s) => s.step === "full-capacity" && s.status === "already-done");
      const fullCapacityAt = ctx.marks.fullCapacityAt ??
        (capacityStep ? Date.parse(capacityStep.startedAt) : undefined);
      const phases: FailoverPhases = {
        ...(request.kind === "alarm" ? { decisionSeconds: seconds(detected, decided) } : {}),
        ...(writableAt !== undefined ? { writableSeconds: seconds(decided, writableAt) } : {}),
        ...(fullCapacityAt !== undefined
          ? { fullCapacitySeconds: seconds(writableAt ?? decided, fullCapacityAt) }
          : {}),
      };
      return {
        ...withEvidence,
        outcome: changed ? "failed-over" : "already-failed-over",
        finishedAt: iso(now()),
        steps: [record, ...run.steps],
        ok: !failure,
        ...(failure ? { failedStep: failure.step } : {}),
        ...(writableAt !== undefined ? { recoverySeconds: seconds(detected, writableAt) } : {}),
        phases,
        ...(mode ? { promotion: mode.kind } : {}),
        dataLossPossible: mode?.kind === "failover",
        primaryClusterId: config.primaryClusterId,
      };
    };

    let report: FailoverReport;
    let failure: StepFailedError | undefined;
    try {
      report = finish(await runSteps(failoverSteps(), ctx, runOptions(false)));
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      failure = error;
      report = finish(error.report, error);
    }
    publishMeasurements(metrics, report);
    if (failure) {
      log.error("failover failed; a retry continues from the observed state", {
        outcome: "failed",
        failedStep: failure.step,
        errorClass: errorName(failure.cause),
        error: errorMessage(failure.cause),
        report,
      });
      await notify(report).catch((notifyError) =>
        log.error("could not publish the failure notification", {
          errorClass: errorName(notifyError),
          error: errorMessage(notifyError),
        })
      );
      throw failure;
    }
    log.info("failover finished", {
      outcome: report.outcome,
      recoverySeconds: report.recoverySeconds,
      report,
    });
    await notify(report);
    return report;
  };

  const locked = makeIdempotent(act, {
    persistenceStore: deps.lockStore,
    keyPrefix: "failover",
    config: new IdempotencyConfig({
      eventKeyJmesPath: "lockKey",
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: LOCK_RECORD_SECONDS,
      responseHook: (response) =>
        typeof response === "object" && response !== null ? { ...response, replayed: true } : response,
    }),
  });

  return async function handle(event: unknown, context: LambdaContext): Promise<FailoverReport> {
    const startedAt = now();
    let request: FailoverRequest;
    try {
      request = parseFailoverEvent(event);
    } catch (error) {
      log.error("rejected event", { errorClass: errorName(error), error: errorMessage(error) });
      throw error;
    }
    log.info("failover orchestrator invoked", { trigger: request.kind, autoFailover: config.autoFailover });
    if (request.kind === "drill") return await drill(startedAt);

    const lockKey = request.kind === "alarm"
      ? `alarm:${request.alarmName}@${request.stateChangedAt}`
      : `manual:${request.requestId ?? context.awsRequestId}`;
    try {
      return await locked({ lockKey, request, startedAt }, context) as FailoverReport;
    } catch (error) {
      if (errorName(error) !== "IdempotencyAlreadyInProgressError") throw error;
      log.warn("another invocation holds the failover lock: backing off", {
        lockKey,
        outcome: "in-progress-elsewhere",
      });
      return {
        outcome: "in-progress-elsewhere",
        trigger: triggerOf(request),
        region: config.region,
        lockKey,
        startedAt: iso(startedAt),
        finishedAt: iso(now()),
        autoFailover: config.autoFailover,
        steps: [],
        ok: true,
        dataLossPossible: false,
      };
    }
  };
}

/** Step durations, the measured phases and the recovery time, as metrics the dashboards draw. */
function publishMeasurements(metrics: MetricSink, report: FailoverReport): void {
  for (const s of report.steps) {
    if (s.status === "done" || s.status === "already-done" || s.status === "failed") {
      metrics.emit(METRICS.failoverStepSeconds, "Seconds", s.durationMs / 1000, s.step);
    }
  }
  const phases: Array<[string, number | undefined]> = [
    [METRICS.failoverDecisionSeconds, report.phases?.decisionSeconds],
    [METRICS.failoverWritableSeconds, report.phases?.writableSeconds],
    [METRICS.failoverFullCapacitySeconds, report.phases?.fullCapacitySeconds],
    [METRICS.recoverySeconds, report.recoverySeconds],
  ];
  for (const [name, value] of phases) if (value !== undefined) metrics.emit(name, "Seconds", value);
}

// ---------------------------------------------------------------------------------------------------------
// production wiring (the Lambda entry point)

/** EMF through Powertools: exactly the contract's Region/Role dimensions (no `service`), Step when given. */
export function emfMetricSink(metrics: Metrics, region: string, role: string): MetricSink {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Region: region, Role: role });
  return {
    emit(name, unit, value, step) {
      if (step !== undefined) metrics.addDimension("Step", step);
      metrics.addMetric(name, unit === "Seconds" ? MetricUnit.Seconds : MetricUnit.Count, value);
      // One EMF document per metric: each carries its own dimension set and is out before any failure.
      metrics.publishStoredMetrics();
    },
  };
}

export function powertoolsLog(logger: Logger): StepLog {
  return {
    info: (message, attributes) => attributes ? logger.info(message, attributes) : logger.info(message),
    warn: (message, attributes) => attributes ? logger.warn(message, attributes) : logger.warn(message),
    error: (message, attributes) => attributes ? logger.error(message, attributes) : logger.error(message),
  };
}

/** Every AWS call is bounded; retries are ours (visible in the timeline), not the SDK's. */
export const AWS_CLIENT_OPTIONS = {
  maxAttempts: 1,
  // Recent SDKs only warn on requestTimeout unless throwOnRequestTimeout is set.
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

/** The primary region may be gone: one short attempt, then the orchestrator decides without it. */
const PRIMARY_REGION_CLIENT_OPTIONS = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000, throwOnRequestTimeout: true },
} as const;

/** The handler's AWS clients: the standby region's, plus short-lived ones for the primary region. */
export function awsClients(config: FailoverConfig) {
  const local = { region: config.region, ...AWS_CLIENT_OPTIONS };
  const primary = { region: config.primaryRegion, ...PRIMARY_REGION_CLIENT_OPTIONS };
  return {
    rds: new RDS(local),
    primaryRds: new RDS(primary),
    autoScaling: new AutoScaling(local),
    ssm: new SSM(local),
    primarySsm: new SSM(primary),
    sns: new SNS(local),
    alarms: new CloudWatch(local),
    lockStore: new DynamoDbLockStore(
      new DynamoDBClient({ region: config.region, requestHandler: AWS_CLIENT_OPTIONS.requestHandler }),
      config.idempotencyTable,
    ),
  };
}

function productionHandler() {
  const config = loadFailoverConfig(process.env);
  const logger = new Logger({
    serviceName: "failover-orchestrator",
    persistentKeys: { check: "failover", region: config.region, role: "secondary" },
  });
  return createFailoverHandler({
    config,
    ...awsClients(config),
    metrics: emfMetricSink(
      new Metrics({ namespace: config.metricNamespace, serviceName: "failover-orchestrator" }),
      config.region,
      "secondary",
    ),
    log: powertoolsLog(logger),
  });
}

// In Lambda the environment is validated at cold start (an init error names every bad variable); tests
// import this module without a Lambda environment and build handlers with createFailoverHandler.
let handleEvent: ReturnType<typeof createFailoverHandler> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? productionHandler()
  : undefined;

/** Lambda entry point. */
export async function handler(event: unknown, context: LambdaContext): Promise<FailoverReport> {
  handleEvent ??= productionHandler();
  return await handleEvent(event, context);
}
