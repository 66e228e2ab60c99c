// What an orchestrator invocation works with: the injected clients with their defaults resolved, and what
// every path shares: the steps' context, the decision alarms' evidence, the first look (observed state, then
// a fresh probe of the primary only when nothing has started), the SNS notification.

import type { PublishCommandInput } from "@aws-sdk/client-sns";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { METRICS, parameterName } from "./contract.ts";
import type { RdsApi } from "./aurora_global.ts";
import type { AutoScalingApi, SsmApi } from "./aws_ports.ts";
import type { FailoverConfig } from "./failover_config.ts";
import { type AlarmsApi, type DecisionEvidence, readDecisionEvidence } from "./decision_evidence.ts";
import { type FailoverContext, failoverStarted } from "./failover_steps.ts";
import { probeHealth, type ProbeResult } from "./failover_probe.ts";
import { type FailoverReport, formatNotification } from "./failover_report.ts";
import type { Probe } from "./https_probe.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.ts";
import { type RunOptions, standaloneIo, type StepIo, type StepLog, type StepRecord } from "./steps.ts";

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

/** The dependencies with every default filled in, and the StepIo for reads outside a step. */
export interface FailoverRuntime {
  readonly deps: FailoverDeps;
  readonly config: FailoverConfig;
  readonly log: StepLog;
  readonly metrics: MetricSink;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly retry: RetryPolicy;
  readonly io: StepIo;
  runOptions(dryRun: boolean): RunOptions;
}

export function failoverRuntime(deps: FailoverDeps): FailoverRuntime {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const retry = deps.retry ?? DEFAULT_RETRY;
  const runOptions = (dryRun: boolean): RunOptions => ({ dryRun, retry, sleep, now, random, log: deps.log });
  return {
    deps,
    config: deps.config,
    log: deps.log,
    metrics: deps.metrics,
    now,
    sleep,
    random,
    retry,
    io: standaloneIo(runOptions(false)),
    runOptions,
  };
}

export const iso = (ms: number) => new Date(ms).toISOString();

const PROBE_STEP = "verify-primary-down";

/** What the invocation saw before acting: the alarms' evidence, the steps' context, the probe (if taken). */
export interface FirstLook {
  readonly evidence: DecisionEvidence;
  readonly ctx: FailoverContext;
  readonly probe?: ProbeResult;
  /** The probe's timeline entry (the first of the report's steps). */
  readonly record: StepRecord;
}

/** `timeLeftMs` is read after the alarms: the steps' deadline is then, plus that. */
export async function firstLook(rt: FailoverRuntime, timeLeftMs: () => number): Promise<FirstLook> {
  const evidence = rt.deps.alarms
    ? await readDecisionEvidence(rt.deps.alarms, rt.io, rt.config.decisionAlarmNames)
    : { lines: [] };
  const ctx = stepsContext(rt, rt.now() + timeLeftMs(), evidence);
  // Observed state first: a retry of a started failover continues it, whatever the primary answers now.
  const started = await failoverStarted(ctx, rt.io);
  const probeStarted = rt.now();
  const probe = started ? undefined : await probePrimary(rt);
  const record = probeRecord(probe, rt.config, probeStarted, rt.now());
  return { evidence, ctx, ...(probe ? { probe } : {}), record };
}

function stepsContext(rt: FailoverRuntime, deadlineAt: number, evidence: DecisionEvidence): FailoverContext {
  const { config, deps } = rt;
  return {
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
    fence: { emit: (value) => rt.metrics.emit(METRICS.primaryFenced, "Count", value) },
    ...(evidence.replicationStalled !== undefined ? { replicationStalled: evidence.replicationStalled } : {}),
    marks: {},
  };
}

async function probePrimary(rt: FailoverRuntime): Promise<ProbeResult> {
  const { config, deps } = rt;
  const probe = await probeHealth(config.peerHealthUrl, {
    timeoutMs: config.checkTimeoutMs,
    ...(config.appHostname ? { hostname: config.appHostname } : {}),
    ...(deps.tlsProbe ? { tlsProbe: deps.tlsProbe } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now: rt.now,
  });
  rt.log.info("primary probe", {
    check: PROBE_STEP,
    url: probe.url,
    outcome: probe.healthy ? "healthy" : "down",
    durationMs: probe.latencyMs,
    errorClass: probe.errorClass,
    detail: probe.detail,
  });
  return probe;
}

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

export async function notify(rt: FailoverRuntime, report: FailoverReport): Promise<void> {
  const { subject, message } = formatNotification(report);
  await withRetry(
    () => rt.deps.sns.publish({ TopicArn: rt.config.topicArn, Subject: subject, Message: message }),
    { policy: rt.retry, sleep: rt.sleep, random: rt.random },
  );
  rt.log.info("notification published", { outcome: report.outcome, subject });
}
