// The orchestrator's own fresh probe of the primary's deep-health URL, taken just before acting: the alarm
// is minutes old by then, and failing over a healthy primary (AllowDataLoss) would lose writes.
// An https URL names the primary's ALB, whose certificate is for the application's host name: with
// `hostname` the probe goes through the checkers' TLS probe (SNI + Host = hostname, certificate verified).
import { type Probe, tlsProbe } from "./https_probe.ts";

export type ProbeErrorClass = "timeout" | "refused" | "dns" | "tls" | "network" | "http-status";

export interface ProbeResult {
  readonly healthy: boolean;
  readonly url: string;
  readonly latencyMs: number;
  readonly status?: number;
  readonly errorClass?: ProbeErrorClass;
  readonly detail: string;
}

export interface ProbeOptions {
  readonly timeoutMs: number;
  /** Application host name for TLS SNI and Host (https URLs). */
  readonly hostname?: string;
  /** The TLS probe (tests pass one that trusts their CA). */
  readonly tlsProbe?: Probe;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Healthy means a 2xx within the timeout; anything else (status, timeout, refused, DNS, TLS) is down. */
export async function probeHealth(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const started = now();
  try {
    if (options.hostname && url.startsWith("https:")) {
      const probe = options.tlsProbe ?? tlsProbe();
      const { status } = await probe({ url, hostname: options.hostname, timeoutMs: options.timeoutMs });
      return answered(url, status, now() - started);
    }
    const response = await doFetch(url, {
      method: "GET",
      redirect: "manual",
      headers: { "user-agent": "dr-failover-orchestrator" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body?.cancel();
    return answered(url, response.status, now() - started);
  } catch (error) {
    const latencyMs = now() - started;
    const errorClass = classifyFetchError(error);
    return {
      healthy: false,
      url,
      latencyMs,
      errorClass,
      detail: errorClass === "timeout"
        ? `no answer within ${options.timeoutMs} ms`
        : `${errorClass}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function answered(url: string, status: number, latencyMs: number): ProbeResult {
  const healthy = status >= 200 && status < 300;
  return {
    healthy,
    url,
    latencyMs,
    status,
    ...(healthy ? {} : { errorClass: "http-status" as const }),
    detail: `HTTP ${status} in ${latencyMs} ms`,
  };
}

export function classifyFetchError(error: unknown): ProbeErrorClass {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  // Node puts the system error in `cause` (code), Deno in the message: look at both.
  const cause = error instanceof Error
    ? error.cause as { code?: unknown; message?: unknown } | undefined
    : undefined;
  const text = `${typeof cause?.code === "string" ? cause.code : ""} ${String(cause?.message ?? "")} ${
    error instanceof Error ? error.message : String(error)
  }`;
  if (/ECONNREFUSED|connection refused/i.test(text)) return "refused";
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup|name or service not known/i.test(text)) return "dns";
  if (/certificate|CERT_|tls|ssl|handshake/i.test(text)) return "tls";
  if (/timed? ?out|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT/i.test(text)) return "timeout";
  return "network";
}
