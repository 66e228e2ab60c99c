// What every scheduled checker shares: input validation first, then the check; a failed check is a result
// (the check itself logs and publishes it), an unexpected exception is logged and re-thrown so the Lambda
// Errors metric and the failure destination see it.
import process from "node:process";
import { HANDLER_ENV } from "./contract.ts";
import { errorMessage, HandlerInputError } from "./errors.ts";
import { assertScheduledEvent, type Environment, REGION_ENV } from "./input.ts";
import { ConfigError } from "./settings.ts";
import { type CheckLogger, type LoggerContext, powertoolsLogger } from "./log.ts";

/** Monotonic milliseconds, for latencies. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

export function elapsedMs(clock: Clock, startedMs: number): number {
  return Math.round(clock.now() - startedMs);
}

/** The part of the Lambda context a sampling check uses to stay inside its timeout. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export interface ScheduledCheck<E, D extends { readonly log: CheckLogger }, R> {
  /** `db_health`, `app_health` or `primary_probe`. */
  readonly check: string;
  readonly readEnvironment: (env: Environment) => E;
  /** Builds the real clients; called once per warm function (clients keep caches and connections). */
  readonly wire: (env: E) => D;
  readonly run: (deps: D, context?: InvocationContext) => Promise<R>;
  /** Logger for invalid input (before any client is wired); default Powertools JSON. Tests pass their own. */
  readonly inputLog?: (context: LoggerContext) => CheckLogger;
}

/** The body of a checker's exported `handler`. */
export function scheduledHandler<E, D extends { readonly log: CheckLogger }, R>(
  spec: ScheduledCheck<E, D, R>,
  env: Environment = process.env,
): (event: unknown, context?: InvocationContext) => Promise<R> {
  let wired: { key: string; deps: D } | undefined;
  return async (event, context) => {
    const problems: string[] = [];
    const collect = <T>(read: () => T): T | undefined => {
      try {
        return read();
      } catch (error) {
        if (!(error instanceof ConfigError || error instanceof HandlerInputError)) throw error;
        problems.push(...error.problems);
        return undefined;
      }
    };
    const environment = collect(() => spec.readEnvironment(env));
    collect(() => assertScheduledEvent(event));
    if (environment === undefined || problems.length > 0) {
      const error = new HandlerInputError(problems);
      const declared = env[HANDLER_ENV.regionRole];
      const role = declared === "primary" || declared === "secondary" || declared === "witness"
        ? declared
        : "unknown";
      (spec.inputLog ?? powertoolsLogger)({ check: spec.check, region: env[REGION_ENV] ?? "unknown", role })
        .error("invalid handler input", { outcome: "error", errorName: error.name, problems });
      throw error;
    }
    const key = JSON.stringify(environment);
    if (wired?.key !== key) wired = { key, deps: spec.wire(environment) };
    const { deps } = wired;
    try {
      return await spec.run(deps, context);
    } catch (error) {
      deps.log.error("check failed unexpectedly", {
        outcome: "error",
        errorClass: "unknown",
        errorName: error instanceof Error ? error.name : typeof error,
        error: errorMessage(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
      throw error;
    }
  };
}
