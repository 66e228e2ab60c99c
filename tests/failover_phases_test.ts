// measurePhases() (handlers/lib/failover_phases.ts): where each measured phase of a failover starts and ends.
// The whole orchestrator's figures are checked end to end in failover_handler_test.ts.

import assert from "node:assert/strict";
import type { FailoverRequest } from "../handlers/lib/failover_event.ts";
import { measurePhases } from "../handlers/lib/failover_phases.ts";
import type { StepRecord } from "../handlers/lib/steps.ts";

const at = (hhmmss: string) => Date.parse(`2025-01-01T${hhmmss}Z`);
const alarm: FailoverRequest = {
  kind: "alarm",
  alarmName: "dr-failover-quorum-us-east-2-dev",
  stateChangedAt: "2025-01-01T00:02:00.000+0000",
};
const STARTED = at("00:02:10");

function capacityStep(status: StepRecord["status"], startedAt: string): StepRecord {
  return {
    step: "full-capacity",
    action: "wait",
    status,
    detail: "",
    notes: [],
    startedAt: `2025-01-01T${startedAt}.000Z`,
    durationMs: 0,
    calls: 1,
    retries: 0,
  };
}

Deno.test("measurePhases(): an alarm's recovery starts at the first failed probe, never after the decision", () => {
  const marks = { writableAt: at("00:05:20"), fullCapacityAt: at("00:06:00") };
  const fromAlarms = measurePhases(alarm, STARTED, { lines: [], detectedAt: at("00:01:30") }, marks, []);
  assert.deepEqual(fromAlarms, {
    phases: { decisionSeconds: 30, writableSeconds: 200, fullCapacitySeconds: 40 },
    recoverySeconds: 230,
  });

  // A datapoint stamped after the state change (clock skew) does not shorten the recovery.
  const late = measurePhases(alarm, STARTED, { lines: [], detectedAt: at("00:02:30") }, marks, []);
  assert.equal(late.phases.decisionSeconds, 0);
  assert.equal(late.recoverySeconds, 200);

  // Without the alarms' evidence: the event's own first failed period, else the decision.
  const fromEvent = { ...alarm, failingSince: "2025-01-01T00:01:00.000+0000" };
  assert.equal(measurePhases(fromEvent, STARTED, { lines: [] }, marks, []).recoverySeconds, 260);
  assert.equal(measurePhases(alarm, STARTED, { lines: [] }, marks, []).recoverySeconds, 200);
});

Deno.test("measurePhases(): a person's decision has no decision phase and counts from the invocation", () => {
  const manual: FailoverRequest = { kind: "manual", reason: "INC-7", force: false };
  const measured = measurePhases(manual, STARTED, { lines: [] }, { writableAt: at("00:03:10") }, []);
  assert.deepEqual(measured, { phases: { writableSeconds: 60 }, recoverySeconds: 60 });
});

Deno.test("measurePhases(): capacity already in service counts from the step's look; no writer, no recovery", () => {
  const steps = [capacityStep("already-done", "00:05:25")];
  const measured = measurePhases(alarm, STARTED, { lines: [] }, { writableAt: at("00:05:20") }, steps);
  assert.equal(measured.phases.fullCapacitySeconds, 5);

  // A re-run that found the standby already writing: capacity counts from the decision, nothing else.
  const rerun = measurePhases(alarm, STARTED, { lines: [] }, {}, [capacityStep("already-done", "00:02:40")]);
  assert.deepEqual(rerun, { phases: { decisionSeconds: 0, fullCapacitySeconds: 40 } });
  const stillLaunching = measurePhases(alarm, STARTED, { lines: [] }, {}, [capacityStep("done", "00:02:40")]);
  assert.deepEqual(stillLaunching, { phases: { decisionSeconds: 0 } });
});
