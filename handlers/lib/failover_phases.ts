// The measured phases of a failover: first failed probe -> decision -> writable -> full capacity, and the
// recovery time the RTO is about (first failed probe -> writable), from the times the steps marked; then the
// same figures as the metrics the dashboards draw.

import { METRICS } from "./contract.ts";
import type { DecisionEvidence } from "./decision_evidence.ts";
import { type FailoverRequest, parseAlarmTimestamp } from "./failover_event.ts";
import type { FailoverPhases, FailoverReport } from "./failover_report.ts";
import type { MetricSink } from "./failover_runtime.ts";
import type { FailoverMarks } from "./failover_steps.ts";
import type { StepRecord } from "./steps.ts";

const seconds = (fromMs: number | undefined, toMs: number | undefined) =>
  fromMs === undefined || toMs === undefined ? undefined : Math.max(0, Math.round((toMs - fromMs) / 1000));

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

export interface Measured {
  readonly phases: FailoverPhases;
  /** Absent when this invocation did not see the standby become the writer. */
  readonly recoverySeconds?: number;
}

/** The phases this invocation can measure; the decision phase only for an alarm (a person decided otherwise). */
export function measurePhases(
  request: FailoverRequest,
  startedAt: number,
  evidence: DecisionEvidence,
  marks: FailoverMarks,
  steps: readonly StepRecord[],
): Measured {
  const decided = decidedAt(request, startedAt);
  const detected = detectedAt(request, evidence, decided);
  const { writableAt } = marks;
  // Capacity that was already in service when the step looked counts from that look.
  const capacityStep = steps.find((s) => s.step === "full-capacity" && s.status === "already-done");
  const fullCapacityAt = marks.fullCapacityAt ??
    (capacityStep ? Date.parse(capacityStep.startedAt) : undefined);
  const phases: FailoverPhases = {
    ...(request.kind === "alarm" ? { decisionSeconds: seconds(detected, decided) } : {}),
    ...(writableAt !== undefined ? { writableSeconds: seconds(decided, writableAt) } : {}),
    ...(fullCapacityAt !== undefined
      ? { fullCapacitySeconds: seconds(writableAt ?? decided, fullCapacityAt) }
      : {}),
  };
  return { phases, ...(writableAt !== undefined ? { recoverySeconds: seconds(detected, writableAt) } : {}) };
}

/** Step durations, the measured phases and the recovery time, as metrics the dashboards draw. */
export function publishMeasurements(metrics: MetricSink, report: FailoverReport): void {
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
