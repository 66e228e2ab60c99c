// checkUrl() (handlers/lib/url_check.ts), the check both the application checker and the primary prober take
// of a health URL: what counts as healthy, when a latency exists, and the one log line each check writes.

import assert from "node:assert/strict";
import { TimeoutError } from "../handlers/lib/errors.ts";
import type { Probe } from "../handlers/lib/https_probe.ts";
import { checkUrl } from "../handlers/lib/url_check.ts";
import { captureLogger } from "./handler_fakes.ts";

const URL = "https://alb.example.net/health/deep";

/** A probe that answers `status` (or throws `error`) after `ms` on a clock it advances itself. */
function world(answer: { status?: number; error?: Error }, ms = 42) {
  const clock = { at: 1_000, now: () => clock.at };
  const requests: unknown[] = [];
  const probe: Probe = (request) => {
    requests.push(request);
    clock.at += ms;
    return answer.error ? Promise.reject(answer.error) : Promise.resolve({ status: answer.status! });
  };
  const log = captureLogger();
  const deps = { probe, appHostname: "app.dr.example.com", timeoutMs: 500, log };
  const check = () =>
    checkUrl(deps, URL, { message: "application check", fields: { target: "peer" } }, clock);
  return { requests, log, check };
}

Deno.test("checkUrl() is healthy only for a 2xx, sent with the app host name and the timeout", async () => {
  for (const status of [200, 204]) {
    const w = world({ status });
    assert.deepEqual(await w.check(), { healthy: true, status, latencyMs: 42 });
    assert.deepEqual(w.requests, [{ url: URL, hostname: "app.dr.example.com", timeoutMs: 500 }]);
  }
  for (const status of [301, 404, 503]) {
    const result = await world({ status }).check();
    assert.deepEqual([result.healthy, result.status, result.errorClass], [false, status, "http_status"]);
    assert.equal(result.latencyMs, 42, "the server answered: its latency counts");
  }
});

Deno.test("checkUrl() classifies a failure without an answer and gives it no latency", async () => {
  const result = await world({ error: new TimeoutError(`GET ${URL}`, 500) }, 500).check();
  assert.deepEqual(result, {
    healthy: false,
    errorClass: "timeout",
    error: `GET ${URL}: no answer within 500 ms`,
  });
});

Deno.test("checkUrl() writes one line: info when healthy, warn otherwise, with the caller's fields", async () => {
  const healthy = world({ status: 200 });
  await healthy.check();
  assert.deepEqual(healthy.log.lines, [{
    level: "INFO",
    message: "application check",
    fields: {
      target: "peer",
      status: 200,
      durationMs: 42,
      outcome: "healthy",
      errorClass: undefined,
      error: undefined,
    },
  }]);

  const refused = world({
    error: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
  });
  await refused.check();
  assert.equal(refused.log.lines.length, 1);
  assert.equal(refused.log.lines[0].level, "WARN");
  assert.deepEqual(
    [
      refused.log.lines[0].fields.target,
      refused.log.lines[0].fields.outcome,
      refused.log.lines[0].fields.errorClass,
    ],
    ["peer", "unhealthy", "refused"],
  );
});
