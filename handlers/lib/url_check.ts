// One GET of a health URL as a check, the way the application checker and the primary prober both take it:
// healthy only for a 2xx, every failure classified, the latency kept whenever the server answered, and one
// log line (info when healthy, warn otherwise).
import { type Clock, elapsedMs, systemClock } from "./checker.ts";
import { classifyError, type ErrorClass, errorMessage } from "./errors.ts";
import { type Probe, statusError } from "./https_probe.ts";
import type { CheckLogger, LogFields } from "./log.ts";

export interface UrlCheck {
  readonly healthy: boolean;
  readonly status?: number;
  /** Time to the status line; set whenever the server answered (any status). */
  readonly latencyMs?: number;
  readonly errorClass?: ErrorClass;
  readonly error?: string;
}

/** What a check of a URL needs from its handler's dependencies. */
export interface UrlCheckDeps {
  readonly probe: Probe;
  /** The application's host name: TLS SNI and Host header. */
  readonly appHostname: string;
  readonly timeoutMs: number;
  readonly log: CheckLogger;
}

/** The check's log line: its message, and the fields that name what was checked. */
export interface UrlCheckLine {
  readonly message: string;
  readonly fields: LogFields;
}

export async function checkUrl(
  deps: UrlCheckDeps,
  url: string,
  line: UrlCheckLine,
  clock: Clock = systemClock,
): Promise<UrlCheck> {
  const started = clock.now();
  let result: UrlCheck;
  try {
    const { status } = await deps.probe({ url, hostname: deps.appHostname, timeoutMs: deps.timeoutMs });
    const latencyMs = elapsedMs(clock, started);
    const failure = statusError(url, status);
    result = failure
      ? { healthy: false, status, latencyMs, errorClass: classifyError(failure), error: failure.message }
      : { healthy: true, status, latencyMs };
  } catch (error) {
    result = { healthy: false, errorClass: classifyError(error), error: errorMessage(error) };
  }
  const fields: LogFields = {
    ...line.fields,
    status: result.status,
    durationMs: elapsedMs(clock, started),
    outcome: result.healthy ? "healthy" : "unhealthy",
    errorClass: result.errorClass,
    error: result.error,
  };
  if (result.healthy) deps.log.info(line.message, fields);
  else deps.log.warn(line.message, fields);
  return result;
}
