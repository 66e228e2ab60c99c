// The failover orchestrator's behaviour against the in-memory AWS of fake_aws.ts and a real HTTP "primary" on
// loopback (tests/failover_world.ts): events and configuration, the happy paths, retries, the lock, drills.
// The defects of issue "Failover you can trust" have their own scenarios in failover_scenarios_test.ts.

import assert from "node:assert/strict";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { emfMetricSink, loadFailoverConfig, parseFailoverEvent } from "../handlers/failover.ts";
import { ConfigError } from "../handlers/lib/settings.ts";
import { earliestDatapoint, EventValidationError } from "../handlers/lib/failover_event.ts";
import { probeHealth } from "../handlers/lib/failover_probe.ts";
import { tlsProbe } from "../handlers/lib/https_probe.ts";
import { StepFailedError } from "../handlers/lib/steps.ts";
import { createTestPki, startHttpsServer } from "./tls_fixture.ts";
import {
  ACTIVE_PARAM,
  ALARM_AT,
  awsError,
  GLOBAL_ID,
  PRIMARY_ARN,
  PRIMARY_REGION,
  REGION,
  SECONDARY_ARN,
  SECONDARY_ID,
  throttling,
} from "./fake_aws.ts";
import {
  alarmEvent,
  lambdaContext,
  POLL_SECONDS,
  QUORUM_ALARM,
  refusedUrl,
  startPrimary,
  stepStatuses,
  testEnv,
  world,
} from "./failover_world.ts";

const POLL_MS = POLL_SECONDS * 1000;
const regionDown = () => awsError("TimeoutError", "connect ETIMEDOUT rds.us-east-1.amazonaws.com");

// ---------------------------------------------------------------------------------------------------------
// events and configuration

Deno.test("parseFailoverEvent() accepts an alarm event, a drill and a manual request", () => {
  assert.deepEqual(parseFailoverEvent(alarmEvent()), {
    kind: "alarm",
    alarmName: QUORUM_ALARM,
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
    PRIMARY_REGION: REGION,
    POLL_INTERVAL_SECONDS: "0",
  });
  delete env.TOPIC_ARN;
  assert.throws(() => loadFailoverConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'REGION_ROLE="primary": must be "secondary": the orchestrator runs in the standby region',
      `PEER_HEALTH_URL="primary.example.com": must be an http(s) URL of the primary's deep-health path`,
      `PRIMARY_REGION="${REGION}": must be a region other than this function's (AWS_REGION)`,
      `PRIMARY_CLUSTER_ARN="${PRIMARY_ARN}": must be an RDS cluster ARN in PRIMARY_REGION`,
      `SECONDARY_CLUSTER_ARN="arn:aws:rds:${PRIMARY_REGION}:123456789012:cluster:${SECONDARY_ID}": ` +
      "must be an RDS cluster ARN in this function's region (AWS_REGION)",
      'FAILOVER_CAPACITY="0": must be an integer between 1 and 1000',
      "TOPIC_ARN: is not set; must be an SNS topic ARN",
      'AUTO_FAILOVER="yes": must be true or false',
      'POLL_INTERVAL_SECONDS="0": must be an integer between 1 and 60',
    ]);
    return true;
  });
  const config = loadFailoverConfig(testEnv("https://primary.dr.example.com/health/deep"));
  assert.equal(config.autoFailover, true);
  assert.equal(config.failoverCapacity, 4);
  assert.equal(config.region, REGION);
  assert.equal(config.decisionAlarmNames.length, 3);
});

Deno.test("loadFailoverConfig(): an empty optional variable is an error, never taken for unset", () => {
  const url = "https://primary.dr.example.com/health/deep";
  assert.equal(loadFailoverConfig(testEnv(url)).appHostname, undefined, "unset: no host name");
  assert.throws(() => loadFailoverConfig(testEnv(url, { APP_HOSTNAME: "" })), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'APP_HOSTNAME="": is set but empty; must be a lowercase DNS name (or unset)',
    ]);
    return true;
  });
});

// ---------------------------------------------------------------------------------------------------------
// failover

/** The primary region is gone: its RDS API times out and its Parameter Store cannot be written. */
function regionLost(w: ReturnType<typeof world>): void {
  w.aws.rds.primaryUnreachable = regionDown();
  w.log.failNext("ssm-primary.putParameter", regionDown());
}

Deno.test("failover handler: region lost → capacity first, failover with data loss, fence, timeline, phases", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  const report = await w.handler(alarmEvent(), lambdaContext());

  assert.equal(primary.requests, 1, "nothing had started: one fresh probe of the primary");
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.ok, true);
  assert.equal(report.promotion, "failover");
  assert.equal(report.dataLossPossible, true);
  assert.deepEqual(stepStatuses(report), {
    "verify-primary-down": "done",
    "standby-capacity": "done",
    "aurora-promote": "done",
    "active-region": "done",
    "primary-fenced": "done",
    "full-capacity": "already-done",
  });
  assert.deepEqual(w.log.mutations(), [
    "dynamodb.PutItem", // the lock
    "autoscaling.updateAutoScalingGroup",
    "rds.failoverGlobalCluster",
    "ssm.putParameter",
    "ssm-primary.putParameter", // tried; the region is gone
    "metrics.PrimaryFenced",
    "sns.publish",
    "dynamodb.UpdateItem", // the lock record completed with the report
  ]);
  assert.deepEqual(w.log.calls.find((c) => c.method === "failoverGlobalCluster")!.input, {
    GlobalClusterIdentifier: GLOBAL_ID,
    TargetDbClusterIdentifier: SECONDARY_ARN,
    AllowDataLoss: true,
  });
  assert.equal(w.log.count("switchoverGlobalCluster"), 0);
  assert.deepEqual(w.aws.autoScaling.group, { min: 4, desired: 4, max: 6 }, "max kept");
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), REGION);
  assert.ok(w.aws.rds.member(SECONDARY_ARN).writer);
  assert.deepEqual(w.sleeps, [POLL_MS, POLL_MS], "polled Aurora until the standby was the writer");

  // First failed probe 00:01:30 (the alarms' datapoints), decision 00:02:00, writable 00:05:20.
  assert.deepEqual(report.phases, { decisionSeconds: 30, writableSeconds: 200, fullCapacitySeconds: 0 });
  assert.equal(report.recoverySeconds, 230);
  const byName = (name: string) => w.emitted.filter((m) => m.name === name).map((m) => m.value);
  assert.deepEqual(byName("FailoverDecisionSeconds"), [30]);
  assert.deepEqual(byName("FailoverWritableSeconds"), [200]);
  assert.deepEqual(byName("FailoverFullCapacitySeconds"), [0]);
  assert.deepEqual(byName("RecoverySeconds"), [230]);
  assert.deepEqual(byName("FailoverInvoked"), [1]);
  assert.deepEqual(byName("PrimaryFenced"), [1]);

  assert.equal(w.aws.sns.published.length, 1);
  const { Subject, Message, TopicArn } = w.aws.sns.published[0];
  assert.equal(TopicArn, w.config.topicArn);
  assert.equal(Subject, "[DR] Failover completed: writes now served by us-east-2");
  assert.match(Message!, new RegExp(`Trigger: alarm "${QUORUM_ALARM}" entered ALARM`));
  assert.match(Message!, /dr-primary-down-witness-us-east-2-dev: ALARM/);
  assert.match(Message!, /Promotion: failover \(AllowDataLoss\)/);
  assert.match(Message!, /Recovery time \(first failed probe -> writable\): 230 s/);
  assert.match(Message!, /first failed probe -> decision: 30 s/);
  assert.match(Message!, /\+0\.0s {2}aurora-promote\s+done\s+20\.0s/);
  assert.match(Message!, /the primary cluster did not answer \(TimeoutError/);
  assert.match(Message!, /snapshot named rds:unplanned-global-failover-txn-primary-dev-<time>/);
  assert.match(Message!, /the us-east-1 copy was not written/);
});

Deno.test("failover handler: already failed over → no AWS change, reported as such", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.secondaryIsWriter();
  w.aws.autoScaling.group = { min: 4, desired: 5, max: 6 };
  w.aws.autoScaling.inService = 5;
  w.aws.ssm.params.set(ACTIVE_PARAM, REGION);

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "already-failed-over");
  assert.equal(primary.requests, 0, "observed state says done: no re-probe");
  assert.equal(report.recoverySeconds, undefined);
  assert.equal(report.dataLossPossible, false);
  for (
    const step of [
      "verify-primary-down",
      "standby-capacity",
      "aurora-promote",
      "active-region",
      "full-capacity",
    ]
  ) {
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

Deno.test("failover handler: throttling is retried with exponential backoff and jitter", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  w.log.failNext("rds.describeGlobalClusters", throttling(), throttling());
  w.log.failNext("rds.failoverGlobalCluster", throttling());
  w.log.failNext(
    "ssm.putParameter",
    awsError("InternalServerError", "oops", { $metadata: { httpStatusCode: 500 } }),
  );

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.steps.find((s) => s.step === "aurora-promote")!.retries, 1);
  assert.equal(report.steps.find((s) => s.step === "active-region")!.retries, 1);
  assert.equal(w.log.count("failoverGlobalCluster"), 2, "the throttled request, then the accepted one");
  // random() = 0.5: half of 200 ms, 400 ms for the first two retries of a call; then Aurora polling.
  assert.deepEqual(w.sleeps, [100, 200, 100, POLL_MS, POLL_MS, 100]);
  assert.equal(w.logs.filter((l) => l.message === "transient AWS error, retrying").length, 2, "in steps");
});

Deno.test("failover handler: persistent throttling is bounded and fails the invocation", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext("autoscaling.describeAutoScalingGroups", ...Array.from({ length: 10 }, throttling));

  await assert.rejects(w.handler(alarmEvent(), lambdaContext()), (error: unknown) => {
    assert.ok(error instanceof StepFailedError);
    assert.equal(error.step, "standby-capacity");
    return true;
  });
  assert.equal(w.log.count("describeAutoScalingGroups"), 5, "maxAttempts = 5");
  assert.deepEqual(w.sleeps.slice(-4), [100, 200, 400, 800]);
});

Deno.test("failover handler: a step failing midway fails the invocation; the retry continues from observed state", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  w.log.failNext("ssm.putParameter", awsError("AccessDenied", "not authorized to perform ssm:PutParameter"));

  await assert.rejects(
    w.handler(alarmEvent(), lambdaContext()),
    /step "active-region" failed: not authorized/,
  );
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.equal(w.emitted.filter((m) => m.name === "PrimaryFenced").length, 0, "later steps did not run");
  assert.equal(w.aws.sns.published.length, 1, "the failure was notified");
  assert.match(w.aws.sns.published[0].Subject!, /FAILOVER FAILED at step active-region/);
  assert.match(w.aws.sns.published[0].Message!, /error: AccessDenied/);
  assert.equal(w.aws.dynamodb.items.size, 0, "the lock was released so the retry can act");

  // Lambda's async retry: same event, a new container (no memory of the first run).
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over");
  assert.deepEqual(stepStatuses(retry), {
    "verify-primary-down": "already-done",
    "standby-capacity": "already-done",
    "aurora-promote": "already-done",
    "active-region": "done",
    "primary-fenced": "done",
    "full-capacity": "already-done",
  });
  assert.equal(primary.requests, 1, "the retry did not re-probe: the promotion had started");
  assert.equal(w.log.count("failoverGlobalCluster"), 1, "Aurora not asked twice");
  assert.equal(w.aws.ssm.params.get(ACTIVE_PARAM), REGION);
});

Deno.test("failover handler: Aurora slower than the Lambda's time → fails; the retry waits without asking again", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  w.aws.rds.pollsToComplete = Infinity;

  // 60 s of Lambda time left - 30 s margin: the wait is bounded at 30 s.
  await assert.rejects(w.handler(alarmEvent(), lambdaContext(60_000)), /is not the writer by/);
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.ok(w.sleeps.reduce((a, b) => a + b, 0) <= 30_000);

  w.aws.rds.transition!.remainingPolls = 1;
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over");
  assert.equal(w.log.count("failoverGlobalCluster"), 1, "the running failover was awaited, not re-requested");
  assert.equal(primary.requests, 1);
});

Deno.test("failover handler: two concurrent invocations of one event → exactly one acts", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  const [a, b] = await Promise.all([
    w.newHandler()(alarmEvent(), lambdaContext()),
    w.newHandler()(alarmEvent(), lambdaContext()),
  ]);
  assert.deepEqual([a.outcome, b.outcome].sort(), ["failed-over", "in-progress-elsewhere"]);
  assert.equal(w.log.count("failoverGlobalCluster"), 1);
  assert.equal(w.log.count("updateAutoScalingGroup"), 1);
  assert.equal(w.aws.sns.published.length, 1);
  assert.equal(primary.requests, 1, "the loser backed off before probing");
});

Deno.test("failover handler: a repeated event after completion returns the stored report, touching nothing", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  const first = await w.handler(alarmEvent(), lambdaContext());
  const callsAfterFirst = w.log.calls.length;

  const again = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(again.replayed, true);
  assert.deepEqual({ ...again, replayed: undefined }, { ...first, replayed: undefined });
  const extra = w.log.calls.slice(callsAfterFirst).map((c) => `${c.service}.${c.method}`);
  assert.deepEqual(extra, ["dynamodb.PutItem"], "only the refused lock write");

  // A new state change of the alarm is a new key: it acts (here: finds everything done).
  const later = await w.newHandler()(alarmEvent("2025-01-01T01:00:00.000+0000"), lambdaContext());
  assert.equal(later.outcome, "already-failed-over");
});

Deno.test("failover handler: drill reports what it would do and makes no mutating call at all", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  const report = await w.handler({ drill: true }, lambdaContext());

  assert.equal(report.outcome, "drill");
  assert.equal(report.wouldAbort, false);
  assert.equal(report.ok, true);
  assert.deepEqual(w.log.mutations(), [], "no AWS change, no lock write, no SNS, no PrimaryFenced");
  assert.deepEqual(w.emitted, []);
  assert.deepEqual(stepStatuses(report), {
    "verify-primary-down": "done",
    "standby-capacity": "would-run",
    "aurora-promote": "would-run",
    "active-region": "would-run",
    "primary-fenced": "would-run",
    "full-capacity": "would-run",
  });
  const detail = (step: string) => report.steps.find((s) => s.step === step)!.detail;
  assert.match(
    detail("aurora-promote"),
    /would call FailoverGlobalCluster\(txn-global-dev -> .*, AllowDataLoss\)/,
  );
  assert.match(
    detail("standby-capacity"),
    /min 1, desired 1, max 6; would raise min and desired to at least 4/,
  );
  assert.match(detail("active-region"), /= us-east-1; would set us-east-2/);
  assert.deepEqual(w.aws.autoScaling.group, { min: 1, desired: 1, max: 6 });

  // With a healthy primary (region back) the drill says a real run would stop at the probe, or switch over.
  primary.status = 200;
  w.aws.rds.primaryUnreachable = undefined;
  const healthy = await w.handler({ drill: true }, lambdaContext());
  assert.equal(healthy.wouldAbort, true);
  assert.match(
    healthy.steps.find((s) => s.step === "aurora-promote")!.detail,
    /would call SwitchoverGlobalCluster/,
  );
  assert.deepEqual(w.log.mutations(), []);
});

Deno.test("failover handler: AUTO_FAILOVER=false → an alarm only notifies; a manual request still acts", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url, { AUTO_FAILOVER: "false" });
  regionLost(w);
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

Deno.test("failover handler: primary answers healthy before anything started → false alarm; force overrides", async () => {
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
  assert.equal(forced.promotion, "switchover", "the primary cluster is available: no data loss");
  assert.match(w.aws.sns.published.at(-1)!.Message!, /force: primary probe ignored/);
});

Deno.test("failover handler: an unexpected error is rethrown after a failure notification", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.log.failNext(
    "autoscaling.describeAutoScalingGroups",
    awsError("AccessDeniedException", "not authorized"),
  );
  await assert.rejects(
    w.handler(alarmEvent(), lambdaContext()),
    /step "standby-capacity" failed: not authorized/,
  );
  assert.match(w.aws.sns.published[0].Subject!, /FAILOVER FAILED at step standby-capacity/);
  assert.ok(w.logs.some((l) => l.level === "error" && l.attributes?.errorClass === "AccessDeniedException"));
});

Deno.test("failover handler: without readable decision alarms the recovery counts from the decision", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  regionLost(w);
  w.log.failNext("cloudwatch.describeAlarms", awsError("AccessDeniedException", "no"));
  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.phases?.decisionSeconds, 0);
  assert.equal(report.recoverySeconds, 200);
  assert.match(report.evidence![0], /decision alarms not readable \(AccessDeniedException/);
  assert.equal(earliestDatapoint("not json"), undefined);
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
  w.aws.rds.primaryUnreachable = new Error("gone");
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
