// A small runner for idempotent operational steps: each step reads state first and is skipped when its
// effect is already there, so a re-invocation after a failure completes the remaining steps without
// repeating done ones (state checks make that true, not memory). Dry-run never calls `run()`.
// Shared by the failover orchestrator (handlers/failover.ts) and the failback tool.

import { errorMessage, errorName } from "./errors.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.ts";

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

/** A bounded wait: reads every `intervalMs` until `done`, stopping before a sleep would pass `deadlineAt`. */
export interface Poll {
  readonly intervalMs: number;
  /** Epoch ms. */
  readonly deadlineAt: number;
}

/** The last value read, and whether it was `done` (false: the deadline came first). */
export async function pollUntil<T>(
  io: StepIo,
  poll: Poll,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<{ readonly value: T; readonly done: boolean }> {
  for (;;) {
    const value = await read();
    if (done(value)) return { value, done: true };
    if (io.now() + poll.intervalMs > poll.deadlineAt) return { value, done: false };
    await io.sleep(poll.intervalMs);
  }
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
    const { record, failure } = await runStep(step, ctx, options);
    records.push(record);
    if (failure) throw new StepFailedError(step.name, report(step.name), failure);
  }
  return report();
}

/** What one step did besides its result: AWS calls (with retries) and notes for its timeline entry. */
interface StepTrace {
  readonly notes: string[];
  calls: number;
  retries: number;
}

/** One step, timed and logged, as its timeline entry; `failure` carries what it threw. */
async function runStep<C>(
  step: Step<C>,
  ctx: C,
  options: RunOptions,
): Promise<{ record: StepRecord; failure?: { cause: unknown } }> {
  const startedAt = options.now();
  const trace: StepTrace = { notes: [], calls: 0, retries: 0 };
  const record = (status: StepStatus, detail: string, error?: unknown): StepRecord => ({
    step: step.name,
    action: step.action,
    status,
    detail,
    notes: [...trace.notes],
    startedAt: new Date(startedAt).toISOString(),
    durationMs: options.now() - startedAt,
    calls: trace.calls,
    retries: trace.retries,
    ...(error === undefined ? {} : { error: { name: errorName(error), message: errorMessage(error) } }),
  });
  try {
    const { status, detail } = await settle(step, ctx, stepIo(step.name, options, trace), options.dryRun);
    const entry = record(status, detail);
    options.log.info("step finished", {
      step: step.name,
      outcome: entry.status,
      durationMs: entry.durationMs,
      detail: entry.detail,
      dryRun: options.dryRun,
    });
    return { record: entry };
  } catch (error) {
    const entry = record("failed", errorMessage(error), error);
    options.log.error("step failed", {
      step: step.name,
      outcome: "failed",
      durationMs: entry.durationMs,
      errorClass: errorName(error),
      error: errorMessage(error),
    });
    return { record: entry, failure: { cause: error } };
  }
}

/** The step's status and detail; throws what the step threw, or when verify() does not confirm run(). */
async function settle<C>(
  step: Step<C>,
  ctx: C,
  io: StepIo,
  dryRun: boolean,
): Promise<{ status: StepStatus; detail: string }> {
  const check = step.isDone ? await step.isDone(ctx, io) : undefined;
  if (check?.done) return { status: "already-done", detail: check.detail };
  if (dryRun) return { status: "would-run", detail: check?.detail ?? step.action };
  const detail = await step.run(ctx, io);
  const verify = step.verify ?? step.isDone;
  if (verify) {
    const confirmed = await verify.call(step, ctx, io);
    if (!confirmed.done) throw new Error(`not confirmed after run: ${confirmed.detail}`);
  }
  return { status: "done", detail: detail || step.action };
}

/** The StepIo a step runs with: each call retried and counted, retries logged, notes kept. */
function stepIo(step: string, options: RunOptions, trace: StepTrace): StepIo {
  return {
    call: (label, fn) =>
      withRetry(() => {
        trace.calls++;
        return fn();
      }, {
        policy: options.retry ?? DEFAULT_RETRY,
        sleep: options.sleep,
        random: options.random ?? Math.random,
        onRetry: (attempt, delayMs, error) => {
          trace.retries++;
          options.log.warn("transient AWS error, retrying", {
            step,
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
      trace.notes.push(message);
      options.log.warn(message, { step });
    },
  };
}
