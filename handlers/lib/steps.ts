// A small runner for idempotent operational steps: each step reads state first and is skipped when its
// effect is already there, so a re-invocation after a failure completes the remaining steps without
// repeating done ones (state checks make that true, not memory). Dry-run never calls `run()`.
// Shared by the failover orchestrator (handlers/failover.ts) and the failback tool.

/** Result of a read-only state check. */
export interface StepCheck {
  readonly done: boolean;
  /** What was observed (done) or what run() would change (not done). */
  readonly detail: string;
}

/** What the runner hands a step: retried AWS calls, time, notes for the timeline. */
export interface StepIo {
  /** Runs one AWS call with bounded exponential backoff + jitter on throttling/transient errors. */
  call<T>(label: string, fn: () => Promise<T>): Promise<T>;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Adds a notable fact to the step's timeline entry and the log (e.g. a fallback taken). */
  note(message: string): void;
}

export interface Step<C> {
  readonly name: string;
  /** What run() does, in words, for reports. */
  readonly action: string;
  /** Reads state only (never mutates). Absent for steps that always run, such as emitting a metric. */
  isDone?(ctx: C, io: StepIo): Promise<StepCheck>;
  /** Performs the change; returns a detail for the timeline. Must be safe to repeat. */
  run(ctx: C, io: StepIo): Promise<string | void>;
  /** Confirms run() took effect; defaults to isDone. */
  verify?(ctx: C, io: StepIo): Promise<StepCheck>;
}

export type StepStatus = "already-done" | "done" | "would-run" | "failed";

export interface StepRecord {
  readonly step: string;
  readonly action: string;
  readonly status: StepStatus;
  readonly detail: string;
  readonly notes: readonly string[];
  /** ISO time the step started. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** AWS calls made (including retries). */
  readonly calls: number;
  readonly retries: number;
  readonly error?: { readonly name: string; readonly message: string };
}

export interface RunReport {
  readonly dryRun: boolean;
  readonly ok: boolean;
  readonly steps: readonly StepRecord[];
  readonly failedStep?: string;
  readonly durationMs: number;
}

export interface RetryPolicy {
  /** Attempts per call, including the first. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Worst case per call: 0.2 + 0.4 + 0.8 + 1.6 s of backoff before the fifth and last attempt. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface StepLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly retry?: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** [0, 1); injected so tests can pin the jitter. */
  readonly random?: () => number;
  readonly log: StepLog;
}

export class StepFailedError extends Error {
  override readonly name = "StepFailedError";
  constructor(readonly step: string, readonly report: RunReport, options: { cause: unknown }) {
    super(`step "${step}" failed: ${errorMessage(options.cause)}`, options);
  }
}

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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error === "object" && error !== null && "name" in error ? String(error.name) : typeof error;
}

/** A StepIo for reads outside a step (e.g. the orchestrator's first look at the global cluster). */
export function standaloneIo(options: RunOptions): StepIo {
  const random = options.random ?? Math.random;
  return {
    call: (_label, fn) =>
      withRetry(fn, { policy: options.retry ?? DEFAULT_RETRY, sleep: options.sleep, random }),
    sleep: options.sleep,
    now: options.now,
    note: (message) => options.log.warn(message),
  };
}

/**
 * Runs the steps in order. For each: isDone → skip ("already-done"); dry run → "would-run" without calling
 * run(); otherwise run() then verify(). The first failure stops the run and throws StepFailedError carrying
 * the report so far (the caller notifies and rethrows so the Lambda error metric and retries see it).
 */
export async function runSteps<C>(
  steps: readonly Step<C>[],
  ctx: C,
  options: RunOptions,
): Promise<RunReport> {
  const policy = options.retry ?? DEFAULT_RETRY;
  const random = options.random ?? Math.random;
  const records: StepRecord[] = [];
  const runStartedAt = options.now();
  const report = (failedStep?: string): RunReport => ({
    dryRun: options.dryRun,
    ok: failedStep === undefined,
    steps: [...records],
    ...(failedStep === undefined ? {} : { failedStep }),
    durationMs: options.now() - runStartedAt,
  });

  for (const step of steps) {
    const startedAt = options.now();
    const notes: string[] = [];
    let calls = 0;
    let retries = 0;
    const io: StepIo = {
      call: (label, fn) =>
        withRetry(() => {
          calls++;
          return fn();
        }, {
          policy,
          sleep: options.sleep,
          random,
          onRetry: (attempt, delayMs, error) => {
            retries++;
            options.log.warn("transient AWS error, retrying", {
              step: step.name,
              call: label,
              attempt,
              delayMs,
              errorClass: errorName(error),
              error: errorMessage(error),
            });
          },
        }),
      sleep: options.sleep,
      now: options.now,
      note: (message) => {
        notes.push(message);
        options.log.warn(message, { step: step.name });
      },
    };
    const record = (status: StepStatus, detail: string, error?: unknown): StepRecord => ({
      step: step.name,
      action: step.action,
      status,
      detail,
      notes: [...notes],
      startedAt: new Date(startedAt).toISOString(),
      durationMs: options.now() - startedAt,
      calls,
      retries,
      ...(error === undefined ? {} : { error: { name: errorName(error), message: errorMessage(error) } }),
    });

    try {
      const check = step.isDone ? await step.isDone(ctx, io) : undefined;
      let entry: StepRecord;
      if (check?.done) {
        entry = record("already-done", check.detail);
      } else if (options.dryRun) {
        entry = record("would-run", check?.detail ?? step.action);
      } else {
        const detail = await step.run(ctx, io);
        const verify = step.verify ?? step.isDone;
        if (verify) {
          const confirmed = await verify.call(step, ctx, io);
          if (!confirmed.done) throw new Error(`not confirmed after run: ${confirmed.detail}`);
        }
        entry = record("done", detail || step.action);
      }
      records.push(entry);
      options.log.info("step finished", {
        step: step.name,
        outcome: entry.status,
        durationMs: entry.durationMs,
        detail: entry.detail,
        dryRun: options.dryRun,
      });
    } catch (error) {
      const entry = record("failed", errorMessage(error), error);
      records.push(entry);
      options.log.error("step failed", {
        step: step.name,
        outcome: "failed",
        durationMs: entry.durationMs,
        errorClass: errorName(error),
        error: errorMessage(error),
      });
      throw new StepFailedError(step.name, report(step.name), { cause: error });
    }
  }
  return report();
}
