// Bounded retries of AWS calls: exponential backoff with full jitter on throttling, 5xx and network errors;
// client errors (validation, state faults) fail at once. Our own retries, visible in the timeline, not the SDK's.

export interface RetryPolicy {
  /** Attempts per call, including the first. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Worst case per call: 0.2 + 0.4 + 0.8 + 1.6 s of backoff before the fifth and last attempt. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

// Error names the AWS SDK v3 uses for throttling and transient service/network failures.
const TRANSIENT_ERROR_NAMES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  "PriorRequestNotComplete",
  "SlowDown",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
]);

/** Throttling, 5xx and network errors are worth retrying; client errors (validation, state faults) are not. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: unknown };
  if (e.$retryable) return true;
  if (typeof e.name === "string" && TRANSIENT_ERROR_NAMES.has(e.name)) return true;
  if (typeof e.code === "string" && TRANSIENT_ERROR_NAMES.has(e.code)) return true;
  const status = (e.$metadata as { httpStatusCode?: unknown } | undefined)?.httpStatusCode;
  return typeof status === "number" && (status === 429 || status >= 500);
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly isRetryable?: (error: unknown) => boolean;
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/** Exponential backoff with full jitter: delay before attempt n+1 is uniform in [0, min(max, base * 2^(n-1))]. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const isRetryable = options.isRetryable ?? isTransientAwsError;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.policy.maxAttempts || !isRetryable(error)) throw error;
      const delayMs = backoffDelayMs(attempt, options.policy, options.random);
      options.onRetry?.(attempt, delayMs, error);
      await options.sleep(delayMs);
    }
  }
}
