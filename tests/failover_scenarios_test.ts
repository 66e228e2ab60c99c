// The orchestrator's side of issue "Failover you can trust": one scenario per defect, each failing on the
// orchestrator before the state-machine rewrite. (The decision rule and DNS have their scenarios over the
// synthesized alarms and records in decision_model_test.ts.)

import assert from "node:assert/strict";
import { loadFailoverConfig } from "../handlers/failover.ts";
import { HANDLER_ENV, type LimitName, LIMITS } from "../handlers/lib/contract.ts";
import { ConfigError } from "../handlers/lib/settings.ts";
import { awsError, PRIMARY_ARN, REGION, SECONDARY_ARN } from "./fake_aws.ts";
import {
  alarmEvent,
  lambdaContext,
  POLL_SECONDS,
  startPrimary,
  stepStatuses,
  testEnv,
  world,
} from "./failover_world.ts";

const regionDown = () => awsError("TimeoutError", "connect ETIMEDOUT rds.us-east-1.amazonaws.com");

Deno.test("scenario: Aurora refuses the managed failover → never detach-and-promote (no split brain); the retry asks again", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.primaryUnreachable = regionDown();
  w.aws.rds.refuse.add("failover");

  await assert.rejects(w.handler(alarmEvent(), lambdaContext()), /Aurora refused the failover/);
  assert.deepEqual(
    w.log.mutations().filter((m) => m.startsWith("rds.")),
    ["rds.failoverGlobalCluster"],
    "nothing but the refused request: no RemoveFromGlobalCluster, no promotion of a detached copy",
  );
  assert.ok(w.aws.rds.member(PRIMARY_ARN).writer, "the old primary stays the one writer");
  assert.match(w.aws.sns.published[0].Message!, /nothing was detached/);

  w.aws.rds.refuse.delete("failover");
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over");
  assert.ok(w.aws.rds.member(SECONDARY_ARN).writer);
  assert.equal(w.aws.rds.members.filter((m) => m.writer).length, 1, "exactly one writer");
});

Deno.test("scenario: a retry after the promotion started continues it even if the primary answers again", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.primaryUnreachable = regionDown();
  w.aws.rds.pollsToComplete = Infinity;
  await assert.rejects(w.handler(alarmEvent(), lambdaContext(40_000)), /is not the writer by/);
  assert.equal(w.log.count("failoverGlobalCluster"), 1);

  // The primary's load balancer answers again while Aurora's failover, started above, still runs.
  primary.status = 200;
  w.aws.rds.transition!.remainingPolls = 2;
  const retry = await w.newHandler()(alarmEvent(), lambdaContext());
  assert.equal(retry.outcome, "failed-over", "not 'aborted-primary-healthy'");
  assert.equal(primary.requests, 1, "no re-probe once something has started");
  assert.equal(stepStatuses(retry)["active-region"], "done");
  assert.equal(stepStatuses(retry)["primary-fenced"], "done");
  assert.equal(w.aws.ssm.params.get("/txn/dev/failover/active-region"), REGION);
});

Deno.test("scenario: capacity is raised first and never lowered below what target tracking already runs", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.primaryUnreachable = regionDown();
  // DNS already moved: target tracking scaled the standby to 6 (max 8) before the orchestrator ran.
  w.aws.autoScaling.group = { min: 1, desired: 6, max: 8 };
  w.aws.autoScaling.inService = 6;

  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.deepEqual(
    w.aws.autoScaling.group,
    { min: 4, desired: 6, max: 8 },
    "desired 6 kept, min raised to 4",
  );
  const mutations = w.log.mutations();
  assert.ok(
    mutations.indexOf("autoscaling.updateAutoScalingGroup") < mutations.indexOf("rds.failoverGlobalCluster"),
    "capacity is asked for before the promotion (it runs in parallel with it)",
  );
});

Deno.test("scenario: primary app tier down, database healthy → switchover (RPO 0), not a data-loss failover", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  // The primary region's RDS API answers: the cluster is available and the standby is connected.
  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(report.promotion, "switchover");
  assert.equal(report.dataLossPossible, false);
  assert.equal(w.log.count("failoverGlobalCluster"), 0);
  assert.equal(w.log.count("switchoverGlobalCluster"), 1);
  assert.match(w.aws.sns.published[0].Message!, /Promotion: switchover \(graceful, no data loss\)/);
  assert.doesNotMatch(w.aws.sns.published[0].Message!, /AllowDataLoss: transactions/);

  // Replication not connected, or seen stalled by the standby's checker: no switchover is possible.
  for (
    const degrade of [
      (x: typeof w) => (x.aws.rds.member(SECONDARY_ARN).sync = "pending-resync"),
      (x: typeof w) =>
        x.aws.alarms.set(
          "dr-replication-stalled-us-east-2-dev",
          "ReplicationStalled",
          "ALARM",
          "2025-01-01T00:01:40.000+0000",
        ),
    ]
  ) {
    const other = world(primary.url);
    degrade(other);
    const degraded = await other.handler(alarmEvent(), lambdaContext());
    assert.equal(degraded.promotion, "failover");
    assert.equal(other.log.count("switchoverGlobalCluster"), 0);
  }
});

Deno.test("scenario: a refused switchover falls back to the failover the quorum decided, never to a detach", async () => {
  await using primary = startPrimary(503);
  const w = world(primary.url);
  w.aws.rds.refuse.add("switchover");
  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.promotion, "failover");
  assert.deepEqual(w.log.mutations().filter((m) => m.startsWith("rds.")), [
    "rds.switchoverGlobalCluster",
    "rds.failoverGlobalCluster",
  ]);
  const notes = report.steps.find((s) => s.step === "aurora-promote")!.notes;
  assert.match(notes[1], /failover: .*the switchover was refused \(InvalidGlobalClusterStateFault/);
});

Deno.test("scenario: 'modifying' or 'upgrading' is maintenance, not a failover in progress: act at once", async () => {
  for (const status of ["modifying", "upgrading"]) {
    await using primary = startPrimary(503);
    const w = world(primary.url);
    w.aws.rds.primaryUnreachable = regionDown();
    w.aws.rds.status = status;
    w.aws.rds.refuse.add("failover");
    const started = w.clock.now;
    // Aurora refuses while it is busy: the invocation fails at once (its retry asks again), no wait to a deadline.
    await assert.rejects(w.handler(alarmEvent(), lambdaContext()), /Aurora refused the failover/);
    assert.equal(w.log.count("failoverGlobalCluster"), 1, `${status}: asked, not waited`);
    assert.ok(w.clock.now - started < POLL_SECONDS * 1000, `${status}: no polling before asking`);

    w.aws.rds.status = "available";
    w.aws.rds.refuse.clear();
    const retry = await w.newHandler()(alarmEvent(), lambdaContext());
    assert.equal(retry.outcome, "failed-over", status);
  }
});

Deno.test("scenario: a switchover towards the standby already running is awaited, not repeated", async () => {
  await using primary = startPrimary(200);
  const w = world(primary.url);
  await w.aws.rds.switchoverGlobalCluster({ TargetDbClusterIdentifier: SECONDARY_ARN });
  w.aws.rds.transition!.remainingPolls = 3;
  const report = await w.handler(alarmEvent(), lambdaContext());
  assert.equal(report.outcome, "failed-over");
  assert.equal(primary.requests, 0, "under way: no probe, even though the primary would answer");
  assert.equal(w.log.count("switchoverGlobalCluster"), 1);
  assert.equal(w.log.count("failoverGlobalCluster"), 0);
});

Deno.test("scenario: every limit synth and the orchestrator share is enforced from one definition", () => {
  const orchestratorVariables: Partial<Record<LimitName, string>> = {
    rtoTargetSeconds: HANDLER_ENV.rtoTargetSeconds,
    checkTimeoutMs: HANDLER_ENV.checkTimeoutMs,
    failoverCapacity: HANDLER_ENV.failoverCapacity,
    auroraPromotionSeconds: HANDLER_ENV.auroraPromotionSeconds,
    pollIntervalSeconds: HANDLER_ENV.pollIntervalSeconds,
  };
  for (const [name, variable] of Object.entries(orchestratorVariables) as [LimitName, string][]) {
    const { min, max } = LIMITS[name];
    for (const ok of [min, max]) {
      assert.doesNotThrow(
        () => loadFailoverConfig(testEnv("http://127.0.0.1:1/", { [variable]: String(ok) })),
        variable,
      );
    }
    for (const bad of [min - 1, max + 1]) {
      assert.throws(
        () => loadFailoverConfig(testEnv("http://127.0.0.1:1/", { [variable]: String(bad) })),
        (error: unknown) =>
          error instanceof ConfigError && error.problems[0].startsWith(`${variable}="${bad}"`),
        `${variable}=${bad}`,
      );
    }
  }
  // The value the issue found: synth accepted 7200 s, the orchestrator refused it at every cold start.
  assert.throws(() => loadFailoverConfig(testEnv("http://127.0.0.1:1/", { RTO_TARGET_SECONDS: "7200" })));
  assert.equal(LIMITS.rtoTargetSeconds.max, 3600);
});
