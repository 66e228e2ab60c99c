// Failback (handlers/lib/failback_steps.ts) against the in-memory AWS: the safe order (snapshot kept, writer
// back with no data loss, then DNS, then capacity once traffic has left the standby), refusals, dry runs.

import assert from "node:assert/strict";
import { type FailbackContext, failbackSteps } from "../handlers/lib/failback_steps.ts";
import { runSteps, StepFailedError } from "../handlers/lib/steps.ts";
import {
  ACTIVE_PARAM,
  ASG,
  awsError,
  CallLog,
  CLOCK_START,
  FakeAlarms,
  FakeAutoScaling,
  FakeRds,
  FakeSnapshots,
  FakeSsm,
  GLOBAL_ID,
  PRIMARY_ARN,
  PRIMARY_ID,
  PRIMARY_REGION,
  REGION,
} from "./fake_aws.ts";

const POLL_MS = 10_000;
const FENCE_ALARM = "dr-primary-fenced-us-east-2-dev";
const SETTLE_SECONDS = 90;
const UNPLANNED = `rds:unplanned-global-failover-${PRIMARY_ID}-2025-01-01-00-30`;

/** After an ungraceful failover: the standby writes at full capacity, fenced; the old primary rejoined. */
export function failbackWorld() {
  const log = new CallLog();
  const rds = new FakeRds(log);
  rds.secondaryIsWriter();
  const autoScaling = new FakeAutoScaling(log);
  autoScaling.group = { min: 4, desired: 4, max: 6 };
  const alarms = new FakeAlarms(log);
  alarms.set(FENCE_ALARM, "PrimaryFenced", "ALARM");
  const snapshots = new FakeSnapshots(log);
  snapshots.snapshots.push({
    DBClusterSnapshotIdentifier: UNPLANNED,
    DBClusterIdentifier: PRIMARY_ID,
    SnapshotType: "automated",
  });
  const clock = { now: CLOCK_START };
  /** The fence alarm follows the metric a minute (one period) after the fence is cleared. */
  let fenceClearedAt: number | undefined;
  const describe = alarms.describeAlarms.bind(alarms);
  alarms.describeAlarms = (input) => {
    if (fenceClearedAt !== undefined && clock.now >= fenceClearedAt + 60_000) {
      alarms.set(FENCE_ALARM, "PrimaryFenced", "OK");
    }
    return describe(input);
  };
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
      fenceAlarmName: FENCE_ALARM,
      dnsSettleSeconds: SETTLE_SECONDS,
      switchoverDeadlineAt: CLOCK_START + 900_000,
      pollIntervalMs: POLL_MS,
    },
    rds,
    snapshots,
    alarms,
    autoScaling,
    ssm: {
      primary: new FakeSsm(log, "ssm-primary", { [ACTIVE_PARAM]: REGION }),
      secondary: new FakeSsm(log, "ssm-secondary", { [ACTIVE_PARAM]: REGION }),
    },
    fence: {
      emit: (value) => {
        if (value === 0) fenceClearedAt = clock.now;
        log.calls.push({ service: "metrics", method: "PrimaryFenced", input: value, mutating: true });
      },
    },
  };
  const options = (dryRun = false) => ({
    dryRun,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  return { log, rds, autoScaling, snapshots, alarms, clock, ctx, options };
}

Deno.test("failbackSteps(): snapshot kept, writer back, then DNS, then capacity once traffic has left", async () => {
  const w = failbackWorld();
  const report = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.equal(report.ok, true);
  assert.deepEqual(report.steps.map((s) => [s.step, s.status]), [
    ["keep-unplanned-snapshot", "done"],
    ["aurora-switchover", "done"],
    ["active-region", "done"],
    ["primary-unfenced", "done"],
    ["traffic-drained", "done"],
    ["standby-capacity", "done"],
  ]);
  assert.deepEqual(w.log.mutations(), [
    "rds-primary.copyDBClusterSnapshot",
    "rds.switchoverGlobalCluster",
    "ssm-primary.putParameter",
    "ssm-secondary.putParameter",
    "metrics.PrimaryFenced",
    "autoscaling.updateAutoScalingGroup",
  ]);
  assert.deepEqual(w.log.calls.find((c) => c.method === "switchoverGlobalCluster")!.input, {
    GlobalClusterIdentifier: GLOBAL_ID,
    TargetDbClusterIdentifier: PRIMARY_ARN,
  });
  assert.ok(w.rds.member(PRIMARY_ARN).writer);

  // The order in time: DNS moves only after the switchover completed; capacity only after the fence alarm is
  // OK and Route 53 + resolver caches had their time.
  const at = (step: string) => report.steps.find((s) => s.step === step)!;
  const end = (step: string) => Date.parse(at(step).startedAt) + at(step).durationMs;
  assert.ok(Date.parse(at("active-region").startedAt) >= end("aurora-switchover"));
  assert.ok(
    at("traffic-drained").durationMs >= 60_000 + SETTLE_SECONDS * 1000,
    "waited for the alarm and DNS",
  );
  assert.ok(Date.parse(at("standby-capacity").startedAt) >= end("traffic-drained"));
  assert.deepEqual(w.autoScaling.group, { min: 1, desired: 1, max: 6 });

  const kept = w.snapshots.snapshots.find((s) => s.SnapshotType === "manual")!;
  assert.equal(
    kept.DBClusterSnapshotIdentifier,
    `kept-unplanned-global-failover-${PRIMARY_ID}-2025-01-01-00-30`,
  );
  assert.match(
    at("keep-unplanned-snapshot").detail,
    /kept rds:unplanned-global-failover-.* -> kept-unplanned/,
  );

  // Running it again changes nothing (the fence is re-emitted, the drain re-observed).
  const again = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.deepEqual(again.steps.map((s) => s.status), [
    "already-done",
    "already-done",
    "already-done",
    "done",
    "done",
    "already-done",
  ]);
  assert.equal(w.log.count("switchoverGlobalCluster"), 1);
  assert.equal(w.log.count("copyDBClusterSnapshot"), 1);
});

Deno.test("failbackSteps(): a fence alarm that never clears stops before the standby shrinks", async () => {
  const w = failbackWorld();
  w.alarms.describeAlarms = async (input) => {
    await w.log.record("cloudwatch", "describeAlarms", input);
    return { MetricAlarms: [{ AlarmName: FENCE_ALARM, StateValue: "ALARM" }] };
  };
  await assert.rejects(runSteps(failbackSteps(), w.ctx, w.options()), /DNS has not left the standby/);
  assert.deepEqual(w.autoScaling.group, { min: 4, desired: 4, max: 6 }, "the standby keeps serving");
});

Deno.test("failbackSteps(): switchover refused → stops there, no data-loss fallback; the re-run completes", async () => {
  const w = failbackWorld();
  w.log.failNext(
    "rds.switchoverGlobalCluster",
    awsError("InvalidGlobalClusterStateFault", "The secondary cluster is not in sync (pending-resync)"),
  );
  await assert.rejects(runSteps(failbackSteps(), w.ctx, w.options()), (error: unknown) => {
    assert.ok(error instanceof StepFailedError);
    assert.equal(error.step, "aurora-switchover");
    assert.match(error.message, /switchover refused \(InvalidGlobalClusterStateFault/);
    return true;
  });
  assert.deepEqual(w.log.mutations(), ["rds-primary.copyDBClusterSnapshot", "rds.switchoverGlobalCluster"]);
  assert.equal(w.log.count("failoverGlobalCluster"), 0);
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
    /cancelling a switchover/,
  );
  assert.equal(cancelled.log.count("PrimaryFenced"), 0);

  const report = await runSteps(failbackSteps(), w.ctx, w.options());
  assert.equal(report.ok, true);
  assert.equal(w.log.count("switchoverGlobalCluster"), 2);
});

Deno.test("failbackSteps(): dry run reports the plan; a primary that is no member blocks the switchover", async () => {
  const w = failbackWorld();
  const plan = await runSteps(failbackSteps(), w.ctx, w.options(true));
  assert.deepEqual(plan.steps.map((s) => s.status), Array(6).fill("would-run"));
  assert.match(plan.steps[0].detail, /would copy rds:unplanned-global-failover-/);
  assert.match(plan.steps[1].detail, /would call SwitchoverGlobalCluster/);
  assert.deepEqual(w.log.mutations(), []);

  const removed = failbackWorld();
  removed.rds.members = removed.rds.members.filter((m) => m.arn !== PRIMARY_ARN);
  await assert.rejects(runSteps(failbackSteps(), removed.ctx, removed.options()), /is not a member/);
  assert.deepEqual(removed.log.mutations(), ["rds-primary.copyDBClusterSnapshot"]);
});
