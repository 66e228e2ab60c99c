// One orchestrator invocation's work. A drill: the first look and every step in dry run, nothing changed.
// A failover (under the lock): an alarm with automation off only notifies; a primary that answers healthy
// stops it (unless a manual request forces it); otherwise the failover steps, measured, then notified.

import { METRICS } from "./contract.ts";
import { errorMessage, errorName } from "./errors.ts";
import type { FailoverRequest } from "./failover_event.ts";
import { measurePhases, publishMeasurements } from "./failover_phases.ts";
import type { FailoverReport, FailoverTrigger } from "./failover_report.ts";
import {
  type FailoverRuntime,
  type FirstLook,
  firstLook,
  iso,
  type LambdaContext,
  notify,
} from "./failover_runtime.ts";
import { failoverSteps } from "./failover_steps.ts";
import { type RunReport, runSteps, StepFailedError } from "./steps.ts";

/** Left of the Lambda timeout after the waits, to record metrics and notify before being killed. */
const LAMBDA_SAFETY_MARGIN_MS = 30_000;

export function triggerOf(request: FailoverRequest): FailoverTrigger {
  return request.kind === "manual"
    ? { kind: "manual", reason: request.reason, force: request.force }
    : request;
}

/** Runs the steps; a failed run is a report too (StepFailedError carries the report so far). */
async function runFailoverSteps(
  rt: FailoverRuntime,
  look: FirstLook,
  dryRun: boolean,
): Promise<{ run: RunReport; failure?: StepFailedError }> {
  try {
    return { run: await runSteps(failoverSteps(), look.ctx, rt.runOptions(dryRun)) };
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    return { run: error.report, failure: error };
  }
}

export async function runDrill(rt: FailoverRuntime, startedAt: number): Promise<FailoverReport> {
  const { config } = rt;
  const look = await firstLook(rt, () => config.rtoTargetSeconds * 1000);
  const { run } = await runFailoverSteps(rt, look, true);
  const report: FailoverReport = {
    outcome: "drill",
    trigger: { kind: "drill" },
    region: config.region,
    startedAt: iso(startedAt),
    finishedAt: iso(rt.now()),
    autoFailover: config.autoFailover,
    evidence: look.evidence.lines,
    ...(look.probe ? { probe: look.probe } : {}),
    steps: [look.record, ...run.steps],
    wouldAbort: look.probe?.healthy === true || !run.ok,
    ok: run.ok,
    ...(run.failedStep ? { failedStep: run.failedStep } : {}),
    dataLossPossible: false,
  };
  rt.log.info("drill report (nothing was changed)", { report });
  return report;
}

/** The lock's input: the key of the event, the validated request, when the invocation started. */
export interface LockedInput {
  readonly lockKey: string;
  readonly request: FailoverRequest;
  readonly startedAt: number;
}

type ReportHead = Pick<
  FailoverReport,
  "trigger" | "region" | "lockKey" | "startedAt" | "autoFailover" | "dataLossPossible" | "evidence" | "probe"
>;

export async function runFailover(
  rt: FailoverRuntime,
  input: LockedInput,
  context: LambdaContext,
): Promise<FailoverReport> {
  const { config, log } = rt;
  const { lockKey, request, startedAt } = input;
  rt.metrics.emit(METRICS.failoverInvoked, "Count", 1);
  const base: ReportHead = {
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
      finishedAt: iso(rt.now()),
      steps: [],
      ok: true,
    };
    await notify(rt, report);
    return report;
  }

  const look = await firstLook(rt, () => context.getRemainingTimeInMillis() - LAMBDA_SAFETY_MARGIN_MS);
  const head: ReportHead = {
    ...base,
    evidence: look.evidence.lines,
    ...(look.probe ? { probe: look.probe } : {}),
  };
  if (look.probe?.healthy && !(request.kind === "manual" && request.force)) {
    const report: FailoverReport = {
      ...head,
      outcome: "aborted-primary-healthy",
      finishedAt: iso(rt.now()),
      steps: [look.record],
      ok: true,
    };
    log.warn("primary answered healthy: false alarm, nothing changed", { outcome: report.outcome });
    await notify(rt, report);
    return report;
  }
  return await failOver(rt, input, look, head);
}

/** The failover steps, measured; notified either way, a failure rethrown for Lambda's retry to continue. */
async function failOver(
  rt: FailoverRuntime,
  { request, startedAt }: LockedInput,
  look: FirstLook,
  head: ReportHead,
): Promise<FailoverReport> {
  const { run, failure } = await runFailoverSteps(rt, look, false);
  const changed = run.steps.some((s) => s.status === "done" && s.step !== "primary-fenced");
  const { mode } = look.ctx.marks;
  const { phases, recoverySeconds } = measurePhases(
    request,
    startedAt,
    look.evidence,
    look.ctx.marks,
    run.steps,
  );
  const report: FailoverReport = {
    ...head,
    outcome: changed ? "failed-over" : "already-failed-over",
    finishedAt: iso(rt.now()),
    steps: [look.record, ...run.steps],
    ok: !failure,
    ...(failure ? { failedStep: failure.step } : {}),
    ...(recoverySeconds !== undefined ? { recoverySeconds } : {}),
    phases,
    ...(mode ? { promotion: mode.kind } : {}),
    dataLossPossible: mode?.kind === "failover",
    primaryClusterId: rt.config.primaryClusterId,
  };
  publishMeasurements(rt.metrics, report);
  if (failure) {
    rt.log.error("failover failed; a retry continues from the observed state", {
      outcome: "failed",
      failedStep: failure.step,
      errorClass: errorName(failure.cause),
      error: errorMessage(failure.cause),
      report,
    });
    await notify(rt, report).catch((notifyError) =>
      rt.log.error("could not publish the failure notification", {
        errorClass: errorName(notifyError),
        error: errorMessage(notifyError),
      })
    );
    throw failure;
  }
  rt.log.info("failover finished", {
    outcome: report.outcome,
    recoverySeconds: report.recoverySeconds,
    report,
  });
  await notify(rt, report);
  return report;
}
