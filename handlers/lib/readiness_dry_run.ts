// The failover orchestrator's dry run ({ "drill": true }) as a readiness check: its real code and configuration,
// in process, with ports that refuse any change, so the evaluation reads what a failover would and changes nothing.

import { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { createFailoverHandler } from "./failover_orchestrator.ts";
import type { FailoverReport } from "./failover_report.ts";
import { ReadOnlyViolation, refuse } from "./readiness_ports.ts";
import type { CheckOutcome, ReadinessCheck } from "./readiness_checks.ts";
import type { ReadinessDeps } from "./readiness_evaluation.ts";

/** The idempotency lock of the orchestrator: a dry run never takes it, so every use is refused. */
class RefusingLockStore extends BasePersistenceLayer {
  protected override _putRecord = refuse("dynamodb:PutItem (the failover lock)");
  protected override _getRecord = refuse("dynamodb:GetItem (the failover lock)");
  protected override _updateRecord = refuse("dynamodb:UpdateItem (the failover lock)");
  protected override _deleteRecord = refuse("dynamodb:DeleteItem (the failover lock)");
}

/** The orchestrator's dry run, in process: its own steps' state checks, with ports that refuse any change. */
export function dryRunCheck(deps: ReadinessDeps): ReadinessCheck {
  return async () => {
    const orchestrator = createFailoverHandler({
      config: deps.config.failover,
      rds: deps.ports.rds,
      autoScaling: deps.ports.autoScaling,
      ssm: deps.ports.ssm,
      alarms: deps.ports.cloudWatch,
      sns: { publish: refuse("sns:Publish") },
      lockStore: new RefusingLockStore(),
      metrics: {
        emit(name) {
          throw new ReadOnlyViolation(`the readiness evaluation never publishes the orchestrator's ${name}`);
        },
      },
      log: deps.log,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.tlsProbe ? { tlsProbe: deps.tlsProbe } : {}),
    });
    const context = { awsRequestId: "readiness-dry-run", getRemainingTimeInMillis: () => 0 };
    return drillOutcome(await orchestrator({ drill: true }, context));
  };
}

/** A dry run is ok when every step's state check read without an error (a healthy primary is normal). */
export function drillOutcome(report: FailoverReport): CheckOutcome {
  const failed = report.steps.find((step) => step.status === "failed");
  if (!report.ok || failed) {
    return {
      ok: false,
      evidence: `step ${failed?.step ?? report.failedStep} failed: ${
        failed?.error ? `${failed.error.name}: ${failed.error.message}` : failed?.detail
      }`,
    };
  }
  // Which promotion a real run chooses depends on the primary region's answer at that moment (readiness reads
  // the standby region only), so the evidence is the steps' states, not the dry run's promotion guess.
  const probe = report.probe
    ? `primary probe ${report.probe.healthy ? "healthy" : "down"}`
    : "no probe (a promotion is under way or done)";
  const statuses = report.steps.map((step) => `${step.step} ${step.status}`).join(", ");
  return { ok: true, evidence: `${statuses}; ${probe}` };
}
