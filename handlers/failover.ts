// Failover orchestrator, in the secondary region. Invoked by EventBridge when the "primary unreachable"
// alarm enters ALARM, or directly with { "drill": true } (dry run) or { "manual": true, "reason": "..." }.
// Re-verifies the primary is down, then runs the failover steps (handlers/lib/failover_steps.ts) under a
// DynamoDB lock, publishes the timeline to SNS and the recovery time as metrics.

import process from "node:process";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { type PublishCommandInput, SNS } from "@aws-sdk/client-sns";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import {
  HANDLER_ENV,
  type LimitName,
  limitRule,
  METRICS,
  parameterName,
  withinLimit,
} from "./lib/contract.ts";
import {
  type AutoScalingApi,
  type FailoverContext,
  failoverSteps,
  type RdsApi,
  type SsmApi,
} from "./lib/failover_steps.ts";
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
  StepFailedError,
  type StepLog,
  type StepRecord,
  withRetry,
} from "./lib/steps.ts";

// ---------------------------------------------------------------------------------------------------------
// configuration (environment, validated once per container)

export interface FailoverConfig {
  /** The region the function runs in (AWS_REGION): the secondary, the one failed over to. */
  readonly region: string;
  readonly parameterPrefix: string;
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  readonly peerHealthUrl: string;
  readonly globalClusterId: string;
  readonly secondaryClusterArn: string;
  readonly secondaryClusterId: string;
  readonly secondaryAsgName: string;
  readonly failoverCapacity: number;
  readonly topicArn: string;
  readonly idempotencyTable: string;
  readonly autoFailover: boolean;
  readonly rtoTargetSeconds: number;
  /** Application host name: TLS SNI and Host of the primary probe (its ALB's certificate is for this name). */
  readonly appHostname?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid failover orchestrator environment:\n  ${problems.join("\n  ")}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const INTEGER = /^[0-9]+$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):[0-9]{12}:cluster:([a-zA-Z][a-zA-Z0-9-]{0,62})$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/;

interface EnvRule {
  readonly variable: string;
  readonly rule: string;
  readonly ok: (value: string, env: Env) => boolean;
}

/** A limit shared with synth (contract.ts LIMITS): the same rule on both sides. */
const satisfiesLimit = (name: LimitName) => (v: string) => INTEGER.test(v) && withinLimit(name, Number(v));

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

// One row per variable; every problem is reported at once.
const ENV_RULES: readonly EnvRule[] = [
  {
    variable: "AWS_REGION",
    rule: "must be set (the Lambda runtime sets it)",
    ok: (v) => /^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(v),
  },
  {
    variable: HANDLER_ENV.regionRole,
    rule: 'must be "secondary": the orchestrator runs in the standby region',
    ok: (v) => v === "secondary",
  },
  {
    variable: HANDLER_ENV.parameterPrefix,
    rule: 'must start with "/" and not end with "/"',
    ok: (v) => /^\/.*[^/]$/.test(v),
  },
  {
    variable: HANDLER_ENV.metricNamespace,
    rule: "must be a non-empty CloudWatch namespace",
    ok: (v) => /^[A-Za-z0-9._/#:-]{1,255}$/.test(v),
  },
  {
    variable: HANDLER_ENV.checkTimeoutMs,
    rule: limitRule("checkTimeoutMs"),
    ok: satisfiesLimit("checkTimeoutMs"),
  },
  {
    variable: HANDLER_ENV.peerHealthUrl,
    rule: "must be an http(s) URL of the primary's deep-health path",
    ok: isHttpUrl,
  },
  {
    variable: HANDLER_ENV.globalClusterId,
    rule: "must be an Aurora global cluster identifier",
    ok: (v) => /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(v),
  },
  {
    variable: HANDLER_ENV.secondaryClusterArn,
    rule: "must be an RDS cluster ARN in this function's region (AWS_REGION)",
    ok: (v, env) => CLUSTER_ARN.exec(v)?.[1] === env.AWS_REGION,
  },
  {
    variable: HANDLER_ENV.secondaryClusterId,
    rule: `must be the cluster identifier at the end of ${HANDLER_ENV.secondaryClusterArn}`,
    ok: (v, env) => CLUSTER_ARN.exec(env[HANDLER_ENV.secondaryClusterArn] ?? "")?.[2] === v,
  },
  {
    variable: HANDLER_ENV.secondaryAsgName,
    rule: "must be an Auto Scaling group name",
    ok: (v) => /^[^:]{1,255}$/.test(v),
  },
  {
    variable: HANDLER_ENV.failoverCapacity,
    rule: limitRule("failoverCapacity"),
    ok: satisfiesLimit("failoverCapacity"),
  },
  { variable: HANDLER_ENV.topicArn, rule: "must be an SNS topic ARN", ok: (v) => TOPIC_ARN.test(v) },
  {
    variable: HANDLER_ENV.idempotencyTable,
    rule: "must be a DynamoDB table name",
    ok: (v) => /^[a-zA-Z0-9_.-]{3,255}$/.test(v),
  },
  {
    variable: HANDLER_ENV.autoFailover,
    rule: 'must be "true" or "false"',
    ok: (v) => v === "true" || v === "false",
  },
  {
    variable: HANDLER_ENV.rtoTargetSeconds,
    rule: limitRule("rtoTargetSeconds"),
    ok: satisfiesLimit("rtoTargetSeconds"),
  },
];

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadFailoverConfig(env: Env): FailoverConfig {
  const problems = ENV_RULES.flatMap(({ variable, rule, ok }) => {
    const value = env[variable];
    if (value === undefined || value === "") return [`${variable} is not set: ${rule}`];
    return ok(value, env) ? [] : [`${variable}="${value}": ${rule}`];
  });
  const appHostname = env[HANDLER_ENV.appHostname];
  if (appHostname && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(appHostname)) {
    problems.push(`${HANDLER_ENV.appHostname}="${appHostname}": must be a lowercase DNS name (or unset)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const get = (variable: string) => env[variable] as string;
  return {
    region: get("AWS_REGION"),
    parameterPrefix: get(HANDLER_ENV.parameterPrefix),
    metricNamespace: get(HANDLER_ENV.metricNamespace),
    checkTimeoutMs: Number(get(HANDLER_ENV.checkTimeoutMs)),
    peerHealthUrl: get(HANDLER_ENV.peerHealthUrl),
    globalClusterId: get(HANDLER_ENV.globalClusterId),
    secondaryClusterArn: get(HANDLER_ENV.secondaryClusterArn),
    secondaryClusterId: get(HANDLER_ENV.secondaryClusterId),
    secondaryAsgName: get(HANDLER_ENV.secondaryAsgName),
    failoverCapacity: Number(get(HANDLER_ENV.failoverCapacity)),
    topicArn: get(HANDLER_ENV.topicArn),
    idempotencyTable: get(HANDLER_ENV.idempotencyTable),
    autoFailover: get(HANDLER_ENV.autoFailover) === "true",
    rtoTargetSeconds: Number(get(HANDLER_ENV.rtoTargetSeconds)),
    ...(appHostname ? { appHostname } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// events

export type FailoverRequest =
  | {
    readonly kind: "alarm";
    readonly alarmName: string;
    readonly stateChangedAt: string;
    /** Start of the earliest failed period the alarm evaluated (`reasonData`), when it says. */
    readonly failingSince?: string;
  }
  | { readonly kind: "manual"; readonly reason: string; readonly force: boolean; readonly requestId?: string }
  | { readonly kind: "drill" };

export class EventValidationError extends Error {
  override readonly name = "EventValidationError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid failover event: ${problems.join("; ")}`);
  }
}

const EXPECTED_SHAPES = 'a CloudWatch "Alarm State Change" event from EventBridge, { "drill": true } or ' +
  '{ "manual": true, "reason": "..." }';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** CloudWatch writes `2024-05-01T12:00:00.000+0000`; Date.parse wants the offset with a colon. */
export function parseAlarmTimestamp(value: string): number {
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  return /^\d{4}-\d{2}-\d{2}T/.test(normalized) ? Date.parse(normalized) : NaN;
}

/**
 * The earliest evaluated datapoint in an alarm's `reasonData` (a JSON string CloudWatch adds to the event):
 * the first failed minute, so the measured recovery includes detection. Optional: undefined when absent.
 */
export function earliestDatapoint(reasonData: unknown): string | undefined {
  if (typeof reasonData !== "string") return undefined;
  try {
    const datapoints = (JSON.parse(reasonData) as { evaluatedDatapoints?: Array<{ timestamp?: unknown }> })
      .evaluatedDatapoints ?? [];
    const times = datapoints.map((point) => point.timestamp)
      .filter((time): time is string => typeof time === "string" && !Number.isNaN(parseAlarmTimestamp(time)));
    return times.sort((a, b) => parseAlarmTimestamp(a) - parseAlarmTimestamp(b))[0];
  } catch {
    return undefined;
  }
}

/** Validates the event; throws EventValidationError naming each bad field and its rule. */
export function parseFailoverEvent(event: unknown): FailoverRequest {
  if (!isRecord(event)) throw new EventValidationError([`event must be ${EXPECTED_SHAPES}`]);
  const problems: string[] = [];
  const unknownKeys = (allowed: readonly string[]) => {
    for (const key of Object.keys(event)) {
      if (!allowed.includes(key)) problems.push(`${key}: not allowed here (allowed: ${allowed.join(", ")})`);
    }
  };

  if ("source" in event || "detail-type" in event || "detail" in event) {
    if (event.source !== "aws.cloudwatch") problems.push(`source must be "aws.cloudwatch"`);
    if (event["detail-type"] !== "CloudWatch Alarm State Change") {
      problems.push(`detail-type must be "CloudWatch Alarm State Change"`);
    }
    const detail = isRecord(event.detail) ? event.detail : undefined;
    if (!detail) problems.push("detail must be an object");
    const alarmName = detail?.alarmName;
    if (detail && (typeof alarmName !== "string" || alarmName === "")) {
      problems.push("detail.alarmName must be a non-empty string");
    }
    const state = isRecord(detail?.state) ? detail.state : undefined;
    if (detail && !state) problems.push("detail.state must be an object");
    if (state && state.value !== "ALARM") {
      problems.push(`detail.state.value must be "ALARM" (got ${JSON.stringify(state.value)})`);
    }
    const timestamp = state?.timestamp;
    if (state && (typeof timestamp !== "string" || Number.isNaN(parseAlarmTimestamp(timestamp)))) {
      problems.push("detail.state.timestamp must be an ISO-8601 time");
    }
    if (problems.length > 0) throw new EventValidationError(problems);
    const failingSince = earliestDatapoint(state?.reasonData);
    return {
      kind: "alarm",
      alarmName: alarmName as string,
      stateChangedAt: timestamp as string,
      ...(failingSince ? { failingSince } : {}),
    };
  }

  if ("drill" in event) {
    if (event.drill !== true) problems.push("drill must be true");
    unknownKeys(["drill"]);
    if (problems.length > 0) throw new EventValidationError(problems);
    return { kind: "drill" };
  }

  if ("manual" in event) {
    if (event.manual !== true) problems.push("manual must be true");
    const reason = event.reason;
    if (typeof reason !== "string" || reason.trim() === "" || reason.length > 1000) {
      problems.push("reason must be a non-empty string of at most 1000 characters (who asked and why)");
    }
    const requestId = event.requestId;
    if (
      requestId !== undefined &&
      (typeof requestId !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId))
    ) {
      problems.push("requestId must be 1-128 characters of [A-Za-z0-9._:-]");
    }
    if (event.force !== undefined && typeof event.force !== "boolean") {
      problems.push("force must be a boolean");
    }
    unknownKeys(["manual", "reason", "requestId", "force"]);
    if (problems.length > 0) throw new EventValidationError(problems);
    return {
      kind: "manual",
      reason: (reason as string).trim(),
      force: event.force === true,
      ...(requestId === undefined ? {} : { requestId: requestId as string }),
    };
  }

  throw new EventValidationError([`event must be ${EXPECTED_SHAPES}`]);
}

// ---------------------------------------------------------------------------------------------------------
// the handler

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
  readonly rds: RdsApi;
  readonly autoScaling: AutoScalingApi;
  readonly ssm: SsmApi;
  readonly sns: SnsApi;
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
  /** Between two reads of the global cluster while waiting for the promotion. */
  readonly pollIntervalMs?: number;
}

export type FailoverOutcome =
  | "failed-over"
  | "already-failed-over"
  | "aborted-primary-healthy"
  | "notified-automation-disabled"
  | "in-progress-elsewhere"
  | "drill";

export type FailoverTrigger =
  | {
    readonly kind: "alarm";
    readonly alarmName: string;
    readonly stateChangedAt: string;
    readonly failingSince?: string;
  }
  | { readonly kind: "manual"; readonly reason: string; readonly force: boolean }
  | { readonly kind: "drill" };

export interface FailoverReport {
  readonly outcome: FailoverOutcome;
  readonly trigger: FailoverTrigger;
  readonly region: string;
  readonly lockKey?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly autoFailover: boolean;
  readonly probe?: ProbeResult;
  readonly steps: readonly StepRecord[];
  /** Drill: where a real run would stop (primary healthy) or which check failed. */
  readonly wouldAbort?: boolean;
  readonly ok: boolean;
  readonly failedStep?: string;
  readonly recoverySeconds?: number;
  readonly dataLossPossible: boolean;
  readonly fallbackUsed: boolean;
  /** True when the report is the stored result of an earlier invocation with the same lock key. */
  readonly replayed?: boolean;
}

const DEFAULT_POLL_INTERVAL_MS = 10_000;
/** Left of the Lambda timeout after the Aurora wait, to record metrics and notify before being killed. */
const LAMBDA_SAFETY_MARGIN_MS = 30_000;
/** How long a finished invocation's report answers repeats of the same event (async retries: up to 6 h). */
const LOCK_RECORD_SECONDS = 6 * 60 * 60;
const PROBE_STEP = "verify-primary-down";
const FENCE_STEP = "primary-fenced";

const DATA_LOSS_WARNING =
  "Aurora failover with AllowDataLoss: transactions committed on the primary but not yet replicated " +
  "(the last AuroraGlobalDBRPOLag window) may be missing from the new writer. Compare after the primary " +
  "returns; Aurora keeps a snapshot of the old primary's divergent data when it rejoins.";

export function createFailoverHandler(deps: FailoverDeps) {
  const { config, log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const retry = deps.retry ?? DEFAULT_RETRY;

  const iso = (ms: number) => new Date(ms).toISOString();
  const stepsContext = (deadlineAt: number): FailoverContext => ({
    targets: {
      globalClusterId: config.globalClusterId,
      secondaryClusterArn: config.secondaryClusterArn,
      secondaryClusterId: config.secondaryClusterId,
      secondaryRegion: config.region,
      secondaryAsgName: config.secondaryAsgName,
      failoverCapacity: config.failoverCapacity,
      activeRegionParameter: parameterName(config.parameterPrefix, "activeRegion"),
      writerEndpointParameter: parameterName(config.parameterPrefix, "writerEndpoint"),
      promotionDeadlineAt: deadlineAt,
      pollIntervalMs: deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    },
    rds: deps.rds,
    autoScaling: deps.autoScaling,
    ssm: deps.ssm,
    fence: { emit: (value) => metrics.emit(METRICS.primaryFenced, "Count", value) },
  });
  const runOptions = (dryRun: boolean) => ({ dryRun, retry, sleep, now, random, log });

  const probePrimary = async (): Promise<{ probe: ProbeResult; record: StepRecord }> => {
    const started = now();
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
    return {
      probe,
      record: {
        step: PROBE_STEP,
        action: `fresh probe of ${config.peerHealthUrl} (timeout ${config.checkTimeoutMs} ms)`,
        status: "done",
        detail: probe.healthy ? `primary answered healthy: ${probe.detail}` : `primary down: ${probe.detail}`,
        notes: [],
        startedAt: iso(started),
        durationMs: now() - started,
        calls: 1,
        retries: 0,
      },
    };
  };

  const notify = async (report: FailoverReport): Promise<void> => {
    const { subject, message } = formatNotification(report);
    await withRetry(
      () => deps.sns.publish({ TopicArn: config.topicArn, Subject: subject, Message: message }),
      {
        policy: retry,
        sleep,
        random,
      },
    );
    log.info("notification published", { outcome: report.outcome, subject });
  };

  const triggerOf = (request: FailoverRequest): FailoverTrigger =>
    request.kind === "manual" ? { kind: "manual", reason: request.reason, force: request.force } : request;

  const drill = async (startedAt: number): Promise<FailoverReport> => {
    const { probe, record } = await probePrimary();
    let run: RunReport;
    try {
      run = await runSteps(
        failoverSteps(),
        stepsContext(now() + config.rtoTargetSeconds * 1000),
        runOptions(true),
      );
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
      probe,
      steps: [record, ...run.steps],
      wouldAbort: probe.healthy || !run.ok,
      ok: run.ok,
      ...(run.failedStep ? { failedStep: run.failedStep } : {}),
      dataLossPossible: false,
      fallbackUsed: false,
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
    const trigger = triggerOf(request);
    metrics.emit(METRICS.failoverInvoked, "Count", 1);
    const base = {
      trigger,
      region: config.region,
      lockKey,
      startedAt: iso(startedAt),
      autoFailover: config.autoFailover,
      dataLossPossible: false,
      fallbackUsed: false,
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

    const { probe, record } = await probePrimary();
    if (probe.healthy && !(request.kind === "manual" && request.force)) {
      const report: FailoverReport = {
        ...base,
        outcome: "aborted-primary-healthy",
        finishedAt: iso(now()),
        probe,
        steps: [record],
        ok: true,
      };
      log.warn("primary answered healthy: false alarm, nothing changed", { outcome: report.outcome });
      await notify(report);
      return report;
    }

    const deadlineAt = Math.min(
      now() + config.rtoTargetSeconds * 1000,
      now() + context.getRemainingTimeInMillis() - LAMBDA_SAFETY_MARGIN_MS,
    );
    const finish = (run: RunReport, failure?: StepFailedError): FailoverReport => {
      const steps = [record, ...run.steps];
      const promote = run.steps.find((s) => s.step === "aurora-promote");
      const changed = run.steps.some((s) => s.status === "done" && s.step !== FENCE_STEP);
      const finishedAt = now();
      const origin = request.kind === "alarm"
        ? parseAlarmTimestamp(request.failingSince ?? request.stateChangedAt)
        : startedAt;
      return {
        ...base,
        outcome: changed ? "failed-over" : "already-failed-over",
        finishedAt: iso(finishedAt),
        probe,
        steps,
        ok: !failure,
        ...(failure ? { failedStep: failure.step } : {}),
        ...(changed && !failure
          ? { recoverySeconds: Math.max(0, Math.round((finishedAt - origin) / 1000)) }
          : {}),
        dataLossPossible: promote?.status === "done",
        fallbackUsed: (promote?.notes ?? []).some((n) => n.startsWith("FALLBACK")),
      };
    };
    const emitStepMetrics = (steps: readonly StepRecord[]) => {
      for (const s of steps) {
        if (s.status === "done" || s.status === "already-done" || s.status === "failed") {
          metrics.emit(METRICS.failoverStepSeconds, "Seconds", s.durationMs / 1000, s.step);
        }
      }
    };

    let run: RunReport;
    try {
      run = await runSteps(failoverSteps(), stepsContext(deadlineAt), runOptions(false));
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      const report = finish(error.report, error);
      emitStepMetrics(report.steps);
      log.error("failover failed; a re-invocation resumes at the failed step", {
        outcome: "failed",
        failedStep: error.step,
        errorClass: errorName(error.cause),
        error: errorMessage(error.cause),
        report,
      });
      try {
        await notify(report);
      } catch (notifyError) {
        log.error("could not publish the failure notification", {
          errorClass: errorName(notifyError),
          error: errorMessage(notifyError),
        });
      }
      throw error;
    }
    const report = finish(run);
    emitStepMetrics(report.steps);
    if (report.recoverySeconds !== undefined) {
      metrics.emit(METRICS.recoverySeconds, "Seconds", report.recoverySeconds);
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
      responseHook: (response) => isRecord(response) ? { ...response, replayed: true } : response,
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
        fallbackUsed: false,
      };
    }
  };
}

// ---------------------------------------------------------------------------------------------------------
// notification

const SUBJECTS: Record<FailoverOutcome, string> = {
  "failed-over": "Failover completed: writes now served by",
  "already-failed-over": "Failover re-run: already failed over to",
  "aborted-primary-healthy": "Failover aborted (false alarm): primary answered healthy, seen from",
  "notified-automation-disabled": "FAILOVER NEEDED, automation disabled (AUTO_FAILOVER=false) in",
  "in-progress-elsewhere": "Failover already in progress in",
  drill: "Failover drill report from",
};

/** The SNS message: a subject (<= 100 characters) and a plain-text timeline. */
function recoveryOrigin(trigger: FailoverTrigger): string {
  if (trigger.kind !== "alarm") return "the invocation";
  return trigger.failingSince ? "the first failed minute" : "the alarm's state change";
}

export function formatNotification(report: FailoverReport): { subject: string; message: string } {
  const head = report.ok ? SUBJECTS[report.outcome] : `FAILOVER FAILED at step ${report.failedStep} in`;
  const subject = `[DR] ${head} ${report.region}`.slice(0, 100);
  const trigger = report.trigger.kind === "alarm"
    ? `alarm "${report.trigger.alarmName}" entered ALARM at ${report.trigger.stateChangedAt}`
    : report.trigger.kind === "manual"
    ? `manual request: "${report.trigger.reason}"${
      report.trigger.force ? " (force: primary probe ignored)" : ""
    }`
    : "drill";
  const start = Date.parse(report.startedAt);
  const lines = [
    `Outcome: ${report.ok ? report.outcome : `FAILED at ${report.failedStep}`}`,
    `Trigger: ${trigger}`,
    `Region: ${report.region} (secondary)`,
    `Started: ${report.startedAt}   finished: ${report.finishedAt}`,
  ];
  if (report.recoverySeconds !== undefined) {
    lines.push(
      `Recovery time: ${report.recoverySeconds} s (from ${recoveryOrigin(report.trigger)})`,
    );
  }
  if (report.outcome === "notified-automation-disabled") {
    lines.push(
      "",
      "Automatic failover is off. To fail over now, invoke this function with",
      '  { "manual": true, "reason": "<who and why>" }',
      'and first a dry run with { "drill": true } to see what it would do.',
    );
  }
  if (report.steps.length > 0) {
    lines.push("", "Timeline:");
    for (const s of report.steps) {
      const offset = ((Date.parse(s.startedAt) - start) / 1000).toFixed(1);
      const retries = s.retries > 0 ? `, ${s.retries} retries` : "";
      lines.push(
        `  +${offset}s  ${s.step.padEnd(20)} ${s.status.padEnd(12)} ${
          (s.durationMs / 1000).toFixed(1)
        }s${retries}  ${s.detail}`,
      );
      for (const note of s.notes) lines.push(`      ${note}`);
      if (s.error) lines.push(`      error: ${s.error.name}: ${s.error.message}`);
    }
  }
  if (report.fallbackUsed) {
    lines.push(
      "",
      "FALLBACK USED: the managed failover was refused, so the secondary was detached and promoted. The global " +
        "writer endpoint does not follow it; the writer-endpoint parameter now names the promoted cluster.",
    );
  }
  if (report.dataLossPossible) lines.push("", `WARNING: ${DATA_LOSS_WARNING}`);
  if (!report.ok) {
    lines.push("", "The invocation failed and will be retried; a re-run resumes at the failed step.");
  }
  if (report.outcome === "failed-over" || report.outcome === "already-failed-over") {
    lines.push(
      "",
      "Traffic stays on this region (PrimaryFenced) until a person fails back with a planned switchover.",
    );
  }
  return { subject, message: lines.join("\n") };
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
const AWS_CLIENT_OPTIONS = {
  maxAttempts: 1,
  // Recent SDKs only warn on requestTimeout unless throwOnRequestTimeout is set.
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

function productionHandler() {
  const config = loadFailoverConfig(process.env);
  const clientOptions = { region: config.region, ...AWS_CLIENT_OPTIONS };
  const logger = new Logger({
    serviceName: "failover-orchestrator",
    persistentKeys: { check: "failover", region: config.region, role: "secondary" },
  });
  return createFailoverHandler({
    config,
    rds: new RDS(clientOptions),
    autoScaling: new AutoScaling(clientOptions),
    ssm: new SSM(clientOptions),
    sns: new SNS(clientOptions),
    lockStore: new DynamoDbLockStore(
      new DynamoDBClient({ region: config.region, requestHandler: AWS_CLIENT_OPTIONS.requestHandler }),
      config.idempotencyTable,
    ),
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
