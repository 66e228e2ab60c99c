// The orchestrator's own fresh probe of the primary's deep-health URL, taken just before acting: the alarm
// is minutes old by then, and failing over a healthy primary (AllowDataLoss) would lose writes.

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
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Healthy means a 2xx within the timeout; anything else (status, timeout, refused, DNS, TLS) is down. */
export async function probeHealth(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const started = now();
  try {
    const response = await doFetch(url, {
      method: "GET",
      redirect: "manual",
      headers: { "user-agent": "dr-failover-orchestrator" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body?.cancel();
    const latencyMs = now() - started;
    const healthy = response.status >= 200 && response.status < 300;
    return {
      healthy,
      url,
      latencyMs,
      status: response.status,
      ...(healthy ? {} : { errorClass: "http-status" as const }),
      detail: `HTTP ${response.status} in ${latencyMs} ms`,
    };
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
