// Retries of AWS calls (handlers/lib/retry.ts): exponential backoff with full jitter, bounded; client errors
// are never retried.

import assert from "node:assert/strict";
import { backoffDelayMs, withRetry } from "../handlers/lib/retry.ts";
import { awsError } from "./fake_aws.ts";

Deno.test("backoffDelayMs() doubles per attempt up to the cap, with full jitter", async () => {
  const policy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1_000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, () => 0.999)), [
    200,
    400,
    799,
    999,
    999,
  ]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelayMs(n, policy, () => 0)), [0, 0, 0]);

  let attempts = 0;
  await assert.rejects(
    withRetry(() => {
      attempts++;
      return Promise.reject(awsError("ValidationError", "bad input"));
    }, { policy, sleep: () => Promise.resolve(), random: () => 0.5 }),
    /bad input/,
  );
  assert.equal(attempts, 1, "client errors are not retried");
});
