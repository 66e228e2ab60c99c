// Error classes of a failed check, the timeout every external call runs under, and the error a handler
// throws for bad input (environment or event).

/** Why a check failed; logged as `errorClass`. */
export type ErrorClass =
  | "timeout"
  | "refused"
  | "auth"
  | "dns"
  | "tls"
  | "http_status"
  | "query_error"
  | "unknown";

/** An external call that did not finish within its timeout. */
export class TimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(what: string, timeoutMs: number) {
    super(`${what}: no answer within ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

/** An HTTP answer whose status is not 2xx. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, url: string) {
    super(`${url} answered HTTP ${status}`);
    this.name = "HttpStatusError";
  }
}

/** A query answered, but not with what the check needs (no row, wrong shape). */
export class QueryResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryResultError";
  }
}

/** Bad handler input: a missing or invalid environment variable, or an event the handler does not take. */
export class HandlerInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid handler input:\n  ${problems.join("\n  ")}`);
    this.name = "HandlerInputError";
  }
}

/** Runs `work` with a deadline; `onTimeout` releases what the late call holds (socket, client). */
export function withTimeout<T>(
  what: string,
  timeoutMs: number,
  work: Promise<T>,
  onTimeout?: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new TimeoutError(what, timeoutMs));
    }, timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

// Node (OpenSSL) reports certificate problems by code; Deno's rustls-based node:tls by message.
const TLS_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_HANDSHAKE_TIMEOUT",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);
const REFUSED_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA"]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  /** Present on pg's DatabaseError, whose `code` is then the server's SQLSTATE. */
  severity?: unknown;
}

/** Maps an error from a probe or a database call to its class. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof TimeoutError) return "timeout";
  if (error instanceof HttpStatusError) return "http_status";
  if (error instanceof QueryResultError) return "query_error";
  const { name, code, message, severity } = (error ?? {}) as ErrorLike;
  const codeText = typeof code === "string" ? code : "";
  const text = `${typeof name === "string" ? name : ""} ${typeof message === "string" ? message : ""}`;
  if (severity !== undefined && /^[0-9A-Z]{5}$/.test(codeText)) return classifySqlState(codeText, text);
  if (codeText === "ETIMEDOUT" || codeText === "ESOCKETTIMEDOUT") return "timeout";
  if (DNS_CODES.has(codeText)) return "dns";
  if (REFUSED_CODES.has(codeText)) return "refused";
  if (TLS_CODES.has(codeText) || codeText.startsWith("ERR_TLS_") || codeText.startsWith("ERR_SSL_")) {
    return "tls";
  }
  if (/certificate|InvalidData|handshake|does not support SSL/i.test(text)) return "tls";
  if (/timeout|timed out/i.test(text)) return "timeout";
  if (/connection refused|ConnectionRefused/i.test(text)) return "refused";
  if (/failed to lookup address|Name or service not known|getaddrinfo/i.test(text)) return "dns";
  if (/Connection terminated unexpectedly|ConnectionReset/i.test(text)) return "refused";
  return "unknown";
}

function classifySqlState(sqlState: string, text: string): ErrorClass {
  if (sqlState === "57014") return "timeout"; // query_canceled: statement_timeout
  if (sqlState === "28000" && /no encryption|SSL off/i.test(text)) return "tls"; // pg_hba: hostnossl reject
  if (sqlState.startsWith("28")) return "auth";
  if (sqlState.startsWith("08") || sqlState.startsWith("57P")) return "refused";
  return "query_error";
}

/** A one-line description for logs (never the stack of an expected failure). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error's name (an AWS SDK error's name is its fault, e.g. `ThrottlingException`), or its type. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error === "object" && error !== null && "name" in error ? String(error.name) : typeof error;
}
