// The orchestrator's handler: validates the event, answers a drill at once, and runs a failover under a
// DynamoDB lock keyed by the event, so a repeat of the same event returns the stored report and a concurrent
// invocation backs off (failover_attempt.ts does the work).

import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { errorMessage, errorName } from "./errors.ts";
import { type LockedInput, runDrill, runFailover, triggerOf } from "./failover_attempt.ts";
import { type FailoverRequest, parseFailoverEvent } from "./failover_event.ts";
import type { FailoverReport } from "./failover_report.ts";
import { type FailoverDeps, failoverRuntime, iso, type LambdaContext } from "./failover_runtime.ts";

/** How long a finished invocation's report answers repeats of the same event (async retries: up to 6 h). */
const LOCK_RECORD_SECONDS = 6 * 60 * 60;

export function createFailoverHandler(deps: FailoverDeps) {
  const rt = failoverRuntime(deps);
  const { config, log, now } = rt;
  const locked = makeIdempotent(
    (input: LockedInput, context: LambdaContext) => runFailover(rt, input, context),
    {
      persistenceStore: deps.lockStore,
      keyPrefix: "failover",
      config: new IdempotencyConfig({
        eventKeyJmesPath: "lockKey",
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: LOCK_RECORD_SECONDS,
        responseHook: (response) =>
          typeof response === "object" && response !== null ? { ...response, replayed: true } : response,
      }),
    },
  );

  return async function handle(event: unknown, context: LambdaContext): Promise<FailoverReport> {
    const startedAt = now();
    let request: FailoverRequest;
    try {
      request = parseFailoverEvent(event);
    } catch (error) {
      log.error("rejected event", { errorClass: errorName(error), error: errorMessage(error) });
      throw error;
    }
    log.info("failover orchestrator invoked", { trigger: request.kind, autoFailover: config.autoFailover });
    if (request.kind === "drill") return await runDrill(rt, startedAt);

    const lockKey = request.kind === "alarm"
      ? `alarm:${request.alarmName}@${request.stateChangedAt}`
      : `manual:${request.requestId ?? context.awsRequestId}`;
    try {
      return await locked({ lockKey, request, startedAt }, context) as FailoverReport;
    } catch (error) {
      if (errorName(error) !== "IdempotencyAlreadyInProgressError") throw error;
      log.warn("another invocation holds the failover lock: backing off", {
        lockKey,
        outcome: "in-progress-elsewhere",
      });
      return {
        outcome: "in-progress-elsewhere",
        trigger: triggerOf(request),
        region: config.region,
        lockKey,
        startedAt: iso(startedAt),
        finishedAt: iso(now()),
        autoFailover: config.autoFailover,
        steps: [],
        ok: true,
        dataLossPossible: false,
      };
    }
  };
}
