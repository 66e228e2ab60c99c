import assert from "node:assert/strict";
import { type AppCheckDeps, CHECK_NAME, checkApplication } from "../handlers/app_health.ts";
import { scheduledHandler, systemClock } from "../handlers/lib/checker.ts";
import { HandlerInputError } from "../handlers/lib/errors.ts";
import { tlsProbe } from "../handlers/lib/https_probe.ts";
import { readAppCheckerEnvironment } from "../handlers/lib/input.ts";
import { captureLogger, captureMetrics, fakeParameters, metricValues } from "./handler_fakes.ts";
import { closedPort, createTestPki, hang, startHttpsServer, type TestServer } from "./tls_fixture.ts";

const APP_HOSTNAME = "app.dr.example.com";
const TIMEOUT_MS = 400;

const pki = createTestPki();
const appCertificate = pki.issue(APP_HOSTNAME);
const ok = () => new Response("ok");
const failing = () => new Response("database unreachable", { status: 500 });

function deps(
  local: string,
  peer: string,
  overrides: Partial<AppCheckDeps> = {},
): AppCheckDeps & { log: ReturnType<typeof captureLogger>; metrics: ReturnType<typeof captureMetrics> } {
  const role = overrides.role ?? "primary";
  const region = overrides.region ?? (role === "primary" ? "us-east-1" : "us-east-2");
  return {
    region,
    role,
    timeoutMs: TIMEOUT_MS,
    localHealthUrl: `${local}/health/deep`,
    peerHealthUrl: `${peer}/health/deep`,
    appHostname: APP_HOSTNAME,
    probe: tlsProbe({ ca: pki.caCertificate }),
    parameters: fakeParameters({}),
    clock: systemClock,
    ...overrides,
    log: captureLogger(),
    metrics: captureMetrics(region, role),
  };
}

async function withServers(
  handlers: Array<(request: Request) => Response | Promise<Response>>,
  body: (servers: TestServer[]) => Promise<void>,
): Promise<void> {
  const servers = handlers.map((respond) => startHttpsServer(appCertificate, respond));
  try {
    await body(servers);
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

Deno.test("checkApplication() reports both ALBs healthy on 200, with SNI and Host set to the app name", async () => {
  await withServers([ok, ok], async ([local, peer]) => {
    const d = deps(local.url, peer.url);
    const result = await checkApplication(d);
    assert.equal(result.local.healthy, true);
    assert.equal(result.peer.healthy, true);
    assert.deepEqual(local.requests, [{ host: APP_HOSTNAME, path: "/health/deep" }]);
    const values = metricValues(d.metrics.documents);
    assert.equal(values.AppHealthy, 1);
    assert.equal(values.PeerAppHealthy, 1);
    assert.ok(values.AppLatencyMs >= 0 && values.AppLatencyMs < TIMEOUT_MS);
    assert.ok(values.PeerAppLatencyMs >= 0 && values.PeerAppLatencyMs < TIMEOUT_MS);
    assert.equal(values.PrimaryFenced, undefined, "only the secondary publishes the fence");
    assert.equal(d.metrics.documents.length, 1, "one EMF document per check");
    const document = d.metrics.documents[0];
    assert.equal(document._aws.CloudWatchMetrics[0].Namespace, "TransactionDR/test");
    assert.equal(document.Region, "us-east-1");
    assert.equal(document.Role, "primary");
    assert.equal(document.service, undefined, "no Powertools service dimension");
    const lines = d.log.lines.filter((line) => line.message === "application check");
    assert.deepEqual(lines.map((line) => [line.level, line.fields.target, line.fields.outcome]).sort(), [
      ["INFO", "local", "healthy"],
      ["INFO", "peer", "healthy"],
    ]);
    assert.equal(typeof lines[0].fields.durationMs, "number");
  });
});

Deno.test("checkApplication() reports HTTP 500 as unhealthy (http_status) and still publishes its latency", async () => {
  await withServers([failing, ok], async ([local, peer]) => {
    const d = deps(local.url, peer.url);
    const result = await checkApplication(d);
    assert.equal(result.local.healthy, false);
    assert.equal(result.local.status, 500);
    assert.equal(result.local.errorClass, "http_status");
    const values = metricValues(d.metrics.documents);
    assert.equal(values.AppHealthy, 0);
    assert.equal(typeof values.AppLatencyMs, "number");
    assert.equal(values.PeerAppHealthy, 1);
    const line = d.log.lines.find((l) => l.fields.target === "local")!;
    assert.equal(line.level, "WARN");
    assert.equal(line.fields.outcome, "unhealthy");
    assert.equal(line.fields.errorClass, "http_status");
  });
});

Deno.test("checkApplication() gives up on a server hanging past CHECK_TIMEOUT_MS (timeout)", async () => {
  await withServers([hang, ok], async ([local, peer]) => {
    const d = deps(local.url, peer.url);
    const started = performance.now();
    const result = await checkApplication(d);
    const elapsed = performance.now() - started;
    assert.equal(result.local.errorClass, "timeout");
    assert.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < TIMEOUT_MS + 1000, `took ${elapsed} ms`);
    const values = metricValues(d.metrics.documents);
    assert.equal(values.AppHealthy, 0);
    assert.equal(values.AppLatencyMs, undefined, "no latency without an answer");
    assert.equal(values.PeerAppHealthy, 1);
  });
});

Deno.test("checkApplication() reports connection refused (refused)", async () => {
  await withServers([ok], async ([peer]) => {
    const d = deps(`https://127.0.0.1:${closedPort()}`, peer.url);
    const result = await checkApplication(d);
    assert.equal(result.local.errorClass, "refused");
    assert.equal(metricValues(d.metrics.documents).AppHealthy, 0);
  });
});

Deno.test("checkApplication() with only the peer down: AppHealthy 1, PeerAppHealthy 0", async () => {
  await withServers([ok], async ([local]) => {
    const d = deps(local.url, `https://127.0.0.1:${closedPort()}`);
    const result = await checkApplication(d);
    assert.equal(result.local.healthy, true);
    assert.equal(result.peer.healthy, false);
    const values = metricValues(d.metrics.documents);
    assert.equal(values.AppHealthy, 1);
    assert.equal(values.PeerAppHealthy, 0);
    assert.equal(values.PeerAppLatencyMs, undefined);
  });
});

Deno.test("checkApplication() verifies the certificate: wrong name or unknown CA is unhealthy (tls)", async () => {
  const wrongName = startHttpsServer(pki.issue("other.example.com"), ok);
  const trusted = startHttpsServer(appCertificate, ok);
  try {
    const d = deps(wrongName.url, trusted.url, { probe: tlsProbe() });
    const result = await checkApplication(d);
    assert.equal(result.local.errorClass, "tls", result.local.error);
    assert.equal(result.peer.errorClass, "tls", "the test CA is not in the default trust store");
    assert.deepEqual(wrongName.requests, [], "no request is sent over an unverified connection");
  } finally {
    await wrongName.close();
    await trusted.close();
  }
});

Deno.test("checkApplication() on the secondary publishes PrimaryFenced from the active-region parameter", async () => {
  await withServers([ok, ok], async ([local, peer]) => {
    for (const [activeRegion, fenced] of [["us-east-2", 1], ["us-east-1", 0]] as const) {
      const parameters = fakeParameters({ activeRegion });
      const d = deps(local.url, peer.url, { role: "secondary", parameters });
      const result = await checkApplication(d);
      assert.equal(result.primaryFenced, fenced === 1);
      assert.deepEqual(parameters.reads, [["activeRegion"]]);
      const values = metricValues(d.metrics.documents);
      assert.equal(values.PrimaryFenced, fenced, `active region ${activeRegion}`);
      assert.equal(d.metrics.documents[0].Role, "secondary");
    }
  });
});

Deno.test("checkApplication() on the secondary without the active-region parameter throws after publishing", async () => {
  await withServers([ok, ok], async ([local, peer]) => {
    const d = deps(local.url, peer.url, { role: "secondary", parameters: fakeParameters({}) });
    await assert.rejects(checkApplication(d), { name: "ParameterError" });
    const values = metricValues(d.metrics.documents);
    assert.equal(values.AppHealthy, 1, "probe results are flushed before the error propagates");
    assert.equal(values.PrimaryFenced, undefined);
  });
});

const GOOD_ENV = {
  AWS_REGION: "us-east-2",
  REGION_ROLE: "secondary",
  METRIC_NAMESPACE: "TransactionDR/dev",
  CHECK_TIMEOUT_MS: "500",
  PARAMETER_PREFIX: "/txn/dev",
  LOCAL_HEALTH_URL: "https://alb-us-east-2-dev.example.com/health/deep",
  PEER_HEALTH_URL: "https://alb-us-east-1-dev.example.com/health/deep",
  APP_HOSTNAME,
};

Deno.test("app_health handler refuses bad input, naming every field and its rule", async () => {
  const inputLog = captureLogger();
  const handler = scheduledHandler({
    check: CHECK_NAME,
    readEnvironment: readAppCheckerEnvironment,
    wire: () => {
      throw new Error("must not wire on bad input");
    },
    run: checkApplication,
    inputLog: () => inputLog,
  }, {
    ...GOOD_ENV,
    REGION_ROLE: "standby",
    CHECK_TIMEOUT_MS: "5s",
    PEER_HEALTH_URL: "http://alb.example.com/health/deep",
    APP_HOSTNAME: undefined,
  });
  const error = await handler({ "detail-type": "Object Created", source: "aws.s3" }).then(
    () => assert.fail("expected a HandlerInputError"),
    (e) => e,
  );
  assert.ok(error instanceof HandlerInputError);
  const problems = error.problems.join("\n");
  assert.match(problems, /REGION_ROLE="standby": must be "primary" or "secondary"/);
  assert.match(problems, /CHECK_TIMEOUT_MS="5s": must be an integer between 500 and 8000/);
  assert.match(
    problems,
    /PEER_HEALTH_URL="http:\/\/alb.example.com\/health\/deep": must be an https:\/\/ URL/,
  );
  assert.match(problems, /APP_HOSTNAME: is not set/);
  assert.match(problems, /event: must be an EventBridge scheduled event/);
  assert.equal(error.problems.length, 5);
  assert.deepEqual(inputLog.lines.map((line) => [line.level, line.message]), [[
    "ERROR",
    "invalid handler input",
  ]]);
});

Deno.test("app_health handler runs the check for a scheduled event and for {}", async () => {
  await withServers([ok, ok], async ([local, peer]) => {
    const logs = captureLogger();
    const metrics = captureMetrics("us-east-2", "secondary");
    const handler = scheduledHandler({
      check: CHECK_NAME,
      readEnvironment: readAppCheckerEnvironment,
      wire: (env) => ({
        ...deps(local.url, peer.url, { role: env.role }),
        parameters: fakeParameters({ activeRegion: "us-east-1" }),
        log: logs,
        metrics,
      }),
      run: checkApplication,
    }, GOOD_ENV);
    const scheduled = { "detail-type": "Scheduled Event", source: "aws.events", detail: {} };
    assert.equal((await handler(scheduled)).primaryFenced, false);
    assert.equal((await handler({})).local.healthy, true);
    assert.equal(metrics.documents.length, 2, "one EMF document per invocation");
  });
});

Deno.test("app_health handler logs and re-throws an unexpected exception", async () => {
  const logs = captureLogger();
  const handler = scheduledHandler({
    check: CHECK_NAME,
    readEnvironment: readAppCheckerEnvironment,
    wire: () => ({ log: logs }),
    run: () => Promise.reject(new TypeError("a bug")),
  }, GOOD_ENV);
  await assert.rejects(handler({}), { name: "TypeError", message: "a bug" });
  assert.equal(logs.lines.length, 1);
  assert.equal(logs.lines[0].level, "ERROR");
  assert.equal(logs.lines[0].fields.outcome, "error");
  assert.equal(logs.lines[0].fields.errorName, "TypeError");
});

globalThis.addEventListener("unload", () => pki.remove());
