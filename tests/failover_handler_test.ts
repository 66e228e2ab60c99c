// The failover orchestrator against an in-memory AWS (RDS global cluster, Auto Scaling, SSM, SNS, a DynamoDB
// table that evaluates condition expressions) and a real HTTP "primary" on loopback. Time is a fake clock
// advanced by the injected sleep, so backoff and Aurora polling cost nothing.

import assert from "node:assert/strict";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  ConfigError,
  createFailoverHandler,
  earliestDatapoint,
  emfMetricSink,
  EventValidationError,
  type FailoverReport,
  loadFailoverConfig,
  type MetricSink,
  parseFailoverEvent,
} from "../handlers/failover.ts";
import { type FailbackContext, failbackSteps } from "../handlers/lib/failover_steps.ts";
import { DynamoDbLockStore, type DynamoDbSender } from "../handlers/lib/failover_lock.ts";
import { probeHealth } from "../handlers/lib/failover_probe.ts";
import { tlsProbe } from "../handlers/lib/https_probe.ts";
import { createTestPki, startHttpsServer } from "./tls_fixture.ts";
import { backoffDelayMs, runSteps, StepFailedError, type StepLog, withRetry } from "../handlers/lib/steps.ts";
import {
  ACTIVE_PARAM,
  ALARM_AT,
  ASG,
  awsError,
  CallLog,
  CLOCK_START,
  FakeAutoScaling,
  FakeRds,
  FakeSns,
  FakeSsm,
  GLOBAL_ENDPOINT,
  GLOBAL_ID,
  MUTATING,
  POLL_MS,
  PRIMARY_ARN,
  PRIMARY_ID,
  PRIMARY_REGION,
  REGION,
  SECONDARY_ARN,
  SECONDARY_ENDPOINT,
  SECONDARY_ID,
  throttling,
  WRITER_PARAM,
} from "./fake_aws.ts";

// ---------------------------------------------------------------------------------------------------------
// in-memory DynamoDB: PutItem/GetItem/UpdateItem/DeleteItem with condition expressions evaluated

type Item = Record<string, AttributeValue>;

function evaluateCondition(
  expression: string,
  item: Item | undefined,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): boolean {
  const tokens = expression.match(/\(|\)|[a-z_]+\(|#[A-Za-z_]+|:[A-Za-z_]+|=|<|>|AND|OR/g) ?? [];
  let i = 0;
  const scalar = (v: AttributeValue | undefined) => v?.N !== undefined ? Number(v.N) : v?.S;
  const operand = (token: string) =>
    token.startsWith("#") ? scalar(item?.[names[token]]) : scalar(values[token]);
  const factor = (): boolean => {
    const token = tokens[i++];
    if (token === "(") {
      const value = or();
      assert.equal(tokens[i++], ")");
      return value;
    }
    if (token === "attribute_exists(" || token === "attribute_not_exists(") {
      const name = names[tokens[i++]];
      const exists = item?.[name] !== undefined;
      assert.equal(tokens[i++], ")");
      return token === "attribute_exists(" ? exists : !exists;
    }
    const left = operand(token);
    const op = tokens[i++];
    const right = operand(tokens[i++]);
    if (left === undefined || right === undefined) return false;
    return op === "=" ? left === right : op === "<" ? left < right : left > right;
  };
  const and = (): boolean => {
    let value = factor();
    while (tokens[i] === "AND") {
      i++;
      value = factor() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[i] === "OR") {
      i++;
      value = and() || value;
    }
    return value;
  };
  const result = or();
  assert.equal(i, tokens.length, `unparsed condition: ${expression}`);
  return result;
}

class FakeDynamoDb implements DynamoDbSender {
  readonly items = new Map<string, Item>();
  constructor(private readonly log: CallLog) {}

  async send(command: { input: unknown; constructor: { name: string } }): Promise<unknown> {
    const kind = command.constructor.name.replace(/Command$/, "");
    const input = command.input as {
      Key?: Item;
      Item?: Item;
      ConditionExpression?: string;
      UpdateExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, AttributeValue>;
    };
    await this.log.record("dynamodb", kind, input);
    const key = (input.Key ?? input.Item)!.id.S!;
    const existing = this.items.get(key);
    switch (kind) {
      case "PutItem": {
        const ok = !input.ConditionExpression ||
          evaluateCondition(
            input.ConditionExpression,
            existing,
            input.ExpressionAttributeNames ?? {},
            input.ExpressionAttributeValues ?? {},
          );
        if (!ok) {
          throw new ConditionalCheckFailedException({
            message: "The conditional request failed",
            $metadata: {},
            Item: existing,
          });
        }
        this.items.set(key, { ...input.Item! });
        return {};
      }
      case "GetItem":
        return existing ? { Item: existing } : {};
      case "UpdateItem": {
        const updated: Item = { ...(existing ?? input.Key!) };
        for (const assignment of input.UpdateExpression!.replace(/^SET /, "").split(",")) {
          const [name, value] = assignment.split("=").map((s) => s.trim());
          updated[input.ExpressionAttributeNames![name]] = input.ExpressionAttributeValues![value];
        }
        this.items.set(key, updated);
        return {};
      }
      case "DeleteItem":
        this.items.delete(key);
        return {};
    }
    throw new Error(`unexpected DynamoDB command ${kind}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// the primary on loopback

interface Primary extends AsyncDisposable {
  readonly url: string;
  status: number;
  requests: number;
}

function startPrimary(status: number): Primary {
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
function refusedUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return `http://127.0.0.1:${port}/health/deep`;
}

// ---------------------------------------------------------------------------------------------------------
// the world a test runs in

function testEnv(peerHealthUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: REGION,
    REGION_ROLE: "secondary",
    PARAMETER_PREFIX: "/txn/dev",
    METRIC_NAMESPACE: "TransactionDR/dev",
    CHECK_TIMEOUT_MS: "500",
    PEER_HEALTH_URL: peerHealthUrl,
    GLOBAL_CLUSTER_ID: GLOBAL_ID,
    SECONDARY_CLUSTER_ARN: SECONDARY_ARN,
    SECONDARY_CLUSTER_ID: SECONDARY_ID,
    SECONDARY_ASG_NAME: ASG,
    FAILOVER_CAPACITY: "4",
    TOPIC_ARN: `arn:aws:sns:${REGION}:123456789012:alerts-us-east-2-dev`,
    IDEMPOTENCY_TABLE: "failover-lock-dev",
    AUTO_FAILOVER: "true",
    RTO_TARGET_SECONDS: "300",
    ...overrides,
  };
}

interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

interface Emitted {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly step?: string;
}

function world(peerHealthUrl: string, envOverrides: Record<string, string> = {}) {
  const log = new CallLog();
  const clock = { now: CLOCK_START };
  const sleeps: number[] = [];
  const logs: LogEntry[] = [];
  const emitted: Emitted[] = [];
  const aws = {
    rds: new FakeRds(log),
    autoScaling: new FakeAutoScaling(log),
    ssm: new FakeSsm(log, "ssm", { [ACTIVE_PARAM]: PRIMARY_REGION, [WRITER_PARAM]: GLOBAL_ENDPOINT }),
    sns: new FakeSns(log),
    dynamodb: new FakeDynamoDb(log),
  };
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
      autoScaling: aws.autoScaling,
      ssm: aws.ssm,
      sns: aws.sns,
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
      pollIntervalMs: POLL_MS,
    });
  return { log, clock, sleeps, logs, emitted, aws, config, newHandler, handler: newHandler() };
}

let requestCounter = 0;
const lambdaContext = (remainingMs = 900_000) => ({
  awsRequestId: `req-${++requestCounter}`,
  getRemainingTimeInMillis: () => remainingMs,
});

function alarmEvent(timestamp = ALARM_AT): Record<string, unknown> {
  return {
    version: "0",
    id: "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: "123456789012",
    time: "2025-01-01T00:02:00Z",
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:123456789012:alarm:primary-unreachable-dev`],
    detail: {
      alarmName: "primary-unreachable-dev",
      state: { value: "ALARM", reason: "Threshold Crossed", timestamp },
      previousState: { value: "OK", reason: "Threshold Crossed", timestamp: "2025-01-01T00:00:00.000+0000" },
      configuration: { metrics: [] },
    },
  };
}

const stepStatuses = (report: FailoverReport) =>
  Object.fromEntries(report.steps.map((s) => [s.step, s.status]));

// ---------------------------------------------------------------------------------------------------------
// events and configuration

Deno.test("parseFailoverEvent() accepts an alarm event, a drill and a manual request", () => {
  assert.deepEqual(parseFailoverEvent(alarmEvent()), {
    kind: "alarm",
    alarmName: "primary-unreachable-dev",
    stateChangedAt: ALARM_AT,
  });
  assert.deepEqual(parseFailoverEvent({ drill: true }), { kind: "drill" });
  assert.deepEqual(parseFailoverEvent({ manual: true, reason: " region outage, J. Doe " }), {
    kind: "manual",
    reason: "region outage, J. Doe",
    force: false,
  });
  assert.deepEqual(parseFailoverEvent({ manual: true, reason: "x", requestId: "ticket-42", force: true }), {
    kind: "manual",
    reason: "x",
    force: true,
    requestId: "ticket-42",
  });
});

Deno.test("parseFailoverEvent() rejects bad events, naming the field and the rule", () => {
  const okState = { value: "ALARM", timestamp: ALARM_AT };
  const withDetail = (detail: unknown) => ({ ...alarmEvent(), detail });
  const cases: [unknown, RegExp][] = [
    [null, /event must be a CloudWatch "Alarm State Change" event/],
    ["drill", /event must be/],
    [{}, /event must be/],
    [{ drill: "yes" }, /drill must be true/],
    [{ drill: true, manual: true }, /manual: not allowed here/],
    [{ manual: true }, /reason must be a non-empty string/],
    [{ manual: true, reason: "   " }, /reason must be a non-empty string/],
    [{ manual: "true", reason: "x" }, /manual must be true/],
    [{ manual: true, reason: "x", force: "yes" }, /force must be a boolean/],
    [{ manual: true, reason: "x", requestId: "has spaces" }, /requestId must be/],
    [{ ...alarmEvent(), source: "aws.ec2" }, /source must be "aws.cloudwatch"/],
    [
      { ...alarmEvent(), "detail-type": "EC2 Instance State-change" },
      /detail-type must be "CloudWatch Alarm/,
    ],
    [withDetail("x"), /detail must be an object/],
    [withDetail({ state: okState }), /detail.alarmName must be a non-empty string/],
    [withDetail({ alarmName: "a" }), /detail.state must be an object/],
    [
      withDetail({ alarmName: "a", state: { ...okState, value: "OK" } }),
      /detail.state.value must be "ALARM" \(got "OK"\)/,
    ],
    [
      withDetail({ alarmName: "a", state: { value: "ALARM", timestamp: "yesterday" } }),
      /detail.state.timestamp/,
    ],
  ];
  for (const [event, message] of cases) {
    assert.throws(() => parseFailoverEvent(event), (error: unknown) => {
      assert.ok(error instanceof EventValidationError, `${JSON.stringify(event)}: ${error}`);
      assert.match(error.message, message, JSON.stringify(event));
      return true;
    });
  }
});

Deno.test("loadFailoverConfig() reports every invalid variable at once, with its rule", () => {
  const env = testEnv("http://127.0.0.1:1/health/deep", {
    REGION_ROLE: "primary",
    FAILOVER_CAPACITY: "0",
    AUTO_FAILOVER: "yes",
    SECONDARY_CLUSTER_ARN: `arn:aws:rds:${PRIMARY_REGION}:123456789012:cluster:${SECONDARY_ID}`,
    PEER_HEALTH_URL: "primary.example.com",
  });
  delete env.TOPIC_ARN;
  assert.throws(() => loadFailoverConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'REGION_ROLE="primary": must be "secondary": the orchestrator runs in the standby region',
      `PEER_HEALTH_URL="primary.example.com": must be an http(s) URL of the primary's deep-health path`,
      `SECONDARY_CLUSTER_ARN="arn:aws:rds:${PRIMARY_REGION}:123456789012:cluster:${SECONDARY_ID}": ` +
      "must be an RDS cluster ARN in this function's region (AWS_REGION)",
      'FAILOVER_CAPACITY="0": must be an integer between 1 and 1000',
      "TOPIC_ARN is not set: must be an SNS topic ARN",
      'AUTO_FAILOVER="yes": must be "true" or "false"',
    ]);
    return true;
  });
  const config = loadFailoverConfig(testEnv("https://primary.dr.example.com/health/deep"));
  assert.equal(config.autoFailover, true);
  assert.equal(config.failoverCapacity, 4);
  assert.equal(config.region, REGION);
});

// ---------------------------------------------------------------------------------------------------------
// failover

Deno.test("failover handler: recovery is measured from the first failed minute the alarm evaluated", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  const event = alarmEvent();
  (event.detail as { state: Record<string, unknown> }).state.reasonData = JSON.stringify({
    version: "1.0",
    queryDate: "2025-01-01T00:02:00.000+0000",
    evaluatedDatapoints: [
      { timestamp: "2025-01-01T00:01:00.000+0000", sampleCount: 1, value: 0 },
      { timestamp: "2025-01-01T00:00:00.000+0000", sampleCount: 1, value: 0 },
    ],
  });
  const report = await w.handler(event, lambdaContext());
  // 00:00:00 (first failed minute) to 00:05:20: detection counts, unlike from the state change (200 s).
  assert.equal(report.recoverySeconds, 320);
  assert.match(w.aws.sns.published.at(-1)!.Message!, /Recovery time: 320 s \(from the first failed minute\)/);
  assert.equal(earliestDatapoint("not json"), undefined);
});

Deno.test("failover handler: happy path acts in order and reports the timeline and recovery time", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  const report = await w.handler(alarmEvent(), lambdaContext());

  assert.equal(primary.requests, 1, "a fresh probe of the primary");
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.ok, true);
  assert.deepEqual(stepStatuses(report), {
    "verify-primary-down": "done",
    "aurora-promote": "done",
    "writer-endpoint": "already-done",
    "asg-capacity": "done",
    "active-region": "done",
    "primary-fenced": "done",
  });
  assert.deepEqual(w.log.mutations(), [
    "dynamodb.PutItem", // the lock
    "rds.failoverGlobalCluster",
    "autoscaling.updateAutoScalingGroup",
    "ssm.putParameter",
    "metrics.PrimaryFenced",
    "sns.publish",
    "dynamodb.UpdateItem", // the lock record completed with the report
  ]);
  const failover = w.log.calls.find((c) => c.method === "failoverGlobalCluster")!;
  assert.deepEqual(failover.input, {
    GlobalClusterIdentifier: GLOBAL_ID,
    TargetDbClusterIdentifier: SECONDARY_ARN,
    AllowDataLoss: true,
  });
  assert.deepEqual(w.aws.autoScaling.group, { min: 4, desired: 4, max: 6 }, "max kept");
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), REGION);
  assert.equal(w.aws.ssm.params.get(WRITER_PARAM), GLOBAL_ENDPOINT, "managed failover: endpoint untouched");
  assert.ok(w.aws.rds.members.find((m) => m.arn === SECONDARY_ARN)!.writer);
  assert.deepEqual(w.sleeps, [POLL_MS, POLL_MS], "polled Aurora until the secondary was the writer");

  // Recovery time from the alarm's state change (00:02:00) to the end (00:05:00 + 20 s of polling).
  assert.equal(report.recoverySeconds, 200);
  const byName = (name: string) => w.emitted.filter((m) => m.name === name);
  assert.deepEqual(byName("RecoverySeconds"), [{ name: "RecoverySeconds", unit: "Seconds", value: 200 }]);
  assert.deepEqual(byName("FailoverInvoked"), [{ name: "FailoverInvoked", unit: "Count", value: 1 }]);
  assert.deepEqual(byName("PrimaryFenced"), [{ name: "PrimaryFenced", unit: "Count", value: 1 }]);
  assert.deepEqual(byName("FailoverStepSeconds").map((m) => [m.step, m.value]), [
    ["verify-primary-down", 0],
    ["aurora-promote", 20],
    ["writer-endpoint", 0],
    ["asg-capacity", 0],
    ["active-region", 0],
    ["primary-fenced", 0],
  ]);

  assert.equal(w.aws.sns.published.length, 1);
  const { Subject, Message, TopicArn } = w.aws.sns.published[0];
  assert.equal(TopicArn, w.config.topicArn);
  assert.equal(Subject, "[DR] Failover completed: writes now served by us-east-2");
  assert.ok(Subject!.length <= 100);
  assert.match(Message!, /Trigger: alarm "primary-unreachable-dev" entered ALARM/);
  assert.match(Message!, /Recovery time: 200 s/);
  assert.match(Message!, /\+0\.0s {2}aurora-promote\s+done\s+20\.0s/);
  assert.match(Message!, /WARNING: Aurora failover with AllowDataLoss/);
  assert.doesNotMatch(Message!, /FALLBACK/);
  assert.ok(w.logs.some((l) => l.message === "step finished" && l.attributes?.step === "asg-capacity"));
});

Deno.test("failover handler: already failed over → no AWS change, reported as such", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.secondaryIsWriter();
  w.aws.autoScaling.group = { min: 4, desired: 5, max: 6 };
  w.aws.ssm.params.set(ACTIVE_PARAM, REGION);

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "already-failed-over");
  assert.equal(report.recoverySeconds, undefined);
  assert.equal(report.dataLossPossible, false);
  for (const step of ["aurora-promote", "writer-endpoint", "asg-capacity", "active-region"]) {
    assert.equal(stepStatuses(report)[step], "already-done", step);
  }
  assert.deepEqual(
    w.log.mutations().filter((m) => !m.startsWith("dynamodb.")),
    ["metrics.PrimaryFenced", "sns.publish"],
    "only the fence metric and the notification",
  );
  assert.equal(w.emitted.filter((m) => m.name === "RecoverySeconds").length, 0);
  assert.match(w.aws.sns.published[0].Subject!, /already failed over/);
});

Deno.test("failover handler: managed failover refused → detach-and-promote fallback, said so", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.refuseFailover = true;

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.fallbackUsed, true);
  assert.deepEqual(w.log.mutations().filter((m) => m.startsWith("rds.") || m.startsWith("ssm.")), [
    "rds.failoverGlobalCluster",
    "rds.removeFromGlobalCluster",
    "ssm.putParameter", // writer-endpoint → the promoted cluster
    "ssm.putParameter", // activeRegion
  ]);
  assert.deepEqual(w.log.calls.find((c) => c.method === "removeFromGlobalCluster")!.input, {
    GlobalClusterIdentifier: GLOBAL_ID,
    DbClusterIdentifier: SECONDARY_ARN,
  });
  assert.equal(w.aws.ssm.params.get(WRITER_PARAM), SECONDARY_ENDPOINT);
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), REGION);
  const promote = report.steps.find((s) => s.step === "aurora-promote")!;
  assert.match(promote.notes[0], /^FALLBACK: managed failover refused \(InvalidGlobalClusterStateFault/);
  assert.ok(w.logs.some((l) => l.level === "warn" && l.message.startsWith("FALLBACK")), "logged");
  assert.match(w.aws.sns.published[0].Message!, /FALLBACK USED/);
});

Deno.test("failover handler: a refusal caused by a failover already under way waits instead of detaching", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.pollsToComplete = 3;
  // Another request (e.g. an operator's, under another lock key) starts the failover between our read and call.
  const original = w.aws.rds.failoverGlobalCluster.bind(w.aws.rds);
  let raced = false;
  w.aws.rds.failoverGlobalCluster = async (input) => {
    if (!raced) {
      raced = true;
      await original(input);
    }
    return await original(input);
  };

  const report = await w.handler({ manual: true, reason: "operator" }, lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.fallbackUsed, false);
  assert.equal(w.log.count("removeFromGlobalCluster"), 0, "never detach while a failover runs");
  assert.ok(w.aws.rds.members.find((m) => m.arn === SECONDARY_ARN)!.writer);
});

Deno.test("failover handler: throttling is retried with exponential backoff and jitter", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext("rds.describeGlobalClusters", throttling(), throttling());
  w.log.failNext("rds.failoverGlobalCluster", throttling());
  w.log.failNext(
    "ssm.putParameter",
    awsError("InternalServerError", "oops", { $metadata: { httpStatusCode: 500 } }),
  );

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  const promote = report.steps.find((s) => s.step === "aurora-promote")!;
  assert.equal(promote.retries, 3);
  assert.equal(report.steps.find((s) => s.step === "active-region")!.retries, 1);
  assert.equal(w.log.count("failoverGlobalCluster"), 2, "the throttled request, then the accepted one");
  // random() = 0.5: half of 200 ms, 400 ms for the first two retries of a call; then Aurora polling.
  assert.deepEqual(w.sleeps, [100, 200, 100, POLL_MS, POLL_MS, 100]);
  assert.equal(w.logs.filter((l) => l.message === "transient AWS error, retrying").length, 4);
});

Deno.test("failover handler: persistent throttling is bounded and fails the invocation", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext("autoscaling.describeAutoScalingGroups", ...Array.from({ length: 10 }, throttling));

  await assert.rejects(w.handler(alarmEvent(), lambdaContext()), (error: unknown) => {
    assert.ok(error instanceof StepFailedError);
    assert.equal(error.step, "asg-capacity");
    return true;
  });
  assert.equal(w.log.count("describeAutoScalingGroups"), 5, "maxAttempts = 5");
  assert.deepEqual(w.sleeps.slice(-4), [100, 200, 400, 800]);
});

Deno.test("failover handler: a step failing midway fails the invocation; the re-invocation completes the rest", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext(
    "autoscaling.updateAutoScalingGroup",
    awsError("AccessDenied", "not authorized to perform autoscaling:UpdateAutoScalingGroup"),
  );

  await assert.rejects(
    w.handler(alarmEvent(), lambdaContext()),
    /step "asg-capacity" failed: not authorized/,
  );
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), PRIMARY_REGION, "later steps did not run");
  assert.equal(w.emitted.filter((m) => m.name === "PrimaryFenced").length, 0);
  assert.equal(w.aws.sns.published.length, 1, "the failure was notified");
  assert.match(w.aws.sns.published[0].Subject!, /FAILOVER FAILED at step asg-capacity/);
  assert.match(w.aws.sns.published[0].Message!, /error: AccessDenied/);
  assert.equal(w.aws.dynamodb.items.size, 0, "the lock was released so the retry can act");

  // Lambda's async retry: same event, a new container (no memory of the first run).
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over");
  assert.deepEqual(stepStatuses(retry), {
    "verify-primary-down": "done",
    "aurora-promote": "already-done",
    "writer-endpoint": "already-done",
    "asg-capacity": "done",
    "active-region": "done",
    "primary-fenced": "done",
  });
  assert.equal(w.log.count("failoverGlobalCluster"), 1, "Aurora not asked twice");
  assert.equal(w.log.count("updateAutoScalingGroup"), 2);
  assert.equal(w.log.count("putParameter"), 1);
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), REGION);
});

Deno.test("failover handler: Aurora slower than the deadline → fails; the retry waits without asking again", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.pollsToComplete = Infinity;

  // 60 s of Lambda time left - 30 s margin: the wait is bounded at 30 s.
  await assert.rejects(
    w.handler(alarmEvent(), lambdaContext(60_000)),
    /PromotionTimeoutError|not the writer by the deadline/,
  );
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.ok(w.sleeps.reduce((a, b) => a + b, 0) <= 30_000);

  w.aws.rds.pollsToComplete = 1;
  w.aws.rds.transition!.remainingPolls = 1;
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over");
  assert.equal(w.log.count("failoverGlobalCluster"), 1, "the running failover was awaited, not re-requested");
  assert.equal(w.log.count("removeFromGlobalCluster"), 0);
});

Deno.test("failover handler: two concurrent invocations of one event → exactly one acts", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  const [a, b] = await Promise.all([
    w.newHandler()(alarmEvent(), lambdaContext()),
    w.newHandler()(alarmEvent(), lambdaContext()),
  ]);
  const outcomes = [a.outcome, b.outcome].sort();
  assert.deepEqual(outcomes, ["failed-over", "in-progress-elsewhere"]);
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.equal(w.log.count("updateAutoScalingGroup"), 1);
  assert.equal(w.log.count("putParameter"), 1);
  assert.equal(w.aws.sns.published.length, 1);
  assert.equal(primary.requests, 1, "the loser backed off before probing");
  assert.ok(w.logs.some((l) => l.message === "another invocation holds the failover lock: backing off"));
});

Deno.test("failover handler: a repeated event after completion returns the stored report, touching nothing", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  const first = await w.handler(alarmEvent(), lambdaContext());
  const callsAfterFirst = w.log.calls.length;

  const again = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(again.outcome, "failed-over");
  assert.equal(again.replayed, true);
  assert.deepEqual({ ...again, replayed: undefined }, { ...first, replayed: undefined });
  const extra = w.log.calls.slice(callsAfterFirst).map((c) => `${c.service}.${c.method}`);
  assert.deepEqual(extra, ["dynamodb.PutItem"], "only the refused lock write");
  assert.equal(primary.requests, 1);

  // A new state change of the alarm is a new key: it acts (here: finds everything done).
  const later = await w.newHandler()(alarmEvent("2025-01-01T01:00:00.000+0000"), lambdaContext());
  assert.equal(later.outcome, "already-failed-over");
});

Deno.test("failover handler: drill reports what it would do and makes no mutating call at all", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  const report = await w.handler({ drill: true }, lambdaContext());

  assert.equal(report.outcome, "drill");
  assert.equal(report.wouldAbort, false);
  assert.equal(report.ok, true);
  assert.deepEqual(w.log.mutations(), [], "no AWS change, no lock write, no SNS, no PrimaryFenced");
  assert.deepEqual(w.emitted, []);
  assert.deepEqual(stepStatuses(report), {
    "verify-primary-down": "done",
    "aurora-promote": "would-run",
    "writer-endpoint": "already-done",
    "asg-capacity": "would-run",
    "active-region": "would-run",
    "primary-fenced": "would-run",
  });
  const detail = (step: string) => report.steps.find((s) => s.step === step)!.detail;
  assert.match(
    detail("aurora-promote"),
    /would call FailoverGlobalCluster\(txn-global-dev -> .*, AllowDataLoss\)/,
  );
  assert.match(detail("asg-capacity"), /min 1, desired 1, max 6; would set min = desired = 4/);
  assert.match(detail("active-region"), /= us-east-1; would set us-east-2/);
  assert.ok(w.logs.some((l) => l.message === "drill report (nothing was changed)"));
  assert.deepEqual(w.aws.autoScaling.group, { min: 1, desired: 1, max: 6 });

  // With a healthy primary the drill says a real run would stop at the probe.
  primary.status = 200;
  const healthy = await w.handler({ drill: true }, lambdaContext());
  assert.equal(healthy.wouldAbort, true);
  assert.deepEqual(w.log.mutations(), []);
});

Deno.test("failover handler: AUTO_FAILOVER=false → an alarm only notifies; a manual request still acts", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url, { AUTO_FAILOVER: "false" });
  const report = await w.handler(alarmEvent(), lambdaContext());

  assert.equal(report.outcome, "notified-automation-disabled");
  assert.equal(primary.requests, 0, "no probe either");
  assert.deepEqual(w.log.mutations().filter((m) => !m.startsWith("dynamodb.")), ["sns.publish"]);
  assert.equal(w.log.calls.filter((c) => c.service === "rds").length, 0);
  assert.match(w.aws.sns.published[0].Subject!, /FAILOVER NEEDED, automation disabled/);
  assert.match(w.aws.sns.published[0].Message!, /\{ "manual": true, "reason": "<who and why>" \}/);

  const manual = await w.handler({ manual: true, reason: "on-call decided, INC-7" }, lambdaContext());
  assert.equal(manual.outcome, "failed-over");
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.match(w.aws.sns.published[1].Message!, /manual request: "on-call decided, INC-7"/);
});

Deno.test("failover handler: primary answers healthy → false alarm, abort and notify; force overrides", async () => {
  await using primary = startPrimary(200);
  const w = world(primary.url);
  const report = await w.handler(alarmEvent(), lambdaContext());

  assert.equal(report.outcome, "aborted-primary-healthy");
  assert.equal(report.probe?.healthy, true);
  assert.deepEqual(w.log.mutations().filter((m) => !m.startsWith("dynamodb.")), ["sns.publish"]);
  assert.match(w.aws.sns.published[0].Subject!, /aborted \(false alarm\)/);

  const refused = await w.handler({ manual: true, reason: "primary looks fine" }, lambdaContext());
  assert.equal(
    refused.outcome,
    "aborted-primary-healthy",
    "manual without force also stops at a healthy primary",
  );

  const forced = await w.handler({ manual: true, reason: "data corruption", force: true }, lambdaContext());
  assert.equal(forced.outcome, "failed-over");
  assert.match(w.aws.sns.published.at(-1)!.Message!, /force: primary probe ignored/);
});

Deno.test("failover handler: the primary probe treats 503, refused and timeout as down", async () => {
  await using primary = startPrimary(503);
  const unhealthy = await probeHealth(primary.url, { timeoutMs: 1_000 });
  assert.deepEqual([unhealthy.healthy, unhealthy.status, unhealthy.errorClass], [false, 503, "http-status"]);

  const refused = await probeHealth(refusedUrl(), { timeoutMs: 1_000 });
  assert.deepEqual([refused.healthy, refused.errorClass], [false, "refused"]);

  let release = () => {};
  const hanging = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await new Promise<void>((resolve) => (release = resolve));
    return new Response("late");
  });
  try {
    const timedOut = await probeHealth(`http://127.0.0.1:${hanging.addr.port}/health/deep`, {
      timeoutMs: 150,
    });
    assert.deepEqual([timedOut.healthy, timedOut.errorClass], [false, "timeout"]);
    assert.match(timedOut.detail, /no answer within 150 ms/);
  } finally {
    release();
    await hanging.shutdown();
  }

  // The handler acts on a refused primary too.
  const w = world(refusedUrl());
  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.probe?.errorClass, "refused");
});

Deno.test("the primary probe of an https ALB URL uses the app host name for SNI and Host, and verifies it", async () => {
  const pki = createTestPki();
  const primaryAlb = startHttpsServer(pki.issue("app.dr.example.com"), () => new Response("ok"));
  try {
    const trusting = tlsProbe({ ca: pki.caCertificate });
    const healthy = await probeHealth(primaryAlb.url, {
      timeoutMs: 2_000,
      hostname: "app.dr.example.com",
      tlsProbe: trusting,
    });
    assert.deepEqual([healthy.healthy, healthy.status], [true, 200]);
    assert.deepEqual(primaryAlb.requests.map((request) => request.host), ["app.dr.example.com"]);
    // Without the host name the ALB's own DNS name does not match its certificate: never "healthy".
    const wrongName = await probeHealth(primaryAlb.url, {
      timeoutMs: 2_000,
      hostname: "alb.example.net",
      tlsProbe: trusting,
    });
    assert.deepEqual([wrongName.healthy, wrongName.errorClass], [false, "tls"]);
  } finally {
    await primaryAlb.close();
    pki.remove();
  }
});

Deno.test("failover handler: an unexpected error is rethrown after a failure notification", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext("rds.describeGlobalClusters", awsError("AccessDeniedException", "not authorized"));
  await assert.rejects(
    w.handler(alarmEvent(), lambdaContext()),
    /step "aurora-promote" failed: not authorized/,
  );
  assert.match(w.aws.sns.published[0].Subject!, /FAILOVER FAILED at step aurora-promote/);
  assert.ok(w.logs.some((l) => l.level === "error" && l.attributes?.errorClass === "AccessDeniedException"));
});

Deno.test("emfMetricSink() writes EMF with exactly Region and Role, plus Step on step durations", () => {
  const metrics = new Metrics({ namespace: "TransactionDR/dev", serviceName: "failover-orchestrator" });
  const lines: string[] = [];
  // Powertools writes EMF through its own console; capture it.
  (metrics as unknown as { console: { log(line: string): void } }).console = {
    log: (line) => lines.push(line),
  };
  const sink = emfMetricSink(metrics, REGION, "secondary");
  sink.emit("RecoverySeconds", "Seconds", 200);
  sink.emit("FailoverStepSeconds", "Seconds", 20, "aurora-promote");
  sink.emit("FailoverInvoked", "Count", 1);

  const docs = lines.map((l) => JSON.parse(l));
  assert.equal(docs.length, 3);
  const [recovery, step, invoked] = docs;
  assert.deepEqual(recovery._aws.CloudWatchMetrics[0].Dimensions, [["Region", "Role"]]);
  assert.equal(recovery._aws.CloudWatchMetrics[0].Namespace, "TransactionDR/dev");
  assert.deepEqual(recovery._aws.CloudWatchMetrics[0].Metrics, [{
    Name: "RecoverySeconds",
    Unit: "Seconds",
  }]);
  assert.deepEqual([recovery.Region, recovery.Role, recovery.RecoverySeconds], [REGION, "secondary", 200]);
  assert.equal(recovery.service, undefined);
  assert.deepEqual(step._aws.CloudWatchMetrics[0].Dimensions, [["Region", "Role", "Step"]]);
  assert.equal(step.Step, "aurora-promote");
  assert.deepEqual(invoked._aws.CloudWatchMetrics[0].Dimensions, [["Region", "Role"]], "Step does not leak");
  assert.equal(invoked.Step, undefined);
});

// ---------------------------------------------------------------------------------------------------------
// the runner and the failback steps

Deno.test("backoffDelayMs() doubles per attempt up to the cap, with full jitter", async () => {
  const policy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1_000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, () => 0.999)), [
    200,
    400,
    799,
    999,
    999,
  ]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelayMs(n, policy, () => 0)), [0, 0, 0]);

  let attempts = 0;
  await assert.rejects(
    withRetry(() => {
      attempts++;
      return Promise.reject(awsError("ValidationError", "bad input"));
    }, { policy, sleep: () => Promise.resolve(), random: () => 0.5 }),
    /bad input/,
  );
  assert.equal(attempts, 1, "client errors are not retried");
});

function failbackWorld() {
  const log = new CallLog();
  const rds = new FakeRds(log);
  rds.secondaryIsWriter(); // after a managed failover the old primary rejoined as a reader
  const autoScaling = new FakeAutoScaling(log);
  autoScaling.group = { min: 4, desired: 4, max: 6 };
  const fenced: number[] = [];
  const clock = { now: CLOCK_START };
  const ctx: FailbackContext = {
    targets: {
      globalClusterId: GLOBAL_ID,
      primaryClusterArn: PRIMARY_ARN,
      primaryClusterId: PRIMARY_ID,
      primaryRegion: PRIMARY_REGION,
      secondaryRegion: REGION,
      secondaryAsgName: ASG,
      standbyMinSize: 1,
      standbyDesiredCapacity: 1,
      activeRegionParameter: ACTIVE_PARAM,
      switchoverDeadlineAt: CLOCK_START + 600_000,
      pollIntervalMs: POLL_MS,
    },
    rds,
    autoScaling,
    ssm: {
      primary: new FakeSsm(log, "ssm-primary", { [ACTIVE_PARAM]: PRIMARY_REGION }),
      secondary: new FakeSsm(log, "ssm-secondary", { [ACTIVE_PARAM]: REGION }),
    },
    fence: {
      emit: (value) => {
        fenced.push(value);
        log.calls.push({ service: "metrics", method: "PrimaryFenced", input: value, mutating: true });
      },
    },
  };
  const logs: string[] = [];
  const options = (dryRun = false) => ({
    dryRun,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    log: {
      info: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    },
  });
  return { log, rds, autoScaling, ctx, fenced, options };
}

Deno.test("failbackSteps(): switchover back, activeRegion in both regions, unfence, standby capacity", async () => {
  const w = failbackWorld();
  const report = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.equal(report.ok, true);
  assert.deepEqual(report.steps.map((s) => [s.step, s.status]), [
    ["aurora-switchover", "done"],
    ["active-region", "done"],
    ["primary-unfenced", "done"],
    ["standby-capacity", "done"],
  ]);
  assert.deepEqual(w.log.mutations(), [
    "rds.switchoverGlobalCluster",
    "ssm-secondary.putParameter", // the primary's copy already said us-east-1
    "metrics.PrimaryFenced",
    "autoscaling.updateAutoScalingGroup",
  ]);
  assert.deepEqual(w.log.calls.find((c) => c.method === "switchoverGlobalCluster")!.input, {
    GlobalClusterIdentifier: GLOBAL_ID,
    TargetDbClusterIdentifier: PRIMARY_ARN,
  });
  assert.ok(w.rds.members.find((m) => m.arn === PRIMARY_ARN)!.writer);
  for (const ssm of [w.ctx.ssm.primary, w.ctx.ssm.secondary]) {
    assert.equal((ssm as FakeSsm).params.get(ACTIVE_PARAM), PRIMARY_REGION);
  }
  assert.deepEqual(w.fenced, [0]);
  assert.deepEqual(w.autoScaling.group, { min: 1, desired: 1, max: 6 });

  // Running it again changes nothing.
  const again = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.deepEqual(again.steps.map((s) => s.status), [
    "already-done",
    "already-done",
    "done",
    "already-done",
  ]);
  assert.equal(w.log.count("switchoverGlobalCluster"), 1);
});

Deno.test("failbackSteps(): switchover refused midway → stops there, no data-loss fallback; the re-run completes", async () => {
  const w = failbackWorld();
  w.log.failNext(
    "rds.switchoverGlobalCluster",
    awsError("InvalidGlobalClusterStateFault", "The secondary cluster is not in sync (pending-resync)"),
  );
  await assert.rejects(runSteps(failbackSteps(), w.ctx, w.options()), (error: unknown) => {
    assert.ok(error instanceof StepFailedError);
    assert.equal(error.step, "aurora-switchover");
    assert.match(error.message, /switchover refused \(InvalidGlobalClusterStateFault/);
    assert.deepEqual(error.report.steps.map((s) => s.status), ["failed"]);
    return true;
  });
  assert.deepEqual(
    w.log.mutations(),
    ["rds.switchoverGlobalCluster"],
    "only the refused request: nothing after it",
  );
  assert.equal(w.log.count("removeFromGlobalCluster") + w.log.count("failoverGlobalCluster"), 0);
  assert.deepEqual(w.autoScaling.group, { min: 4, desired: 4, max: 6 });

  // A switchover that Aurora starts and then cancels also stops the run.
  const cancelled = failbackWorld();
  cancelled.rds.pollsToComplete = Infinity;
  const describe = cancelled.rds.describeGlobalClusters.bind(cancelled.rds);
  cancelled.rds.describeGlobalClusters = async (input) => {
    const out = await describe(input);
    const global = out.GlobalClusters[0];
    if (global.FailoverState) global.FailoverState = { ...global.FailoverState, Status: "cancelling" };
    return out;
  };
  await assert.rejects(
    runSteps(failbackSteps(), cancelled.ctx, cancelled.options()),
    /cancelling the switchover/,
  );
  assert.deepEqual(cancelled.fenced, []);

  // Replication caught up: the same steps, re-run, complete.
  const report = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.equal(report.ok, true);
  assert.equal(w.log.count("switchoverGlobalCluster"), 2);
  assert.deepEqual(w.autoScaling.group, { min: 1, desired: 1, max: 6 });
});

Deno.test("failbackSteps(): dry run reports the plan, and a detached primary blocks the switchover", async () => {
  const w = failbackWorld();
  const plan = await runSteps(failbackSteps(), w.ctx, w.options(true));
  assert.deepEqual(plan.steps.map((s) => s.status), ["would-run", "would-run", "would-run", "would-run"]);
  assert.match(plan.steps[0].detail, /would call SwitchoverGlobalCluster/);
  assert.deepEqual(w.log.mutations(), []);

  const detached = failbackWorld();
  detached.rds.members = detached.rds.members.filter((m) => m.arn !== PRIMARY_ARN);
  detached.rds.describeDBClusters = () =>
    Promise.resolve({
      DBClusters: [{ DBClusterIdentifier: PRIMARY_ID, Status: "available" }],
    });
  await assert.rejects(
    runSteps(failbackSteps(), detached.ctx, detached.options()),
    /primary cluster is detached/,
  );
  assert.deepEqual(detached.log.mutations(), []);
});
