// Sampling on the PROBE_INTERVAL_SECONDS boundaries of the clock within one scheduled invocation: every
// 10 s alarm period (CloudWatch aligns them to the clock) gets one datapoint, whatever second of the
// minute EventBridge started the invocation, and no sample starts that the Lambda timeout would cut off.

/** Wall-clock time (epoch ms: datapoint timestamps) and waiting; injected so tests need not wait. */
export interface WallClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemWallClock: WallClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The `count` clock boundaries (multiples of `intervalMs` since the epoch) at or after `startMs`. */
export function sampleTimes(startMs: number, intervalMs: number, count: number): number[] {
  const first = Math.ceil(startMs / intervalMs) * intervalMs;
  return Array.from({ length: count }, (_, index) => first + index * intervalMs);
}

export interface SamplingOptions {
  readonly clock: WallClock;
  readonly intervalMs: number;
  readonly count: number;
  /** How long one sample may take (its calls at their timeouts): no sample starts without that much left. */
  readonly sampleBudgetMs: number;
  /** The invocation's remaining time (Lambda context); unbounded when absent (tests, local runs). */
  readonly remainingTimeMs?: () => number;
}

export interface SamplingReport {
  readonly taken: number;
  /** Boundaries not sampled: the invocation would have ended mid-sample, or a sample overran a period. */
  readonly skipped: number;
  /** True when `sample` asked to stop (e.g. its connection broke). */
  readonly stopped: boolean;
}

/**
 * Calls `sample(startedAtMs)` at each boundary of the next `count` periods; `sample` returns false to stop.
 * A boundary whose whole period already passed (a slow sample before it) is skipped, not sampled late.
 */
export async function sampleEvery(
  options: SamplingOptions,
  sample: (startedAtMs: number) => Promise<boolean | void>,
): Promise<SamplingReport> {
  const { clock, intervalMs, count, sampleBudgetMs } = options;
  const remaining = options.remainingTimeMs ?? (() => Infinity);
  let taken = 0;
  let skipped = 0;
  for (const at of sampleTimes(clock.now(), intervalMs, count)) {
    const wait = at - clock.now();
    if (wait <= -intervalMs) {
      skipped++;
      continue;
    }
    if (remaining() - Math.max(0, wait) < sampleBudgetMs) {
      return { taken, skipped: count - taken, stopped: false };
    }
    if (wait > 0) await clock.sleep(wait);
    taken++;
    if ((await sample(clock.now())) === false) return { taken, skipped, stopped: true };
  }
  return { taken, skipped, stopped: false };
}
