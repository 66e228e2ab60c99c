// The world an orchestrator test runs in: the in-memory AWS of fake_aws.ts (both regions), the decision
// alarms, a lock table, a real HTTP "primary" on loopback, and a fake clock advanced by the injected sleep
// (so backoff and Aurora polling cost nothing).

import { createFailoverHandler, loadFailoverConfig, type MetricSink } from "../handlers/failover.ts";
import { METRICS } from "../handlers/lib/contract.ts";
import { DynamoDbLockStore } from "../handlers/lib/failover_lock.ts";
import type { StepLog } from "../handlers/lib/steps.ts";
import type { FailoverReport } from "../handlers/lib/failover_report.ts";
import {
  ACTIVE_PARAM,
  ALARM_AT,
  ASG,
  CallLog,
  CLOCK_START,
  FakeAlarms,
  FakeAutoScaling,
  FakeRds,
  FakeSns,
  FakeSsm,
  GLOBAL_ID,
  MUTATING,
  PRIMARY_ARN,
  PRIMARY_ID,
  PRIMARY_REGION,
  REGION,
  SECONDARY_ARN,
  SECONDARY_ID,
} from "./fake_aws.ts";
import { FakeDynamoDb } from "./fake_dynamodb.ts";

export const QUORUM_ALARM = "dr-failover-quorum-us-east-2-dev";
export const DECISION_ALARMS = {
  witness: "dr-primary-down-witness-us-east-2-dev",
  standby: "dr-primary-down-standby-us-east-2-dev",
  replication: "dr-replication-stalled-us-east-2-dev",
} as const;
export const POLL_SECONDS = 10;

export interface Primary extends AsyncDisposable {
  readonly url: string;
  status: number;
  requests: number;
}

export function startPrimary(status: number): Primary {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    primary.requests++;
    return new Response(primary.status === 200 ? "ok" : "unhealthy", { status: primary.status });
  });
  const primary: Primary = {
    url: `http://127.0.0.1:${server.addr.port}/health/deep`,
    status,
    requests: 0,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
  return primary;
}

/** A loopback URL nobody listens on: connection refused. */
export function refusedUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return `http://127.0.0.1:${port}/health/deep`;
}

export function testEnv(
  peerHealthUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_REGION: REGION,
    REGION_ROLE: "secondary",
    PARAMETER_PREFIX: "/txn/dev",
    METRIC_NAMESPACE: "TransactionDR/dev",
    CHECK_TIMEOUT_MS: "500",
    PEER_HEALTH_URL: peerHealthUrl,
    GLOBAL_CLUSTER_ID: GLOBAL_ID,
    PRIMARY_REGION,
    PRIMARY_CLUSTER_ARN: PRIMARY_ARN,
    PRIMARY_CLUSTER_ID: PRIMARY_ID,
    SECONDARY_CLUSTER_ARN: SECONDARY_ARN,
    SECONDARY_CLUSTER_ID: SECONDARY_ID,
    SECONDARY_ASG_NAME: ASG,
    FAILOVER_CAPACITY: "4",
    TOPIC_ARN: `arn:aws:sns:${REGION}:123456789012:alerts-us-east-2-dev`,
    IDEMPOTENCY_TABLE: "failover-lock-dev",
    AUTO_FAILOVER: "true",
    RTO_TARGET_SECONDS: "300",
    AURORA_PROMOTION_SECONDS: "120",
    POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
    DECISION_ALARM_NAMES: Object.values(DECISION_ALARMS).join(","),
    ...overrides,
  };
}

export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

export interface Emitted {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly step?: string;
}

/** The decision as the alarms saw it: witness and standby probers both failing since `since`. */
export function quorumReached(alarms: FakeAlarms, since = "2025-01-01T00:01:30.000+0000"): void {
  alarms.set(DECISION_ALARMS.witness, METRICS.primaryProbeHealthy, "ALARM", since);
  alarms.set(DECISION_ALARMS.standby, METRICS.primaryProbeHealthy, "ALARM", since);
  alarms.set(DECISION_ALARMS.replication, METRICS.replicationStalled, "OK");
}

export function world(peerHealthUrl: string, envOverrides: Record<string, string> = {}) {
  const log = new CallLog();
  const clock = { now: CLOCK_START };
  const sleeps: number[] = [];
  const logs: LogEntry[] = [];
  const emitted: Emitted[] = [];
  const aws = {
    rds: new FakeRds(log),
    autoScaling: new FakeAutoScaling(log),
    ssm: new FakeSsm(log, "ssm", { [ACTIVE_PARAM]: PRIMARY_REGION }),
    primarySsm: new FakeSsm(log, "ssm-primary", { [ACTIVE_PARAM]: PRIMARY_REGION }),
    sns: new FakeSns(log),
    alarms: new FakeAlarms(log),
    dynamodb: new FakeDynamoDb(log),
  };
  quorumReached(aws.alarms);
  const stepLog: StepLog = {
    info: (message, attributes) => logs.push({ level: "info", message, attributes }),
    warn: (message, attributes) => logs.push({ level: "warn", message, attributes }),
    error: (message, attributes) => logs.push({ level: "error", message, attributes }),
  };
  const metrics: MetricSink = {
    emit(name, unit, value, step) {
      emitted.push({ name, unit, value, ...(step === undefined ? {} : { step }) });
      log.calls.push({ service: "metrics", method: name, input: value, mutating: MUTATING.has(name) });
    },
  };
  const config = loadFailoverConfig(testEnv(peerHealthUrl, envOverrides));
  /** A fresh container: its own lock-store instance over the shared table. */
  const newHandler = () =>
    createFailoverHandler({
      config,
      rds: aws.rds,
      primaryRds: aws.rds,
      autoScaling: aws.autoScaling,
      ssm: aws.ssm,
      primarySsm: aws.primarySsm,
      sns: aws.sns,
      alarms: aws.alarms,
      lockStore: new DynamoDbLockStore(aws.dynamodb, config.idempotencyTable),
      metrics,
      log: stepLog,
      now: () => clock.now,
      sleep: (ms) => {
        sleeps.push(ms);
        clock.now += ms;
        return Promise.resolve();
      },
      random: () => 0.5,
    });
  return { log, clock, sleeps, logs, emitted, aws, config, newHandler, handler: newHandler() };
}

let requestCounter = 0;
export const lambdaContext = (remainingMs = 900_000) => ({
  awsRequestId: `req-${++requestCounter}`,
  getRemainingTimeInMillis: () => remainingMs,
});

/** The quorum alarm's state change, as EventBridge delivers it (composite alarms carry no reasonData). */
export function alarmEvent(timestamp = ALARM_AT): Record<string, unknown> {
  return {
    version: "0",
    id: "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: "123456789012",
    time: "2025-01-01T00:02:00Z",
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:123456789012:alarm:${QUORUM_ALARM}`],
    detail: {
      alarmName: QUORUM_ALARM,
      state: { value: "ALARM", reason: "ALARM(witness) AND ALARM(standby)", timestamp },
      previousState: { value: "OK", reason: "", timestamp: "2025-01-01T00:00:00.000+0000" },
      configuration: {
        alarmRule:
          `ALARM("${DECISION_ALARMS.witness}") AND (ALARM("${DECISION_ALARMS.standby}") OR ALARM("${DECISION_ALARMS.replication}"))`,
      },
    },
  };
}

export const stepStatuses = (report: FailoverReport) =>
  Object.fromEntries(report.steps.map((s) => [s.step, s.status]));
