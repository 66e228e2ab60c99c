import assert from "node:assert/strict";
import { sampleEvery, sampleTimes } from "../handlers/lib/cadence.ts";
import { fakeWallClock } from "./handler_fakes.ts";

const START = Date.UTC(2025, 0, 15, 12, 0, 3, 500);

Deno.test("sampleTimes() gives the clock's 10 s boundaries at or after the start: one per alarm period", () => {
  assert.deepEqual(sampleTimes(START, 10_000, 3).map((ms) => new Date(ms).toISOString().slice(11, 19)), [
    "12:00:10",
    "12:00:20",
    "12:00:30",
  ]);
  const onBoundary = Date.UTC(2025, 0, 15, 12, 0, 20);
  assert.equal(sampleTimes(onBoundary, 10_000, 1)[0], onBoundary);
});

Deno.test("sampleEvery() skips a boundary whose period a slow sample already used up, instead of sampling late", async () => {
  const clock = fakeWallClock(START);
  const started: string[] = [];
  const report = await sampleEvery({ clock, intervalMs: 10_000, count: 4, sampleBudgetMs: 1000 }, (at) => {
    started.push(new Date(at).toISOString().slice(11, 19));
    if (started.length === 1) clock.sleep(21_000); // the first sample hangs for 21 s
    return Promise.resolve();
  });
  assert.deepEqual(started, ["12:00:10", "12:00:31", "12:00:40"]);
  assert.deepEqual(report, { taken: 3, skipped: 1, stopped: false });
});

Deno.test("sampleEvery() stops when a sample asks to", async () => {
  const clock = fakeWallClock(START);
  let calls = 0;
  const report = await sampleEvery({ clock, intervalMs: 10_000, count: 6, sampleBudgetMs: 1000 }, () => {
    calls++;
    return Promise.resolve(calls < 2);
  });
  assert.deepEqual(report, { taken: 2, skipped: 0, stopped: true });
});
